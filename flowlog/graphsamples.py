"""Moved to `flowlog.graph.samples`: this old name is that same module, for code importing it."""
import sys

from flowlog.graph import samples

sys.modules[__name__] = samples
