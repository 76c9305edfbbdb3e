"""Running flowboard servers, each described by a small JSON file, so that a notebook can find
one already serving a logdir (as TensorBoard's `.tensorboard-info` does) instead of starting
another."""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path


def info_dir() -> Path:
    """The folder of the servers' files: one per user, in the temp folder."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f".flowboard-info-{uid}"


def register(port: int, key: dict, url: str) -> Path | None:
    """Record this process as a server on `port` for `key` (its options); returns the file,
    which the server removes (`unregister`) when it stops. None if the temp folder cannot be
    written: the server still serves, it just cannot be found and reused."""
    folder = info_dir()
    path = folder / f"pid-{os.getpid()}.json"
    info = {"pid": os.getpid(), "port": port, "url": url, "key": key,
            "start_time": time.time()}
    tmp = path.with_suffix(".tmp")
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if not _trusted(folder):
            return None
        tmp.write_text(json.dumps(info))
        tmp.replace(path)  # readers never see half a file
    except OSError:
        return None
    return path


def unregister(path: Path | None) -> None:
    with contextlib.suppress(OSError):
        if path is not None:
            path.unlink()


def _trusted(folder: Path) -> bool:
    """Whether only this user can have written `folder`'s files. The temp folder is shared: a
    folder someone else made there could point a notebook at their server."""
    try:
        st = folder.stat()
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return mine and not st.st_mode & 0o022


def running() -> list[dict]:
    """Every live server's info, oldest first; files of processes that died are removed."""
    out = []
    folder = info_dir()
    if not _trusted(folder):
        return []
    for path in sorted(folder.glob("pid-*.json")):
        try:
            info = json.loads(path.read_text())
            alive = _alive(int(info["pid"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written or removed meanwhile, or not ours
        if alive:
            out.append(info)
        else:
            unregister(path)
    return sorted(out, key=lambda i: i["start_time"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True
