"""read_events and read_scalars: runs, file order, both scalar styles, damaged files."""

import warnings

import numpy as np
import pytest

import flowlog as fl
from flowlog.events.records import frame
from flowlog.proto import event_pb2, summary_pb2
from flowlog.summaries import builders


def _write_records(path, payloads):
    path.write_bytes(b"".join(frame(p) for p in payloads))


def _scalar_event(tag, step, value, wall=1.0):
    return event_pb2.Event(
        wall_time=wall,
        step=step,
        summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]),
    ).SerializeToString()


def test_runs_are_directories_with_event_files(tmp_path):
    for run in (".", "a", "a/b", "c/d"):
        with fl.SummaryWriter(tmp_path / run) as w:
            w.add_scalar("x", 1.0, 1)
    (tmp_path / "empty").mkdir()
    (tmp_path / "c" / "notes.txt").write_text("not an event file")
    assert sorted(fl.read_scalars(tmp_path)) == [".", "a", "a/b", "c/d"]
    assert sum(1 for _ in fl.read_events(tmp_path)) == 8  # a version record + a scalar each


def test_read_events_of_one_file_in_order(tmp_path):
    with fl.SummaryWriter(tmp_path) as w:
        for i in range(10):
            w.add_scalar("x", i, i)
        w.add_text("t", "hello", 10)
    (path,) = tmp_path.iterdir()
    evs = list(fl.read_events(path))
    assert evs[0].file_version == "brain.Event:2"
    assert [e.step for e in evs[1:]] == list(range(11))
    with pytest.raises(FileNotFoundError, match="nope"):
        list(fl.read_events(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="log directory"):
        fl.read_scalars(path)


def test_read_scalars_keeps_file_order_and_mixes_styles(tmp_path):
    first = tmp_path / "events.out.tfevents.0000000001.h.1.0"
    second = tmp_path / "events.out.tfevents.0000000002.h.1.0"
    new_style = builders.scalar("loss", 0.25, new_style=True)
    bare = summary_pb2.Summary()
    bare.CopyFrom(new_style)
    bare.value[0].ClearField("metadata")  # like TensorFlow after a tag's first value
    _write_records(
        first,
        [
            _scalar_event("acc", 5, 0.5),
            event_pb2.Event(step=1, wall_time=2.0, summary=new_style).SerializeToString(),
            _scalar_event("acc", 3, 0.75),
            event_pb2.Event(step=2, wall_time=3.0, summary=bare).SerializeToString(),
        ],
    )
    _write_records(
        second,
        [
            _scalar_event("acc", 4, 1.0),
            event_pb2.Event(step=3, wall_time=4.0, summary=bare).SerializeToString(),
            event_pb2.Event(step=4, summary=builders.text("loss_text", "x")).SerializeToString(),
        ],
    )
    run = fl.read_scalars(tmp_path)["."]
    assert sorted(run) == ["acc", "loss"]
    steps, walls, values = run["acc"]
    assert steps.tolist() == [5, 3, 4] and values.tolist() == [0.5, 0.75, 1.0]
    assert (steps.dtype, walls.dtype, values.dtype) == (np.int64, np.float64, np.float64)
    assert run["loss"][0].tolist() == [1, 2, 3] and run["loss"][1].tolist() == [2.0, 3.0, 4.0]


def test_fast_and_protobuf_paths_agree(tmp_path):
    """Hand-encoded and protobuf-encoded scalar events (step 0 omitted, negative, huge)."""
    steps = [0, 1, 127, 128, 2**40, -5, -(2**63)]
    _write_records(
        tmp_path / "events.out.tfevents.1",
        [_scalar_event("τ", s, float(i), wall=10.0 + i) for i, s in enumerate(steps)],
    )
    with fl.SummaryWriter(tmp_path / "ours") as w:
        for i, s in enumerate(steps):
            w.add_scalar("τ", float(i), s, walltime=10.0 + i)
    result = fl.read_scalars(tmp_path)
    for run in (".", "ours"):
        got_steps, walls, values = result[run]["τ"]
        assert got_steps.tolist() == steps
        assert walls.tolist() == [10.0 + i for i in range(7)]
        assert values.tolist() == [float(i) for i in range(7)]


def test_damaged_files_yield_every_intact_record(tmp_path):
    good = [_scalar_event("x", i, float(i)) for i in range(6)]
    records = [frame(p) for p in good]
    flipped = bytearray(records[2])
    flipped[20] ^= 0x10  # a payload bit: the data CRC fails
    (tmp_path / "events.out.tfevents.1.a").write_bytes(
        records[0] + records[1] + bytes(flipped) + records[3]
    )
    (tmp_path / "events.out.tfevents.2.b").write_bytes(b"")
    (tmp_path / "events.out.tfevents.3.c").write_bytes(b"\x00junk" * 100)
    (tmp_path / "events.out.tfevents.4.d").write_bytes(records[4] + records[5][:-3])  # truncated
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        steps = fl.read_scalars(tmp_path)["."]["x"][0].tolist()
        events = list(fl.read_events(tmp_path))
    assert steps == [0, 1, 3, 4]
    assert len(events) == 4
    damaged = [str(w.message) for w in caught]
    assert any("events.out.tfevents.1.a" in m for m in damaged)
    assert any("events.out.tfevents.3.c" in m for m in damaged)


def test_intact_record_that_is_not_an_event_is_counted(tmp_path):
    _write_records(
        tmp_path / "events.out.tfevents.1", [b"\xff\xff\xff", _scalar_event("x", 1, 2.0)]
    )
    with pytest.warns(UserWarning, match="1 undecodable"):
        assert fl.read_scalars(tmp_path)["."]["x"][2].tolist() == [2.0]
