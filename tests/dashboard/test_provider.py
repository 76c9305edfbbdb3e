"""The data provider on real event files: discovery, reloading, restarts, every kind of data."""
from __future__ import annotations

import logging
import os

import numpy as np
import pytest
from dashboard_events import (
    append,
    event,
    histogram,
    image,
    new_file,
    scalar,
    start,
    tensor_scalar,
    text,
)
from flowlog.dashboard.errors import NotFound
from flowlog.dashboard.provider import DataProvider

from flowlog.events.records import frame
from flowlog.events.values import EventFileReader, plugin_of, scalar_of
from flowlog.proto import event_pb2, graph_pb2


def loaded(logdir) -> DataProvider:
    p = DataProvider(logdir, reload_interval=0)
    p.reload()
    return p


def steps_values(p, run, tag):
    step, _, value = p.scalars(run, tag)
    return step.tolist(), value.tolist()


def test_runs_are_directories_holding_event_files_found_recursively(logdir):
    new_file(logdir, [scalar("a", 1, 1.0)])
    new_file(logdir / "train", [scalar("a", 1, 1.0)])
    new_file(logdir / "sweep" / "lr=0.1", [scalar("a", 1, 1.0)])
    (logdir / "empty").mkdir()
    (logdir / "notes").mkdir()
    (logdir / "notes" / "readme.txt").write_text("not a run")
    p = loaded(logdir)
    assert p.runs() == [".", "sweep/lr=0.1", "train"]
    new_file(logdir / "later", [scalar("a", 1, 1.0)])
    p.reload()
    assert "later" in p.runs()


def test_unknown_run_and_tag_name_themselves(logdir):
    new_file(logdir / "r", [scalar("loss", 1, 1.0)])
    p = loaded(logdir)
    with pytest.raises(NotFound, match="unknown run 'x'"):
        p.scalars("x", "loss")
    with pytest.raises(NotFound, match="'nope'.*'r'"):
        p.scalars("r", "nope")
    with pytest.raises(NotFound, match="unknown run '../r'"):
        p.graph("../r")


def reference(path):
    """Scalars of a file read event by event with the ordinary protobuf path."""
    known, out = {}, {}
    for e in EventFileReader(path).read():
        for v in e.summary.value:
            x = scalar_of(v, plugin_of(v, known))
            if x is not None:
                out.setdefault(v.tag, []).append((e.step, float(np.float32(x)), e.wall_time))
    return out


def test_bulk_decoding_matches_event_by_event_reading(logdir):
    # Many records of several tag lengths, steps crossing varint sizes, odd values.
    events = [tensor_scalar("acc/val", 0, 0.5, metadata=True)]
    for s in range(0, 20_000, 37):
        events.append(scalar("loss", s, np.sin(s) * 1e3))
        events.append(scalar("lr_with_a_longer_name", s, 1.0 / (s + 1)))
        events.append(tensor_scalar("acc/val", s, s % 7 - 3.5))
        # Tags of equal length: records differing only in a tag byte or two.
        events.extend(scalar(f"m/t{k}", s, k * s - 0.25) for k in range(12))
    events.append(scalar("loss", 2 ** 40, float("nan")))
    events.append(scalar("loss", 2 ** 40 + 1, float("inf")))
    path = new_file(logdir / "r", events)
    p = loaded(logdir)
    want = reference(path)
    assert sorted(p.scalar_tags()["r"]) == sorted(want)
    for tag, points in want.items():
        step, wall, value = p.scalars("r", tag)
        np.testing.assert_array_equal(step, [s for s, _, _ in points])
        np.testing.assert_array_equal(np.float32(value), [v for _, v, _ in points])
        np.testing.assert_array_equal(wall, [w for _, _, w in points])


def test_old_and_new_style_scalars_both_count(logdir):
    new_file(logdir / "r", [
        scalar("old", 1, 1.5),
        tensor_scalar("new", 1, 2.5, metadata=True),
        *[tensor_scalar("new", s, s / 2, dtype=2) for s in range(2, 40)],
        # A float tensor of another plugin is not a scalar.
        *[tensor_scalar("other", s, 1.0) for s in range(40)],
    ])
    p = loaded(logdir)
    assert p.scalar_tags() == {"r": ["new", "old"]}
    assert steps_values(p, "r", "old") == ([1], [1.5])
    steps, values = steps_values(p, "r", "new")
    assert steps == list(range(1, 40)) and values == [2.5] + [s / 2 for s in range(2, 40)]


def test_reload_reads_only_appended_bytes(logdir):
    path = new_file(logdir / "r", [scalar("loss", s, s) for s in range(100)])
    p = loaded(logdir)
    append(path, [scalar("loss", s, s) for s in range(100, 150)])
    p.reload()
    steps, values = steps_values(p, "r", "loss")
    assert steps == list(range(150)) and values == list(range(150))
    assert p.run("r").damaged_records == 0
    # every byte read once: a reload that started over would count the first part twice
    assert p.status()["bytes_read"] == path.stat().st_size


def test_a_file_rewritten_in_place_is_read_as_new_content(logdir):
    path = new_file(logdir / "r", [scalar("loss", s, s) for s in range(100)])
    p = loaded(logdir)
    # Same name and inode, new content that is longer than what was read: only its points.
    blob = b"".join(frame(scalar("acc", s, -s).SerializeToString()) for s in range(150))
    with open(path, "r+b") as f:
        f.write(blob)
        f.truncate()
    p.reload()
    assert p.scalar_tags() == {"r": ["acc"]}
    assert steps_values(p, "r", "acc") == (list(range(150)), [-s for s in range(150)])


def test_a_renamed_file_is_not_read_twice(logdir):
    path = new_file(logdir / "r", [histogram("w", s, [1.0, 2.0]) for s in range(3)]
                    + [scalar("loss", s, s) for s in range(10)])
    p = loaded(logdir)
    path.rename(path.with_name(path.name + ".renamed"))
    append(path.with_name(path.name + ".renamed"), [scalar("loss", 10, 10)])
    p.reload()
    assert len(p.histograms("r", "w")) == 3
    assert steps_values(p, "r", "loss")[0] == list(range(11))


def test_a_deleted_run_disappears(logdir):
    new_file(logdir / "a", [scalar("loss", 0, 0)])
    path = new_file(logdir / "b", [scalar("loss", 0, 0)])
    p = loaded(logdir)
    assert p.runs() == ["a", "b"]
    path.unlink()
    path.parent.rmdir()
    p.reload()
    assert p.runs() == ["a"]


def test_a_record_still_being_written_is_picked_up_once_complete(logdir):
    path = new_file(logdir / "r", [scalar("loss", s, s) for s in range(10)])
    whole = event_pb2.Event(step=10, summary=scalar("loss", 10, 10).summary).SerializeToString()

    rec = frame(whole)
    with open(path, "ab") as f:
        f.write(rec[:7])
    p = loaded(logdir)
    assert steps_values(p, "r", "loss")[0] == list(range(10))
    with open(path, "ab") as f:
        f.write(rec[7:])
    p.reload()
    assert steps_values(p, "r", "loss")[0] == list(range(11))
    assert p.run("r").damaged_records == 0


def test_no_file_is_held_open_between_reloads(logdir):
    path = new_file(logdir / "r", [scalar("loss", s, s) for s in range(100)])
    p = loaded(logdir)
    open_files = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
    assert str(path.resolve()) not in open_files
    assert steps_values(p, "r", "loss")[0] == list(range(100))


def test_every_point_is_kept_in_at_most_32_bytes(logdir):
    path = new_file(logdir / "r", [])
    p = DataProvider(logdir, reload_interval=0)
    n = 0
    for chunk in range(7):  # appends across reloads make the columns grow
        k = 3_000 * (chunk + 1)
        append(path, [scalar(f"t{i}", s, s) for s in range(n, n + k) for i in range(3)])
        n += k
        p.reload()
    nbytes, points = p.memory()
    assert points == 3 * n
    assert nbytes / points <= 32
    assert steps_values(p, "r", "t2")[0] == list(range(n))


def test_session_start_drops_points_at_or_after_its_step(logdir):
    first = [scalar("loss", s, 1.0) for s in range(10)] + [histogram("w", 8, [1, 2])]
    second = [start(5)] + [scalar("loss", s, 2.0) for s in range(5, 12)]
    new_file(logdir / "r", first, n=0)
    new_file(logdir / "r", second, n=1)
    p = loaded(logdir)
    steps, values = steps_values(p, "r", "loss")
    assert steps == list(range(12))
    assert values == [1.0] * 5 + [2.0] * 7
    assert p.histograms("r", "w") == []


def test_a_step_going_backwards_drops_later_points(logdir):
    path = new_file(logdir / "r", [scalar("loss", s, 1.0) for s in range(100)]
                    + [scalar("acc", s, 1.0) for s in range(100)])
    p = loaded(logdir)
    append(path, [scalar("loss", s, 2.0) for s in range(50, 60)]
           + [scalar("loss", s, 3.0) for s in range(55, 58)])
    p.reload()
    steps, values = steps_values(p, "r", "loss")
    assert steps == list(range(58))
    assert values == [1.0] * 50 + [2.0] * 5 + [3.0] * 3
    assert steps_values(p, "r", "acc")[0] == list(range(100))


def test_histograms_images_text_graph_and_run_metadata_are_indexed(logdir):
    pixels = np.zeros((4, 6, 3), np.uint8)
    pixels[..., 0] = 255
    graph = graph_pb2.GraphDef(node=[graph_pb2.NodeDef(name="x", op="Placeholder")])
    meta = event_pb2.TaggedRunMetadata(tag="step_10", run_metadata=b"\x0a\x00")
    new_file(logdir / "r", [
        histogram("weights", 1, [1.0, 2.0, 2.5, 9.0]),
        histogram("weights", 2, [3.0, 4.0]),
        image("digits", 3, pixels),
        text("notes", 4, "# Hello\n*world*"),
        event(0, graph_def=graph.SerializeToString()),
        event(10, tagged_run_metadata=meta),
    ])
    p = loaded(logdir)
    (_w1, s1, b1), (_, s2, _) = p.histograms("r", "weights")
    assert (s1, s2) == (1, 2)
    assert b1.shape == (10, 3) and b1[:, 2].sum() == 4
    assert b1[0, 0] == 1.0 and b1[-1, 1] == 9.0
    assert p.image_tags() == {"r": {"digits": 1}}
    (_, step, refs), = p.images("r", "digits")
    assert step == 3 and (refs[0].width, refs[0].height) == (6, 4)
    assert p.image("r", "digits", 0).startswith(b"\x89PNG")
    assert [t for _, _, t in p.text("r", "notes")] == ["# Hello\n*world*"]
    assert graph_pb2.GraphDef.FromString(p.graph("r")).node[0].name == "x"
    assert p.run_metadata_tags("r") == ["step_10"]
    assert p.run_metadata("r", "step_10") == b"\x0a\x00"
    assert p.run_metadata("r", "other") is None


def test_junk_and_damage_are_skipped_with_a_warning(logdir, caplog):
    (logdir / "r").mkdir()
    (logdir / "r" / "events.out.tfevents.1.junk").write_bytes(os.urandom(5000))
    path = new_file(logdir / "r", [scalar("loss", s, s) for s in range(50)])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one record in the middle is damaged
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="flowlog.dashboard"):
        p = loaded(logdir)
    steps = steps_values(p, "r", "loss")[0]
    assert len(steps) == 49 and steps[0] == 0 and steps[-1] == 49
    assert "skipped" in caplog.text and "junk" in caplog.text


def test_background_loading_serves_every_run(logdir):
    for r in range(4):
        new_file(logdir / f"run{r}", [scalar("loss", s, r) for s in range(500)])
    p = DataProvider(logdir, reload_interval=0).start()
    assert p.wait_loaded(60)
    p.stop()
    assert p.runs() == [f"run{r}" for r in range(4)]
    assert all(len(p.scalars(f"run{r}", "loss")[0]) == 500 for r in range(4))
    assert p.status()["loading"] is False


def test_reads_files_written_by_tensorboard_and_tensorboardx(logdir):
    from tensorboard.compat.proto import event_pb2 as tb_event
    from tensorboard.compat.proto import summary_pb2 as tb_summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboardX import SummaryWriter

    w = EventFileWriter(str(logdir / "torch"))
    for s in range(300):
        v = tb_summary.Summary.Value(tag="loss", simple_value=1.0 / (s + 1))
        w.add_event(tb_event.Event(wall_time=1.0 + s, step=s,
                                   summary=tb_summary.Summary(value=[v])))
    w.close()
    x = SummaryWriter(str(logdir / "tbx"))
    for s in range(50):
        x.add_scalar("acc", s / 50, s)
    x.add_histogram("w", np.arange(100.0), 3)
    x.add_image("img", np.ones((3, 8, 8)), 3)
    x.add_text("note", "hello", 3)
    x.close()
    p = loaded(logdir)
    assert p.runs() == ["tbx", "torch"]
    steps, values = steps_values(p, "torch", "loss")
    assert steps == list(range(300)) and values[9] == pytest.approx(0.1)
    assert steps_values(p, "tbx", "acc")[0] == list(range(50))
    assert p.histograms("tbx", "w")[0][2][:, 2].sum() == 100
    assert p.image("tbx", "img", 0).startswith(b"\x89PNG")
    assert "hello" in str(p.text("tbx", "note/text_summary")[0][2])


def test_a_huge_histogram_tag_makes_a_bounded_answer(logdir):
    from flowlog.dashboard.provider import MAX_BUCKETS, MAX_HISTOGRAMS

    values = np.random.default_rng(0).normal(size=20_000)
    events = [histogram("w", s, values + s) for s in range(MAX_HISTOGRAMS + 300)]
    big = histogram("w", 10_000, values)
    big.summary.value[0].histo.bucket_limit[:] = np.linspace(-5, 5, 50_000).tolist()
    big.summary.value[0].histo.bucket[:] = np.ones(50_000).tolist()
    new_file(logdir / "r", [*events, big])
    items = loaded(logdir).histograms("r", "w")
    assert len(items) == MAX_HISTOGRAMS and items[0][1] == 0 and items[-1][1] == 10_000
    assert all(len(b) <= MAX_BUCKETS for _, _, b in items)
    last = items[-1][2]
    assert last[:, 2].sum() == 50_000 and last[0, 0] == big.summary.value[0].histo.min
    assert last[-1, 1] == big.summary.value[0].histo.max
