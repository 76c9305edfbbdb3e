"""Where event files live: local paths, or any fsspec URL (`s3://`, `gs://`, `memory://`, ...).

A logdir is a local path unless it starts with `scheme://` (`file://` is a local path too). A URL
goes through fsspec, whose filesystems take credentials and endpoints from the usual places
(environment, config files) or from `storage_options`. A URL whose filesystem is missing or
unknown is an error naming it: it never becomes a local directory called `s3:`.

Listing is one pass for a whole logdir (`list_runs`): on an object store one recursive listing,
whose pages hold a thousand keys each, instead of one request per run.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

EVENT_FILE_MARK = "tfevents"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# The optional extra that brings each filesystem.
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}


def is_event_file(path: str | os.PathLike) -> bool:
    """True for a file named like an event file (`events.out.tfevents.*`)."""
    return EVENT_FILE_MARK in os.path.basename(os.fspath(path))


def is_url(path: str | os.PathLike) -> bool:
    """Whether `path` is a URL of a filesystem other than the local one."""
    match = _SCHEME.match(path) if isinstance(path, str) else None
    return bool(match) and match.group(1).lower() != "file"


def local(path: str | os.PathLike) -> str:
    """A local path, `file://` removed."""
    path = os.fspath(path)
    if isinstance(path, str) and path.lower().startswith("file://"):
        return path[len("file://"):]
    return path


def filesystem(url: str, storage_options: dict | None = None):
    """(fsspec filesystem, path within it) of a URL; an error naming what is missing."""
    scheme = _SCHEME.match(url).group(1).lower()
    try:
        import fsspec
    except ImportError:
        raise ImportError(f"{url!r}: URLs need fsspec: pip install fsspec") from None
    try:
        return fsspec.core.url_to_fs(url, **(storage_options or {}))
    except ImportError as e:
        extra = EXTRAS.get(scheme)
        how = f"pip install 'flowlog[{extra}]'" if extra else f"install fsspec's {scheme} support"
        raise ImportError(f"{url!r}: {scheme}:// needs a filesystem that is not installed: "
                          f"{how} ({e})") from None
    except ValueError as e:
        raise ValueError(f"{url!r}: unknown storage scheme {scheme!r} ({e})") from None


def join(base: str, *parts: str) -> str:
    """`base/part/...` for a local path or a URL."""
    return os.path.join(base, *parts) if not is_url(base) else "/".join([base.rstrip("/"), *parts])


@dataclass(frozen=True)
class FileInfo:
    """One event file as listed: its path, what identifies it, and its size then."""

    path: str
    key: tuple  # (device, inode) locally: a renamed file is the same file; else the path
    size: int


@dataclass
class RunFiles:
    """The event files directly in one run directory, by name, and entries named like event
    files that are not regular files (never opened: a FIFO would block a reader)."""

    directory: str
    files: list[FileInfo] = field(default_factory=list)
    odd: list[str] = field(default_factory=list)


def list_runs(logdir: str | os.PathLike, on_error: Callable[[OSError], None] | None = None,
              storage_options: dict | None = None) -> dict[str, RunFiles]:
    """Every directory under `logdir` that directly holds event files, as {run: RunFiles}.

    Runs are named by their path relative to `logdir` with "/" separators, "." for `logdir`
    itself, sorted. A local name that is not valid UTF-8 shows its odd bytes as `\\xNN`, so
    that it can be written in a URL and looked up again. Directories that cannot be listed
    are passed to `on_error`.
    """
    if is_url(logdir):
        return _list_url(os.fspath(logdir), storage_options, on_error)
    return _list_local(local(logdir), on_error)


def _list_local(root: str, on_error) -> dict[str, RunFiles]:
    runs: dict[str, RunFiles] = {}
    todo = [root]
    while todo:
        directory = todo.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as e:
            if on_error is not None:
                on_error(e)
            continue
        found = RunFiles(directory)
        subdirs = []
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(e.path)
                elif is_event_file(e.name):
                    st = e.stat()
                    if stat.S_ISREG(st.st_mode):
                        found.files.append(FileInfo(e.path, (st.st_dev, st.st_ino), st.st_size))
                    else:
                        found.odd.append(e.path)
            except OSError:  # removed meanwhile, or a dangling link
                continue
        if found.files or found.odd:
            rel = os.path.relpath(directory, root)
            name = "." if rel == "." else rel.replace(os.sep, "/")
            runs[os.fsencode(name).decode("utf-8", "backslashreplace")] = found
        todo.extend(reversed(subdirs))
    return dict(sorted(runs.items()))


def _list_url(url: str, storage_options, on_error) -> dict[str, RunFiles]:
    fs, root = filesystem(url, storage_options)
    root = root.rstrip("/")
    fs.invalidate_cache()  # what was listed before may have changed: list it all anew
    try:
        listing = fs.find(root, withdirs=False, detail=True)
    except FileNotFoundError:
        return {}
    except OSError as e:
        if on_error is not None:
            on_error(e)
        return {}
    runs: dict[str, RunFiles] = {}
    scheme = url.split("://", 1)[0]
    for path in sorted(listing):
        info = listing[path]
        name = path.rsplit("/", 1)[-1]
        if not is_event_file(name):
            continue
        parent = path[: -len(name) - 1]
        rel = parent[len(root) + 1:] if parent.startswith(root + "/") else "."
        run = runs.setdefault(rel or ".", RunFiles(f"{scheme}://{parent}"))
        full = f"{scheme}://{path}"
        if info.get("type", "file") == "file":
            run.files.append(FileInfo(full, (full,), int(info.get("size") or 0)))
        else:
            run.odd.append(full)
    return dict(sorted(runs.items()))


def opener(path: str, storage_options: dict | None = None):
    """A function that opens `path` for reading bytes: a regular local file (never blocking
    on a FIFO), or an object read with one ranged request per read."""
    if not is_url(path):
        from flowlog.events.record_reader import open_regular

        return lambda: open_regular(local(path))
    fs, inner = filesystem(path, storage_options)
    return lambda: fs.open(inner, "rb", cache_type="none")


def write_bytes(path: str, data: bytes) -> None:
    """Store `data` at `path` (a local path, its directories made, or a URL), replacing it
    whole: readers see the old content or the new, never half of it."""
    if is_url(path):
        fs, inner = filesystem(path)
        fs.pipe_file(inner, data)
        return
    path = local(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_bytes(path: str) -> bytes | None:
    """The content at `path` (a local path or a URL), or None if there is none."""
    try:
        if is_url(path):
            fs, inner = filesystem(path)
            return fs.cat_file(inner)
        with open(local(path), "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def exists(path: str) -> bool:
    """Whether anything is at `path` (a local path or a URL)."""
    if is_url(path):
        fs, inner = filesystem(path)
        return fs.exists(inner)
    return os.path.exists(local(path))
