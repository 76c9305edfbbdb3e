"""Event files: the record format, the one bulk decoder, the event-file writer and the readers."""
