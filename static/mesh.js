// Mesh view: point clouds and meshes in 3-D, with a step slider.
"use strict";
