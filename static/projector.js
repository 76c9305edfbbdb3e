// Projector view: a run's embeddings in 2-D or 3-D.
"use strict";
