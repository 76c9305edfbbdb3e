"""Small hostile files cost neither gigabytes nor hours, and never cost an intact record."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import threading
import warnings

import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2

import flowlog as fl
from flowlog.events import crc
from flowlog.events.record_reader import RecordReader
from flowlog.events.records import frame, masked_crc32c


def scalar(tag: str, step: int, x: float) -> bytes:
    value = summary_pb2.Summary.Value(tag=tag, simple_value=x)
    e = event_pb2.Event(step=step, wall_time=1.0 + step, summary=summary_pb2.Summary(value=[value]))
    return frame(e.SerializeToString())


def huge_shape_tensor(tag: str, step: int) -> bytes:
    """72 bytes or so that declare a [2**33, 3] scalar tensor holding one float."""
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0])
    t.tensor_shape.dim.add(size=2**33)
    t.tensor_shape.dim.add(size=3)
    v = summary_pb2.Summary.Value(tag=tag, tensor=t)
    v.metadata.plugin_data.plugin_name = "scalars"
    e = event_pb2.Event(step=step, summary=summary_pb2.Summary(value=[v]))
    return frame(e.SerializeToString())


def fake_header(claimed: int) -> bytes:
    """A record header whose length CRC is right, for a record that is not there."""
    length = struct.pack("<Q", claimed)
    return length + struct.pack("<I", masked_crc32c(length))


def test_a_tensor_declaring_a_huge_shape_is_counted_not_allocated(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "events.out.tfevents.1").write_bytes(
        scalar("loss", 1, 1.0) + huge_shape_tensor("loss", 2) + scalar("loss", 3, 3.0))
    (b / "events.out.tfevents.1").write_bytes(scalar("acc", 1, 0.5))
    with pytest.warns(UserWarning, match="1 undecodable"):
        runs = fl.read_scalars(tmp_path)
    assert runs["a"]["loss"][0].tolist() == [1, 3]
    assert runs["b"]["acc"][2].tolist() == [0.5]


def test_the_dashboard_keeps_loading_a_file_after_a_huge_shape(tmp_path):
    from flowlog.dashboard.provider import DataProvider

    run = tmp_path / "r"
    run.mkdir()
    path = run / "events.out.tfevents.1"
    path.write_bytes(scalar("loss", 1, 1.0) + huge_shape_tensor("loss", 2))
    p = DataProvider(tmp_path, reload_interval=0)
    p.reload()
    with open(path, "ab") as f:
        f.write(scalar("loss", 3, 3.0))
    p.reload()
    assert p.scalars("r", "loss")[0].tolist() == [1, 3]
    assert p.run("r").damaged_records == 1


def _count_crc_bytes(monkeypatch) -> list[int]:
    """Count every byte that google-crc32c is handed by the reader."""
    seen = [0]
    value, extend = crc._crc32c, crc._crc_extend

    def counting_value(data):
        seen[0] += len(data)
        return value(data)

    def counting_extend(crc, data):
        seen[0] += len(data)
        return extend(crc, data)

    monkeypatch.setattr(crc, "_crc32c", counting_value)
    monkeypatch.setattr(crc, "_crc_extend", counting_extend)
    return seen


@pytest.mark.parametrize("fakes,spacing", [(400, 12), (4000, 40)])
def test_fake_headers_cost_time_linear_in_the_file(tmp_path, monkeypatch, fakes, spacing):
    """Each fake header claims a megabyte that the file holds; checking the claims one by
    one would hash that megabyte once per fake."""
    good = [scalar("loss", s, float(s)) for s in range(2000)]
    big = frame(event_pb2.Event(step=1000, file_version="x" * (2 << 20)).SerializeToString())
    blob = b"".join(good[:1000])
    for _ in range(fakes):
        blob += fake_header(1 << 20).ljust(spacing, b"\0")
    blob += big + b"".join(good[1000:])
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(blob)
    seen = _count_crc_bytes(monkeypatch)
    reader = RecordReader(path)
    got = [event_pb2.Event.FromString(r).step for r in reader.read()]
    assert got == [*range(1000), 1000, *range(1000, 2000)]
    assert reader.corrupt_records == 1
    assert seen[0] <= 4 * len(blob), f"hashed {seen[0]} bytes of a {len(blob)}-byte file"


def test_damage_between_every_few_records_costs_time_linear_in_the_file(tmp_path, monkeypatch):
    good = [scalar("loss", s, float(s)) for s in range(3000)]
    blob = b"".join(r + (fake_header(1 << 30) + b"junk" if i % 3 == 0 else b"")
                    for i, r in enumerate(good))
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(blob)
    seen = _count_crc_bytes(monkeypatch)
    reader = RecordReader(path)
    assert [event_pb2.Event.FromString(r).step for r in reader.read()] == list(range(3000))
    assert reader.corrupt_records == 1000
    assert seen[0] <= 4 * len(blob)


def _finishes(fn, seconds=20) -> bool:
    done = threading.Event()

    def run():
        fn()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(seconds)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_named_like_an_event_file_never_blocks_a_reader(tmp_path):
    run = tmp_path / "r"
    run.mkdir()
    (run / "events.out.tfevents.1").write_bytes(scalar("loss", 1, 1.0))
    fifo = run / "events.out.tfevents.2"
    os.mkfifo(fifo)
    found = {}
    with pytest.warns(UserWarning, match="not a regular file"):
        assert _finishes(lambda: found.update(fl.read_scalars(tmp_path)))
    assert found["r"]["loss"][0].tolist() == [1]
    with pytest.warns(UserWarning, match="not a regular file"):
        assert _finishes(lambda: found.update(steps=[e.step for e in fl.read_events(tmp_path)]))
    with pytest.warns(UserWarning, match="not a regular file"):
        assert _finishes(lambda: list(fl.read_events(fifo)))
    assert found["steps"] == [1]


def test_the_event_library_and_dashboard_do_not_load_the_engine():
    code = (
        "import sys\n"
        "import flowlog, flowlog.events.records, flowlog.events.decoder, flowlog.events.reader\n"
        "import flowlog.dashboard.provider, flowlog.dashboard.app\n"
        "assert not [m for m in sys.modules if m.startswith('flowlog.engine')], sorted(sys.modules)\n"
        "assert flowlog.read_scalars and 'flowlog.engine' not in sys.modules\n"
        "from flowlog import _PUBLIC\n"  # every public name of the library resolves, engine-free
        "assert all(getattr(flowlog, name) for name in _PUBLIC)\n"
        "assert 'flowlog.engine' not in sys.modules\n"
        "import flowlog as fl\n"
        "assert float(fl.Session().run(fl.constant(2.0) * 3)) == 6.0\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_deleting_the_run_directory_while_writing_loses_nothing_after_it(tmp_path):
    run = tmp_path / "run"
    w = fl.SummaryWriter(run)
    for step in range(100):
        w.add_scalar("loss", float(step), step)
    w.flush()
    shutil.rmtree(run)
    with warnings.catch_warnings(record=True) as said:  # some batches go from the writer thread
        warnings.simplefilter("always")
        for step in range(100, 10_100):
            w.add_scalar("loss", float(step), step)
        w.close()
    assert ["was deleted while being written" in str(m.message) for m in said] == [True]
    steps = fl.read_scalars(tmp_path)["run"]["loss"][0]
    assert steps.tolist() == list(range(100, 10_100))


def test_a_run_directory_whose_name_is_not_utf8_is_listed_and_served(tmp_path):
    from flowlog.dashboard.app import PROVIDER, create_app

    odd = os.path.join(os.fsencode(tmp_path), b"lr=0.1\xff")
    os.mkdir(odd)
    with open(os.path.join(odd, b"events.out.tfevents.1"), "wb") as f:
        f.write(scalar("loss", 1, 0.5))
    assert list(fl.read_scalars(tmp_path)) == ["lr=0.1\\xff"]
    app = create_app(tmp_path, reload_interval=0, start=False)
    app.extensions[PROVIDER].reload()
    client = app.test_client()
    (name,) = client.get("/data/runs").get_json()
    r = client.get("/data/plugin/scalars/scalars", query_string={"run": name, "tag": "loss"})
    assert r.status_code == 200 and r.get_json()[0][1:] == [1, 0.5]


def _without_root_overrides() -> list[str]:
    """A command prefix under which file permissions hold even for root (or nothing)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("as root, this test needs util-linux's setpriv to drop the DAC overrides")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def test_a_directory_that_cannot_be_listed_is_skipped_with_a_warning(tmp_path):
    tmp_path.chmod(0o755)
    for name in ("open", "closed"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "events.out.tfevents.1").write_bytes(scalar("loss", 1, 0.5))
    (tmp_path / "closed").chmod(0)
    code = ("import warnings, flowlog as fl\n"
            "with warnings.catch_warnings(record=True) as said:\n"
            "    warnings.simplefilter('always')\n"
            f"    print(sorted(fl.read_scalars({str(tmp_path)!r})))\n"
            "print([str(w.message) for w in said])\n")
    r = subprocess.run([*_without_root_overrides(), sys.executable, "-c", code],
                       capture_output=True, text=True, timeout=60, check=True)
    runs, warned = r.stdout.splitlines()
    assert runs == "['open']"
    assert "closed" in warned and "cannot list it" in warned
