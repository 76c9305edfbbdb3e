"""Moved to `flowlog.graph.dot`: this old name is that same module, for code importing it."""
import sys

from flowlog.graph import dot

sys.modules[__name__] = dot
