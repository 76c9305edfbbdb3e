"""Moved to `flowlog.graph.model`: this old name is that same module, for code importing it."""
import sys

from flowlog.graph import model

sys.modules[__name__] = model
