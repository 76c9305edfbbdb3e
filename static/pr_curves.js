// PR curves view: a precision–recall curve per run at a chosen step.
"use strict";
