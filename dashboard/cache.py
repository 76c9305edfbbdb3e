"""What flowboard has read, kept in `--cache-dir` so that a restart need not read it again.

Each run is one file, `runs/<sha1 of the run's name>.pickle`, holding a header (this format's
version, the logdir, the run's name) and the run's state: its indexes of scalars, histograms,
images and text, and for each event file the offset read to and the bytes just before it.
Scalar columns moved out of memory stay in their `.npy` files beside. On a restart the runs
are loaded from there and reading goes on from the saved offsets; the usual checks still
apply (a file rewritten in place is read again). A cache written for another logdir or
format, or one that cannot be read, is ignored with a warning: the logdir is read instead.

These files are read with `pickle`, so the cache directory must be one only this user can
write to (flowboard's own cache), never a directory others share.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import time

log = logging.getLogger("flowlog.dashboard")
FORMAT = 2  # 2: runs keep the other plugins' values (`Run.others`)
# A run that keeps changing is saved at most this often (seconds), and once more at the end.
SAVE_EVERY = 60.0


def _path(directory: str, run: str) -> str:
    name = hashlib.sha1(run.encode("utf-8", "surrogatepass")).hexdigest()
    return os.path.join(directory, "runs", f"{name}.pickle")


def save(directory: str, logdir: str, runs: dict, saved: dict, force: bool = False) -> None:
    """Write the runs whose reading moved on since they were last saved. `saved` maps a run's
    name to (bytes read, time) at its last save, and is updated."""
    os.makedirs(os.path.join(directory, "runs"), exist_ok=True)
    now = time.time()
    for name, run in list(runs.items()):
        last = saved.get(name)
        if last is not None and (last[0] == run.bytes_read
                                 or (not force and now - last[1] < SAVE_EVERY)):
            continue
        path = _path(directory, name)
        tmp = f"{path}.tmp{os.getpid()}"
        with run.locked():  # not while a load changes it
            data = pickle.dumps({"format": FORMAT, "logdir": logdir, "run": name, "state": run},
                                protocol=pickle.HIGHEST_PROTOCOL)
            read = run.bytes_read
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        saved[name] = (read, now)


def load(directory: str, logdir: str) -> dict:
    """{run name: Run} saved for `logdir` in `directory`; what does not fit is skipped."""
    found = {}
    runs_dir = os.path.join(directory, "runs")
    if not os.path.isdir(runs_dir):
        return found
    if os.stat(directory).st_uid != os.getuid() or os.stat(runs_dir).st_mode & 0o022:
        log.warning("not reusing the cache in %s: other users can write to it", directory)
        return found
    for entry in os.scandir(runs_dir):
        if not entry.name.endswith(".pickle"):
            continue
        try:
            with open(entry.path, "rb") as f:
                saved = pickle.load(f)
            if saved.get("format") != FORMAT or saved.get("logdir") != logdir:
                continue
            found[saved["run"]] = saved["state"]
        except Exception as e:  # noqa: BLE001 (a damaged cache costs a re-read, nothing more)
            log.warning("ignoring cached run %s: %s: %s", entry.path, type(e).__name__, e)
    return found
