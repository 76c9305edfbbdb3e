"""`flowboard export`: every scalar point of the chosen runs and tags in one file, read back."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import flowlog as fl

FLOWBOARD = str(Path(sys.executable).with_name("flowboard"))


def flowboard(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([FLOWBOARD, *map(str, args)], capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    rng = np.random.default_rng(1)
    for run in ("train/a", "train/b", "eval"):
        with fl.SummaryWriter(d / run) as w:
            for step in range(500):
                # Values no float32 rounds exactly and tiny/huge magnitudes: the file must keep
                # every bit.
                w.add_scalar("loss", float(rng.normal()) * 10.0 ** rng.integers(-30, 30), step)
                w.add_scalar("lr", 0.1 / (step + 1), step)
                w.add_scalar("acc/top1", step / 500, step)
    return d


def _expected(logdir, run=None, tag=None):
    rows = set()
    for r, tags in fl.read_scalars(logdir).items():
        for t, (steps, walls, values) in tags.items():
            if (run is None or run in r) and (tag is None or t.startswith(tag)):
                rows |= set(zip([r] * len(steps), [t] * len(steps), steps.tolist(),
                                walls.tolist(), values.tolist()))
    return rows


def test_csv_holds_every_point_bit_for_bit(logdir, tmp_path):
    out = tmp_path / "all.csv"
    r = flowboard("export", "--logdir", logdir, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "wrote 4500 points of 3 runs and 3 tags" in r.stdout
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["run", "tag", "step", "wall_time", "value"]
    got = [(run, tag, int(s), float(w), float(v)) for run, tag, s, w, v in rows[1:]]
    assert len(got) == 4500 and set(got) == _expected(logdir)


def test_parquet_holds_every_point_of_the_chosen_runs_and_tags(logdir, tmp_path):
    out = tmp_path / "train.parquet"
    r = flowboard("export", "--logdir", logdir, "-o", out, "--run", "^train/", "--tag", "^(loss|acc)")
    assert r.returncode == 0, r.stderr
    table = pq.read_table(out).to_pydict()
    assert list(table) == ["run", "tag", "step", "wall_time", "value"]
    got = list(zip(*table.values()))
    want = _expected(logdir, run="train/", tag="loss") | _expected(logdir, run="train/",
                                                                   tag="acc")
    assert len(got) == 2000 and set(got) == want


def test_parquet_without_pyarrow_says_how_to_get_it(logdir, tmp_path):
    # pyarrow made unimportable, as on a machine without it.
    code = ("import sys; sys.modules['pyarrow'] = None; from flowlog.dashboard.cli import main;"
            f"sys.exit(main(['export', '--logdir', {str(logdir)!r}, '-o', "
            f"{str(tmp_path / 'x.parquet')!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 1
    assert "writing Parquet needs pyarrow" in r.stderr and "-o FILE.csv" in r.stderr
    assert not (tmp_path / "x.parquet").exists()


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/x.json"], "cannot tell the format from"),
    (["-o", "{tmp}/x.csv", "--run", "("], "run filter '(' is not a valid regular expression"),
    (["-o", "{tmp}/x.csv", "--tag", "^nothing$"], "no scalars under"),
])
def test_bad_requests_are_one_clear_error(logdir, tmp_path, args, message):
    r = flowboard("export", "--logdir", logdir, *(a.format(tmp=tmp_path) for a in args))
    assert r.returncode == 1 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_missing_logdir_is_named(tmp_path):
    r = flowboard("export", "--logdir", tmp_path / "nowhere", "-o", tmp_path / "x.csv")
    assert r.returncode == 1 and f"logdir {str(tmp_path / 'nowhere')!r} does not exist" in r.stderr
