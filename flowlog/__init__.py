"""flowlog: TF1-style dataflow graphs and TensorBoard-compatible event files, without TensorFlow."""
__version__ = "0.1.0"

# TF1 vocabulary: `fl.constant`, `fl.Session`, `fl.train`, `fl.summary`, `fl.nn`, `fl.errors`, ...
from flowlog.engine.api import *
from flowlog.engine.api import errors, nn, summary, train  # noqa: F401

# graph export
from flowlog.graphview import export_graph as export_graph

# event files
from flowlog.reader import read_events as read_events
from flowlog.reader import read_scalars as read_scalars
from flowlog.writer import EventFileWriter as EventFileWriter
from flowlog.writer import FileWriter as FileWriter
from flowlog.writer import SummaryWriter as SummaryWriter

