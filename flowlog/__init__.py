"""flowlog: TF1-style dataflow graphs and TensorBoard-compatible event files, without TensorFlow."""
__version__ = "0.1.0"

# event files
from flowlog.reader import read_events as read_events
from flowlog.reader import read_scalars as read_scalars
from flowlog.writer import EventFileWriter as EventFileWriter
from flowlog.writer import FileWriter as FileWriter
from flowlog.writer import SummaryWriter as SummaryWriter
