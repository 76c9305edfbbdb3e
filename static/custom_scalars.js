// Custom scalars view: the layout a run wrote with add_custom_scalars.
"use strict";
