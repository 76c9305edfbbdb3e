"""An event file on an object store, which cannot append: each upload is a new object.

The parts of one event file are named

    events.out.tfevents.<10-digit secs>.<host>.<pid>.<counter>.<8 random hex digits>.<part:06d><suffix>

so that they sort in the order they were written (TensorBoard's readers and ours read a run's
files in name order), and so that two writers never pick the same name, even on hosts with
the same name and pid. Every part is a whole number of records: a reader never sees half of
one. Nothing is uploaded twice: the bytes uploaded are the bytes written, plus retries.

Uploading small parts would cost a request each, so bytes are buffered until PART_SIZE have
accumulated, or the writer's flush interval passes, or `flush()`/`close()` is called (they
return once the object exists). A failed upload (5xx, throttling, a lost connection) is retried
with backoff; what cannot be stored after the retries is kept, and raises on the writer's next
call naming the URL.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import time
import warnings

from flowlog import storage

PART_SIZE = 4 << 20
RETRIES = 6
BACKOFF = 0.5  # seconds before the first retry; doubled after each
_counter = itertools.count()


class ObjectParts:
    """The parts of one event file under the logdir URL `logdir`."""

    def __init__(self, logdir: str, suffix: str = "", storage_options: dict | None = None):
        self.fs, root = storage.filesystem(logdir, storage_options)
        self._scheme = logdir.split("://", 1)[0]
        stamp = (f"{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}."
                 f"{next(_counter)}.{secrets.token_hex(4)}")
        self._stem = f"{root.rstrip('/')}/events.out.tfevents.{stamp}"
        self._suffix = suffix
        self._part = 0
        self.buffer = bytearray()
        self.uploaded = 0  # bytes stored so far
        self.requests = 0  # uploads tried, retries included

    @property
    def url(self) -> str:
        """The URL of the event file, its part number left out."""
        return f"{self._scheme}://{self._stem}{self._suffix}"

    def ship(self, force: bool) -> None:
        """Upload the buffer as the next part if it is big enough, or if `force`; OSError
        naming the URL if that fails after the retries (the bytes stay buffered)."""
        if not self.buffer or (not force and len(self.buffer) < PART_SIZE):
            return
        name = f"{self._stem}.{self._part:06d}{self._suffix}"
        data = bytes(self.buffer)
        for attempt in range(RETRIES):
            self.requests += 1
            try:
                self.fs.pipe_file(name, data)
                break
            except Exception as e:  # noqa: BLE001 (whatever the store says, try again)
                failure = e
                if attempt == 0:
                    warnings.warn(f"storing {self._scheme}://{name} failed ({e!r}); retrying",
                                  stacklevel=2)
                if attempt < RETRIES - 1:
                    time.sleep(BACKOFF * 2**attempt)
        else:
            raise OSError(f"storing {self._scheme}://{name} failed after {RETRIES} tries: "
                          f"{failure!r}; its events are kept and tried again on the next write")
        self.uploaded += len(data)
        self._part += 1
        del self.buffer[: len(data)]
