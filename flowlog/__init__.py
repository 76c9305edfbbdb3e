"""flowlog: TF1-style dataflow graphs and TensorBoard-compatible event files, without TensorFlow."""
__version__ = "0.1.0"
