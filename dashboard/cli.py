"""The `flowboard` command: serve a logdir (or the demo runs) on http://127.0.0.1:6006/."""
from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path

from flowlog.storage import filesystem, is_url


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="flowboard",
        description="Dashboard for TensorBoard event files. "
                    "`flowboard graph ...` exports a run's graph (see `flowboard graph -h`).")
    p.add_argument("--logdir", help="directory holding runs (searched recursively)")
    p.add_argument("--port", type=int, default=6006, help="port to serve on; 0 picks a free one")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--bind-all", action="store_true",
                   help="serve on every network interface, answering any host name")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="another host name requests may use (repeatable)")
    p.add_argument("--reload-interval", type=float, default=5, metavar="SECONDS",
                   help="seconds between reloads of the logdir; 0 loads once")
    p.add_argument("--demo", action="store_true",
                   help="run the examples into a temporary logdir and serve it")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the `flowboard` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "graph":
        from . import graph_cli

        return graph_cli.main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    if args.reload_interval < 0:
        parser.error(f"--reload-interval must be >= 0, got {args.reload_interval}")
    procs = []
    if args.demo:
        from .demo import start_demo

        logdir = Path(args.logdir or tempfile.mkdtemp(prefix="flowboard-demo-"))
        logdir.mkdir(parents=True, exist_ok=True)
        procs = start_demo(logdir)
    elif not args.logdir:
        parser.error("--logdir is required (or use --demo)")
    elif is_url(args.logdir):
        logdir = args.logdir  # any fsspec URL; its filesystem is checked when listed
        try:
            filesystem(logdir)
        except (ImportError, ValueError) as e:
            parser.error(str(e))
    elif not os.path.isdir(args.logdir):
        parser.error(f"logdir {args.logdir!r} does not exist or is not a directory")
    else:
        logdir = Path(args.logdir)
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


def _serve(args: argparse.Namespace, logdir: Path) -> int:
    import logging

    from waitress.server import create_server

    from .app import PROVIDER, create_app

    host = "0.0.0.0" if args.bind_all else args.host
    logging.getLogger("waitress").setLevel(logging.ERROR)  # no "Serving on", no queue depth
    app = create_app(logdir, args.reload_interval, host=host, bind_all=args.bind_all,
                     allowed_hosts=args.allow_host)
    problem = _cannot_bind(host, args.port)
    if problem:
        print(f"flowboard: cannot serve on {host}:{args.port}: {problem}; "
              "choose another with --port (0 picks a free one)", file=sys.stderr)
        return 1
    server = create_server(
        app, host=host, port=args.port, threads=THREADS, channel_timeout=IDLE_TIMEOUT,
        connection_limit=min(MAX_CONNECTIONS, _raise_file_limit() - 64), cleanup_interval=5,
        asyncore_use_poll=True,  # select() cannot watch more than 1 024 sockets
        ident="flowboard")
    shown = "localhost" if args.bind_all else (f"[{host}]" if ":" in host else host)
    # SIGTERM stops the server like Ctrl-C, so the demo examples are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        print(f"flowboard {'(demo) ' if args.demo else ''}serving {logdir} at "
              f"http://{shown}:{server.effective_port}/ (Ctrl-C to stop)", flush=True)
        server.run()  # returns on Ctrl-C, having closed every connection
    except KeyboardInterrupt:  # Ctrl-C before the loop started
        pass
    finally:
        server.close()
        app.extensions[PROVIDER].stop(wait=False)
    with contextlib.suppress(OSError):  # stdout may be gone (a closed pipe)
        print("flowboard: stopped", flush=True)
    return 0


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
