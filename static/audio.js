// Audio view: a player per clip, with a step slider.
"use strict";
