"""Image codecs written in NumPy + zlib: PNG and animated GIF."""
