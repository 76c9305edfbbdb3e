"""`tf.gfile` and `tf.logging`: the file and log helpers TF1 programs call.

`tf.gfile` works on local paths and, through flowlog's storage layer, on fsspec URLs
(`s3://...`), as TensorFlow's does on its own filesystems.
"""
from __future__ import annotations

import glob as _glob
import logging as _logging
import os
import shutil
import sys
from types import SimpleNamespace

from flowlog import storage


def _fs(path):
    """(fsspec filesystem, path) of a URL, or (None, local path)."""
    path = os.fspath(path)
    if storage.is_url(path):
        return storage.filesystem(path)
    return None, storage.local(path)


def Exists(path) -> bool:  # TensorFlow's names, here and below
    fs, p = _fs(path)
    return fs.exists(p) if fs else os.path.exists(p)


def IsDirectory(path) -> bool:
    fs, p = _fs(path)
    return fs.isdir(p) if fs else os.path.isdir(p)


def MakeDirs(path) -> None:
    fs, p = _fs(path)
    if fs:
        fs.makedirs(p, exist_ok=True)
    else:
        os.makedirs(p, exist_ok=True)


def MkDir(path) -> None:
    fs, p = _fs(path)
    if fs:
        fs.mkdir(p)
    else:
        os.mkdir(p)


def DeleteRecursively(path) -> None:
    fs, p = _fs(path)
    if fs:
        fs.rm(p, recursive=True)
    elif os.path.isdir(p):
        shutil.rmtree(p)
    else:
        os.remove(p)


def Remove(path) -> None:
    fs, p = _fs(path)
    if fs:
        fs.rm(p)
    else:
        os.remove(p)


def Rename(oldname, newname, overwrite=False) -> None:
    fs, old = _fs(oldname)
    _, new = _fs(newname)
    if not overwrite and Exists(newname):
        from flowlog.engine import errors

        raise errors.AlreadyExistsError(None, None, f"file already exists: {newname}")
    if fs:
        fs.mv(old, new)
    else:
        os.replace(old, new)


def Copy(oldpath, newpath, overwrite=False) -> None:
    if not overwrite and Exists(newpath):
        from flowlog.engine import errors

        raise errors.AlreadyExistsError(None, None, f"file already exists: {newpath}")
    with GFile(oldpath, "rb") as src, GFile(newpath, "wb") as dst:
        shutil.copyfileobj(src, dst)


def ListDirectory(path) -> list[str]:
    fs, p = _fs(path)
    if fs:
        return sorted(os.path.basename(x.rstrip("/")) for x in fs.ls(p, detail=False))
    return sorted(os.listdir(p))


def Glob(pattern) -> list[str]:
    fs, p = _fs(pattern)
    if fs:
        scheme = os.fspath(pattern).split("://", 1)[0]
        return sorted(f"{scheme}://{x}" for x in fs.glob(p))
    return sorted(_glob.glob(p))


def Walk(top, in_order=True):
    fs, p = _fs(top)
    if fs:
        yield from fs.walk(p)
    else:
        yield from os.walk(p, topdown=in_order)


def GFile(name, mode="r"):
    """A file object for a local path or a URL."""
    fs, p = _fs(name)
    if fs:
        return fs.open(p, mode)
    return open(p, mode)


gfile = SimpleNamespace(
    Exists=Exists, IsDirectory=IsDirectory, MakeDirs=MakeDirs, MkDir=MkDir,
    DeleteRecursively=DeleteRecursively, Remove=Remove, Rename=Rename, Copy=Copy,
    ListDirectory=ListDirectory, Glob=Glob, Walk=Walk, GFile=GFile, Open=GFile,
    FastGFile=GFile,
)

# --- tf.logging -----------------------------------------------------------------------------

class _Stderr(_logging.StreamHandler):
    """Writes to `sys.stderr` as it is when a line is logged, so a program (or a notebook, or a
    test) that redirects stderr later still gets the lines."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler sets it; the current stderr is always used
        pass


_log = _logging.getLogger("flowlog.program")
if not _log.handlers:  # TF1 prints its log lines to stderr by default
    _handler = _Stderr()
    _handler.setFormatter(_logging.Formatter("%(levelname)s:flowlog:%(message)s"))
    _log.addHandler(_handler)
    _log.setLevel(_logging.WARNING)
    _log.propagate = False

logging = SimpleNamespace(
    DEBUG=_logging.DEBUG, INFO=_logging.INFO, WARN=_logging.WARNING, ERROR=_logging.ERROR,
    FATAL=_logging.FATAL, set_verbosity=_log.setLevel, get_verbosity=_log.getEffectiveLevel,
    debug=_log.debug, info=_log.info, warning=_log.warning, warn=_log.warning,
    error=_log.error, fatal=_log.critical, log=_log.log,
)
