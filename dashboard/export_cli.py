"""`flowboard export`: every scalar of the chosen runs and tags in one CSV or Parquet file."""
from __future__ import annotations

import argparse
import csv
import os
import sys

from flowlog.events.frames import SCALAR_COLUMNS, scalar_columns
from flowlog.storage import is_url

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
NO_PYARROW = ("writing Parquet needs pyarrow, which is not installed: pip install pyarrow "
              "(or pip install 'flowlog[parquet]'), or write CSV with -o FILE.csv")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="flowboard export",
        description="Write every scalar point of the chosen runs and tags to one file, one row "
                    "per point: run, tag, step, wall_time, value.")
    p.add_argument("--logdir", required=True, help="directory (or fsspec URL) holding runs")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="output file: .csv, or .parquet (needs pyarrow)")
    p.add_argument("--run", metavar="REGEX", help="only runs whose name contains a match")
    p.add_argument("--tag", metavar="REGEX", help="only tags whose name contains a match")
    return p


def _fail(message: str) -> int:
    print(f"flowboard export: error: {message}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Run `flowboard export`; returns the exit code."""
    args = _parser().parse_args(argv)
    fmt = FORMATS.get(os.path.splitext(args.output)[1].lower())
    if fmt is None:
        return _fail(f"cannot tell the format from {args.output!r}; expected a name ending in "
                     + ", ".join(FORMATS))
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401 - checked before the logdir is read
        except ImportError:
            return _fail(NO_PYARROW)
    if not is_url(args.logdir) and not os.path.isdir(args.logdir):
        return _fail(f"logdir {args.logdir!r} does not exist or is not a directory")
    try:
        columns = scalar_columns(args.logdir, args.run, args.tag)
    except (ValueError, OSError) as e:
        return _fail(str(e))
    n = len(columns["step"])
    if n == 0:
        chosen = " and ".join(f"--{k} {v!r}" for k, v in (("run", args.run), ("tag", args.tag))
                              if v is not None)
        return _fail(f"no scalars under {args.logdir!r}" + (f" match {chosen}" if chosen else ""))
    try:
        (write_parquet if fmt == "parquet" else write_csv)(columns, args.output)
    except OSError as e:
        return _fail(f"cannot write {args.output!r}: {e.strerror or e}")
    runs, tags = len(set(columns["run"])), len(set(columns["tag"]))
    print(f"flowboard export: wrote {n} points of {runs} runs and {tags} tags to {args.output}")
    return 0


def write_csv(columns: dict, path: str) -> None:
    """CSV with a header row; floats written with repr, which reads back to the same double."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(SCALAR_COLUMNS)
        out.writerows(zip(columns["run"], columns["tag"], columns["step"].tolist(),
                          map(repr, columns["wall_time"].tolist()),
                          map(repr, columns["value"].tolist())))


def write_parquet(columns: dict, path: str) -> None:
    """One Parquet table: run and tag as dictionary-encoded strings, step int64, times and
    values float64."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "run": pa.array(columns["run"], pa.string()).dictionary_encode(),
        "tag": pa.array(columns["tag"], pa.string()).dictionary_encode(),
        "step": pa.array(columns["step"], pa.int64()),
        "wall_time": pa.array(columns["wall_time"], pa.float64()),
        "value": pa.array(columns["value"], pa.float64()),
    })
    pq.write_table(table, path)
