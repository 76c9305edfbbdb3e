"""The `flowboard` command: serve a logdir (or the demo runs) on http://127.0.0.1:6006/.

It also takes TensorBoard's flags, so that `tensorboard` can be replaced by `flowboard` in a
script: each has the same meaning, or is accepted with a note saying why it is not needed.
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path

from flowlog.storage import filesystem, is_url


class UsageError(ValueError):
    """A command line that cannot be served; the message names the bad value."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="flowboard",
        description="Dashboard for TensorBoard event files. "
                    "`flowboard graph ...` exports a run's graph (see `flowboard graph -h`); "
                    "`flowboard export ...` writes scalars to one CSV or Parquet file.")
    p.add_argument("--version", action="version", version=f"flowboard {_version()}")
    p.add_argument("--logdir", action="append", default=[],
                   help="directory holding runs (searched recursively); repeat it to serve "
                        "several, each run named after its logdir")
    p.add_argument("--logdir_spec", "--logdir-spec", metavar="NAME:PATH,...",
                   help="several logdirs under display names, as TensorBoard's flag")
    p.add_argument("--port", type=int, default=6006, help="port to serve on; 0 picks a free one")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--bind-all", "--bind_all", dest="bind_all", action="store_true",
                   help="serve on every network interface, answering any host name")
    p.add_argument("--allow-host", "--allow_host", dest="allow_host", action="append",
                   default=[], metavar="NAME",
                   help="another host name requests may use (repeatable)")
    p.add_argument("--reload-interval", "--reload_interval", dest="reload_interval", type=float,
                   default=5, metavar="SECONDS",
                   help="seconds between reloads of the logdir; 0 loads once")
    p.add_argument("--path-prefix", "--path_prefix", dest="path_prefix", default="",
                   metavar="/PREFIX", help="serve every page and route under this URL path, "
                                           "as behind a reverse proxy")
    p.add_argument("--window-title", "--window_title", dest="window_title", metavar="TITLE",
                   help="title of the browser window or tab")
    p.add_argument("--max-reload-threads", "--max_reload_threads", dest="max_reload_threads",
                   type=int, default=None, metavar="N", help="runs loaded at once")
    p.add_argument("--allow-framing-by", action="append", default=[], metavar="ORIGIN",
                   help="let pages of ORIGIN (http://localhost:8888, http://localhost:*, "
                        "vscode-webview:, 'self') show flowboard in a frame, as notebooks do; "
                        "by default no page may (repeatable)")
    p.add_argument("--samples_per_plugin", "--samples-per-plugin", metavar="SPEC",
                   help="not needed: flowboard keeps every point (accepted and ignored)")
    p.add_argument("--load_fast", "--load-fast", nargs="?", const="true", metavar="MODE",
                   help="not needed: flowboard always loads fast (accepted and ignored)")
    p.add_argument("--max-memory", "--max_memory", dest="max_memory", type=_size,
                   default=_size("512MB"), metavar="SIZE",
                   help="memory for scalar points (default 512MB); past it the least recently "
                        "used series move to files in --cache-dir, and every point is kept")
    p.add_argument("--cache-dir", "--cache_dir", dest="cache_dir", metavar="DIR",
                   help="where those files go, with what was read, so that the next start "
                        "reuses them (default: a temporary directory, removed at exit)")
    p.add_argument("--demo", action="store_true",
                   help="run the examples into a temporary logdir and serve it")
    # Set by flowlog.notebook: stop when standard input closes, i.e. when the kernel that
    # started this server has gone, however it went.
    p.add_argument("--exit-with-stdin", action="store_true", help=argparse.SUPPRESS)
    return p


def _version() -> str:
    from flowlog import __version__

    return __version__


# Notes for TensorBoard flags flowboard accepts without needing them.
NOTES = {
    "samples_per_plugin": "flowboard: --samples_per_plugin is not needed and is ignored: "
                          "flowboard keeps every scalar point (charts draw about one per pixel, "
                          "spikes kept) and up to 500 histograms per tag",
    "load_fast": "flowboard: --load_fast is ignored: flowboard always reads event files with its "
                 "own fast loader",
}


def parse(argv: list[str]) -> tuple[argparse.Namespace, str | Path | dict]:
    """(options, logdir) of a serving command line; logdir is a path, a URL, or
    `{name: path or URL}` for several. UsageError says what is wrong."""
    args = _parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {args.port}")
    if args.reload_interval < 0:
        raise UsageError(f"--reload-interval must be >= 0, got {args.reload_interval}")
    if args.max_reload_threads is not None and args.max_reload_threads < 1:
        raise UsageError(f"--max_reload_threads must be at least 1, got {args.max_reload_threads}")
    from .app import normalize_prefix
    from .security import framing_sources

    try:
        args.path_prefix = normalize_prefix(args.path_prefix)
        args.allow_framing_by = framing_sources(args.allow_framing_by)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.demo:
        if args.logdir_spec or len(args.logdir) > 1:
            raise UsageError("--demo serves one logdir; drop --logdir_spec or the extra --logdir")
        logdir = Path(args.logdir[0] if args.logdir else tempfile.mkdtemp(prefix="flowboard-demo-"))
        logdir.mkdir(parents=True, exist_ok=True)
        return args, logdir
    if args.logdir_spec and args.logdir:
        raise UsageError("give either --logdir or --logdir_spec, not both")
    if args.logdir_spec:
        named = parse_logdir_spec(args.logdir_spec)
    elif len(args.logdir) > 1:
        named = dict(zip(_display_names(args.logdir), args.logdir))
    elif args.logdir:
        return args, _checked(args.logdir[0])
    else:
        raise UsageError("--logdir is required (or use --logdir_spec or --demo)")
    return args, {name: _checked(path) for name, path in named.items()}


_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")


def parse_logdir_spec(spec: str) -> dict[str, str]:
    """`name1:path1,name2:path2` as {name: path}. An entry without a name (a plain path or
    URL, `s3://bucket/runs`) is named after its last folder, as several --logdir are."""
    named: dict[str, str] = {}
    plain = []
    for entry in spec.split(","):
        entry = entry.strip()
        if not entry:
            raise UsageError(f"--logdir_spec {spec!r} has an empty entry; expected "
                             "name1:path1,name2:path2")
        # On Windows, C:\runs is a path, not a name; elsewhere "a:/runs" names /runs "a".
        drive = os.name == "nt" and re.match(r"[a-zA-Z]:[\\/]", entry)
        if ":" in entry and not _URL.match(entry) and not drive and entry[0] != "/":
            name, _, path = entry.partition(":")
            if not name.strip() or not path.strip():
                raise UsageError(f"--logdir_spec entry {entry!r} needs a name and a path, "
                                 "as name:path")
            if name in named:
                raise UsageError(f"--logdir_spec names {name!r} twice; names must differ")
            named[name.strip()] = path.strip()
        else:
            plain.append(entry)
    for name, path in zip(_display_names(plain, taken=set(named)), plain):
        named[name] = path
    return named


def _display_names(paths: list[str], taken: set[str] = frozenset()) -> list[str]:
    """A name per logdir: its last folder, or more of its path where two would be the same."""
    parts = [[p for p in re.split(r"[/\\]+", _URL.sub("", path)) if p] or [path]
             for path in paths]
    depth = [1] * len(paths)
    while True:
        names = ["/".join(p[-d:]) for p, d in zip(parts, depth)]
        clashes = {n for n in names if names.count(n) > 1 or n in taken}
        grow = [i for i, n in enumerate(names) if n in clashes and depth[i] < len(parts[i])]
        if not clashes or not grow:
            break
        for i in grow:
            depth[i] += 1
    if clashes:
        raise UsageError(f"logdirs {', '.join(map(repr, paths))} would get the same name; "
                         "name them with --logdir_spec name1:path1,name2:path2")
    return names


def _checked(logdir: str) -> str | Path:
    """A logdir that can be served: an existing directory, or a URL whose filesystem is
    installed."""
    if is_url(logdir):
        try:
            filesystem(logdir)  # its filesystem is checked when listed
        except (ImportError, ValueError) as e:
            raise UsageError(str(e)) from None
        return logdir
    if not os.path.isdir(logdir):
        raise UsageError(f"logdir {logdir!r} does not exist or is not a directory")
    return Path(logdir)


def reuse_key(args: argparse.Namespace, logdir) -> dict:
    """What two servers must share for one to stand in for the other: all but the port."""
    named = logdir if isinstance(logdir, dict) else {"": logdir}
    return {
        "logdirs": {n: str(d) if is_url(str(d)) else os.path.abspath(d)
                    for n, d in named.items()},
        "host": "0.0.0.0" if args.bind_all else args.host,
        "allow_host": sorted(args.allow_host), "reload_interval": args.reload_interval,
        "path_prefix": args.path_prefix, "window_title": args.window_title,
        "allow_framing_by": sorted(args.allow_framing_by), "demo": args.demo,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the `flowboard` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "graph":
        from . import graph_cli

        return graph_cli.main(argv[1:])
    if argv and argv[0] == "export":
        from . import export_cli

        return export_cli.main(argv[1:])
    try:
        args, logdir = parse(argv)
    except UsageError as e:
        _parser().error(str(e))
    for flag, note in NOTES.items():
        if getattr(args, flag) is not None:
            print(note, file=sys.stderr)
    procs = []
    if args.demo:
        from .demo import start_demo

        procs = start_demo(logdir)
    try:
        return _serve(args, logdir)
    finally:
        for proc in procs:
            proc.terminate()


# Serving: waitress answers requests on a bounded pool of threads; idle and slow connections
# cost a file descriptor and no thread, and are closed after IDLE_TIMEOUT seconds.
THREADS = 8
IDLE_TIMEOUT = 30
MAX_CONNECTIONS = 4096


def _serve(args: argparse.Namespace, logdir: str | Path | dict) -> int:
    import logging

    from waitress.server import create_server

    from . import instances
    from .app import PROVIDER, create_app
    from .provider import LOADERS

    host = "0.0.0.0" if args.bind_all else args.host
    logging.getLogger("waitress").setLevel(logging.ERROR)  # no "Serving on", no queue depth
    problem = _cannot_bind(host, args.port)  # before anything starts loading
    if problem:
        print(f"flowboard: cannot serve on {host}:{args.port}: {problem}; "
              "choose another with --port (0 picks a free one)", file=sys.stderr)
        return 1
    app = create_app(logdir, args.reload_interval, host=host, bind_all=args.bind_all,
                     allowed_hosts=args.allow_host, path_prefix=args.path_prefix,
                     frame_ancestors=args.allow_framing_by, window_title=args.window_title,
                     workers=args.max_reload_threads or LOADERS,
                     max_memory=args.max_memory, cache_dir=args.cache_dir)
    server = create_server(
        app, host=host, port=args.port, threads=THREADS, channel_timeout=IDLE_TIMEOUT,
        connection_limit=min(MAX_CONNECTIONS, _raise_file_limit() - 64), cleanup_interval=5,
        asyncore_use_poll=True,  # select() cannot watch more than 1 024 sockets
        ident="flowboard")
    shown = "localhost" if args.bind_all else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{server.effective_port}{args.path_prefix}/"
    served = (", ".join(f"{n}:{d}" for n, d in logdir.items()) if isinstance(logdir, dict)
              else logdir)
    # SIGTERM stops the server like Ctrl-C, so the demo examples are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    if args.exit_with_stdin:
        threading.Thread(target=_stop_at_end_of_stdin, daemon=True).start()
    info = instances.register(int(server.effective_port), reuse_key(args, logdir), url)
    try:
        print(f"flowboard {'(demo) ' if args.demo else ''}serving {served} at "
              f"{url} (Ctrl-C to stop)", flush=True)
        server.run()  # returns on Ctrl-C, having closed every connection
    except KeyboardInterrupt:  # Ctrl-C before the loop started
        pass
    finally:
        instances.unregister(info)
        server.close()
        app.extensions[PROVIDER].stop(timeout=10)  # its cache saved, unless that drags on
    with contextlib.suppress(OSError):  # stdout may be gone (a closed pipe)
        print("flowboard: stopped", flush=True)
    return 0


def _stop_at_end_of_stdin() -> None:
    """Stop the server once standard input reaches its end: the process holding the other end
    of the pipe (a notebook's kernel) has exited, even if it was killed."""
    with contextlib.suppress(OSError, ValueError):
        while sys.stdin.buffer.read(4096):
            pass
    os.kill(os.getpid(), signal.SIGTERM)


def _raise_file_limit() -> int:
    """Raise this process's open-file limit as far as allowed (each connection holds a file
    descriptor); the limit in force."""
    try:
        import resource
    except ImportError:  # not POSIX
        return 512
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft == resource.RLIM_INFINITY or soft >= want:
        return soft if soft != resource.RLIM_INFINITY else 65536
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        return want
    return soft


def _size(text: str) -> int:
    """Bytes in a size such as `300MB`, `2G`, `1.5GiB` or `1000000`."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([KMG]?)I?B?\s*", text.upper())
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive size such as 300MB or 2GB, got {text!r}")
    return int(float(match.group(1)) * 1024 ** " KMG".index(match.group(2) or " "))


def _cannot_bind(host: str, port: int) -> str | None:
    """Why (host, port) cannot be served on, or None if it can."""
    if port == 0:
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            s.bind((host, port))
        except OSError as e:
            return "port is already in use" if e.errno == errno.EADDRINUSE else e.strerror
    return None


if __name__ == "__main__":
    sys.exit(main())
