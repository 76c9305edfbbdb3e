"""The per-thread stack of sessions made default by `with sess.as_default()`."""
from __future__ import annotations

import threading

_local = threading.local()


def session_stack() -> list:
    """This thread's default sessions, innermost last."""
    if not hasattr(_local, "sessions"):
        _local.sessions = []
    return _local.sessions


def get_default_session():
    """The innermost session made default by `with sess.as_default()` (or `with Session()`)."""
    stack = session_stack()
    return stack[-1] if stack else None
