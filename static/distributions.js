// Distributions view: percentile bands of each histogram tag over steps.
"use strict";
