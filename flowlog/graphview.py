"""Moved to `flowlog.graph.view`: this old name is that same module, for code importing it."""
import sys

from flowlog.graph import view

sys.modules[__name__] = view
