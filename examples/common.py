"""The command line every example shares: `python examples/NAME.py --logdir DIR [--steps N]`."""
from __future__ import annotations

import argparse
import json
from collections.abc import Callable


def run_cli(main: Callable, doc: str | None) -> None:
    """Parse `--logdir` / `--steps`, call `main(logdir, steps)` and print what it returns."""
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    parser.add_argument("--logdir", required=True, help="directory to write event files to")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the "
                        "tutorial's)")
    args = parser.parse_args()
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be a positive integer, got {args.steps}")
    print(json.dumps(main(args.logdir, steps=args.steps), indent=2))
