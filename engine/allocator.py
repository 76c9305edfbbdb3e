"""Keep freed step buffers in the process: glibc's malloc trim and mmap thresholds for sessions.

Every step of a session allocates and frees the same arrays again (a CNN's activations are a few
hundred KB each). glibc serves blocks above its mmap threshold with fresh mmaps and returns free
memory at the top of the heap to the OS once it passes its trim threshold; both start small
(128 KB, adjusted up only to the size of the last freed mmap), so such a step faults every page
of its buffers in again: on a 64-batch CNN step that is 40% of the time. TensorFlow keeps its
buffers in its own allocator; a session here raises the two thresholds to the ceilings glibc's
own adjustment allows on 64-bit (32 MB mmap, 64 MB trim), so the heap keeps what a step frees
for the next step. Process-wide, as malloc is; left alone when the user set either one through
MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_, and a no-op off glibc.
"""
from __future__ import annotations

import ctypes
import os

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20
_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
_done: list = [False]


def keep_freed_memory() -> bool:
    """Raise malloc's thresholds once per process; True if they are now in force."""
    if _done[0]:
        return True
    if any(name in os.environ for name in _ENV):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    _done[0] = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done[0]
