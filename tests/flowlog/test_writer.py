"""EventFileWriter, SummaryWriter and FileWriter: what lands in the file, and when."""

import math
import os
import re
import signal
import socket
import subprocess
import threading

import numpy as np
import pytest
from flowlog_testutil import event_files, events, python, scalar_points

import flowlog as fl
from flowlog.events.scalar_records import SCALAR_ITEM, scalar_prefix, scalar_tag_id
from flowlog.proto import event_pb2, graph_pb2, step_stats_pb2, summary_pb2
from flowlog.summaries import builders


def test_file_name_and_version_record(tmp_path):
    with fl.SummaryWriter(tmp_path, filename_suffix=".v1") as w:
        w.add_scalar("a", 1.0)
    (path,) = event_files(tmp_path)
    host = re.escape(socket.gethostname())
    assert re.fullmatch(
        rf"events\.out\.tfevents\.\d{{10}}\.{host}\.{os.getpid()}\.\d+\.v1", path.name
    )
    first = events(path)[0]
    assert first.file_version == "brain.Event:2" and first.wall_time > 1e9


class ItemOnly:
    """Stands for a torch tensor: a value reachable through .item() only."""

    def item(self):
        return 2.5


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (3, 3.0),
        (-0.125, -0.125),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7.0),
        (np.array(1.5), 1.5),
        (np.array([4.0]), 4.0),
        (ItemOnly(), 2.5),
        (True, 1.0),
        (10**400, math.inf),
        (1e39, math.inf),
        (-1e39, -math.inf),
        (math.inf, math.inf),
        (-math.inf, -math.inf),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_scalar_values_stored_as_given(tmp_path, value, stored):
    with fl.SummaryWriter(tmp_path) as w:
        w.add_scalar("v", value, np.int32(5))
        w.add_scalar("v", value, 6)  # second call takes the cached fast path
    assert scalar_points(tmp_path) == [("v", 5, stored), ("v", 6, stored)]


def test_nan_is_stored(tmp_path):
    with fl.SummaryWriter(tmp_path) as w:
        w.add_scalar("n", float("nan"), 1)
        w.add_scalar("n", np.float64("nan"), 2, new_style=True)
    evs = events(event_files(tmp_path)[0])
    assert math.isnan(evs[1].summary.value[0].simple_value)
    assert math.isnan(evs[2].summary.value[0].tensor.float_val[0])


@pytest.mark.parametrize("step", [0, 1, 127, 128, 300, 2**31, 2**63 - 1, -1, -(2**63)])
def test_fast_scalar_encoding_parses_like_protobuf(tmp_path, step):
    tag = "ünï/cødé" * 20  # long enough for multi-byte length varints
    with fl.SummaryWriter(tmp_path) as w:
        w.add_scalar(tag, 0.75, step, walltime=123.5)
    got = events(event_files(tmp_path)[0])[1]
    want = event_pb2.Event(
        wall_time=123.5,
        step=step,
        summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=0.75)]),
    )
    assert got == want
    assert scalar_prefix(tag) in want.SerializeToString()


@pytest.mark.parametrize(
    ("tag", "error"),
    [(1, TypeError), (None, TypeError), (b"x", TypeError), (["x"], TypeError), ("", ValueError)],
)
def test_bad_tags_raise_naming_them(tmp_path, tag, error):
    with fl.SummaryWriter(tmp_path) as w:
        for call in (
            lambda: w.add_scalar(tag, 1.0),
            lambda: w.add_histogram(tag, [1.0]),
            lambda: w.add_text(tag, "t"),
            lambda: w.add_scalar(tag, 1.0, new_style=True),
        ):
            with pytest.raises(error, match=re.escape(repr(tag))):
                call()
    assert scalar_points(tmp_path) == []


@pytest.mark.parametrize("value", ["1.0", [1.0, 2.0], np.zeros(3), None, 1j])
def test_non_scalar_values_raise_naming_tag(tmp_path, value):
    with fl.SummaryWriter(tmp_path) as w, pytest.raises(TypeError, match="'loss'"):
        w.add_scalar("loss", value)


def test_flush_makes_everything_readable(tmp_path):
    w = fl.SummaryWriter(tmp_path)
    for i in range(2500):
        w.add_scalar("x", i, i)
    w.flush()
    assert [p[1] for p in scalar_points(tmp_path)] == list(range(2500))
    w.add_scalar("x", 1, 2500)
    w.close()
    assert len(scalar_points(tmp_path)) == 2501


def test_add_after_close_opens_a_new_file_and_close_is_idempotent(tmp_path):
    # PyTorch's own tutorial closes its writer and keeps logging: torch opens a new file.
    w = fl.SummaryWriter(tmp_path)
    w.add_scalar("x", 1.0, 0)
    w.close()
    w.close()
    w.flush()
    w.add_scalar("x", 2.0, 1)
    w.add_text("note", "after close", 1)
    w.close()
    w.add_text("note", "reopened by text", 2)  # the scalar fast path must follow to the new file
    w.add_scalar("x", 3.0, 2)
    w.close()
    assert len(event_files(tmp_path)) == 3
    assert scalar_points(tmp_path) == [("x", 0, 1.0), ("x", 1, 2.0), ("x", 2, 3.0)]


@pytest.mark.parametrize("max_queue", [1, 10, 1024])
def test_threads_adding_at_once_lose_nothing(tmp_path, max_queue):
    w = fl.SummaryWriter(tmp_path, max_queue=max_queue)

    def work(k):
        for i in range(3000):
            w.add_scalar(f"t{k}", i, i)
            if i % 1000 == 0:
                w.flush()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    points = scalar_points(tmp_path)
    for k in range(4):
        assert [s for tag, s, _ in points if tag == f"t{k}"] == list(range(3000))


def test_two_writers_same_second_same_dir_keep_their_data(tmp_path):
    writers = [fl.SummaryWriter(tmp_path) for _ in range(3)]
    for k, w in enumerate(writers):
        w.add_scalar("k", k)
    for w in writers:
        w.close()
    files = event_files(tmp_path)
    assert len(files) == 3
    assert sorted(p[2] for p in scalar_points(tmp_path)) == [0.0, 1.0, 2.0]


def test_two_processes_same_second_same_dir(tmp_path):
    code = """
        import sys, time
        import flowlog as fl
        time.time = lambda: 1700000000.0  # the very same second in both processes
        with fl.SummaryWriter(sys.argv[1]) as w:
            w.add_scalar("pid", float(sys.argv[2]))
    """
    procs = [python(code, tmp_path, k) for k in range(2)]
    assert [p.wait() for p in procs] == [0, 0]
    assert all(".1700000000." in f.name for f in event_files(tmp_path))
    assert sorted(p[2] for p in scalar_points(tmp_path)) == [0.0, 1.0]


def test_unwritable_logdir_names_the_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError, match=re.escape(str(blocker / "run"))):
        fl.SummaryWriter(blocker / "run")


def test_read_only_logdir_names_the_path(tmp_path):
    logdir = tmp_path / "ro"
    logdir.mkdir()
    if os.geteuid() == 0:  # root ignores permissions: a read-only mount refuses it too
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(logdir)], check=True
        )
    else:
        logdir.chmod(0o500)
    try:
        with pytest.raises(OSError, match=re.escape(str(logdir))):
            fl.FileWriter(logdir)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(logdir)], check=True)
        logdir.chmod(0o700)


def test_interpreter_exit_without_close_keeps_everything(tmp_path):
    proc = python(
        """
        import sys
        import flowlog as fl
        w = fl.SummaryWriter(sys.argv[1], flush_secs=1000)
        for i in range(5000):
            w.add_scalar("x", i, i)
        w.add_text("t", "last words", 1)
    """,
        tmp_path,
    )
    assert proc.wait() == 0, proc.stderr.read()
    assert len(scalar_points(tmp_path)) == 5000
    assert events(event_files(tmp_path)[0])[-1].summary.value[0].tag == "t/text_summary"


def test_sigkill_after_flush_keeps_flushed_data(tmp_path):
    proc = python(
        """
        import sys, time
        import flowlog as fl
        w = fl.SummaryWriter(sys.argv[1], flush_secs=1000)
        for i in range(3000):
            w.add_scalar("x", i, i)
        w.flush()
        print("flushed", flush=True)
        for i in range(3000, 10**9):
            w.add_scalar("x", i, i)
    """,
        tmp_path,
    )
    assert proc.stdout.readline() == "flushed\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    steps = [p[1] for p in scalar_points(tmp_path)]
    assert steps[:3000] == list(range(3000)) and steps == list(range(len(steps)))


def test_purge_step_writes_session_start(tmp_path):
    with fl.SummaryWriter(tmp_path, purge_step=42) as w:
        w.add_scalar("x", 1.0, 42)
    log = events(event_files(tmp_path)[0])[1]
    assert (log.step, log.session_log.status) == (42, event_pb2.SessionLog.START)


def test_add_scalars_writes_sub_runs(tmp_path):
    with fl.SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("loss/all", {"train": step, "val": -step}, step)
    assert sorted(os.listdir(tmp_path)) == sorted(
        [event_files(tmp_path)[0].name, "loss_all_train", "loss_all_val"]
    )
    assert scalar_points(tmp_path / "loss_all_val") == [("loss/all", s, -s) for s in range(3)]


def test_default_logdir_like_torch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with fl.SummaryWriter(comment="_lr0.1") as w:
        assert w.log_dir == w.get_logdir()
    (run,) = os.listdir(tmp_path / "runs")
    assert re.fullmatch(
        rf"[A-Z][a-z]{{2}}\d\d_\d\d-\d\d-\d\d_{re.escape(socket.gethostname())}_lr0\.1", run
    )


class FakeGraph:
    """Any graph object: only as_graph_def() is required."""

    def as_graph_def(self):
        g = graph_pb2.GraphDef()
        g.node.add(name="a", op="Const")
        return g


def test_file_writer_tf1(tmp_path):
    with fl.FileWriter(tmp_path, FakeGraph()) as w:
        for step in range(3):
            w.add_summary(builders.scalar("s", step, new_style=True).SerializeToString(), step)
        w.add_summary(builders.text("t", "x"))
        w.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.STOP), 3)
        w.add_run_metadata(step_stats_pb2.RunMetadata(), "run1", 2)
        with pytest.raises(ValueError, match="already used"):
            w.add_run_metadata(step_stats_pb2.RunMetadata(), "run1", 3)
        with pytest.raises(ValueError, match="not a serialized Summary"):
            w.add_summary(b"\xff\xff\xff")
        with pytest.raises(TypeError, match="list"):
            w.add_graph([1])
        assert w.get_logdir() == str(tmp_path)
    evs = events(event_files(tmp_path)[0])
    assert graph_pb2.GraphDef.FromString(evs[1].graph_def) == FakeGraph().as_graph_def()
    scalars = [e for e in evs if e.summary.value and e.summary.value[0].tag == "s"]
    assert [e.step for e in scalars] == [0, 1, 2]
    # metadata only on a tag's first value, as TensorFlow writes it
    assert [e.summary.value[0].HasField("metadata") for e in scalars] == [True, False, False]
    assert evs[-2].session_log.status == event_pb2.SessionLog.STOP and evs[-2].step == 3
    assert evs[-1].tagged_run_metadata.tag == "run1"
    assert fl.read_scalars(tmp_path)["."]["s"][2].tolist() == [0.0, 1.0, 2.0]


def test_mixed_batches_keep_add_order(tmp_path):
    """Tags of several lengths, steps crossing varint sizes, other events in between."""
    expected = []
    with fl.SummaryWriter(tmp_path, max_queue=100000) as w:  # one batch: the bulk path
        for step in [*range(120, 140), *range(16370, 16390), 2**40, -3]:
            for tag in ("a", "loss/train", "ü" * 30):
                w.add_scalar(tag, step / 8, step, walltime=step / 4)
                expected.append((tag, step))
            if step % 5 == 0:
                w.add_text("note", str(step), step)
                expected.append(("note/text_summary", step))
    got = [(e.summary.value[0].tag, e.step) for e in events(event_files(tmp_path)[0])[1:]]
    assert got == expected
    run = fl.read_scalars(tmp_path)["."]
    steps, walls, values = run["loss/train"]
    scalar_steps = [s for t, s in expected if t == "loss/train"]
    assert steps.tolist() == scalar_steps
    assert walls.tolist() == [s / 4 for s in scalar_steps]
    assert values.tolist() == [s / 8 for s in scalar_steps]


def test_event_file_writer_takes_packed_scalars_and_serialized_events_in_order(tmp_path):
    """The event writer's own queueing API, the one SummaryWriter uses: packed scalars
    (framed in bulk) and serialized events land in the file in the order they were added."""
    w = fl.EventFileWriter(tmp_path)
    loss = scalar_tag_id("loss")
    w.add_packed_scalar(SCALAR_ITEM.pack(10.0, 1, loss, 0.5))
    w.add_serialized(event_pb2.Event(wall_time=11.0, step=2, file_version="x").SerializeToString())
    w.add_packed_scalar(SCALAR_ITEM.pack(12.0, 3, loss, 1.5))
    w.flush()
    w.add_packed_scalar(SCALAR_ITEM.pack(13.0, 4, loss, 2.5))
    assert not w.closed
    w.close()
    got = [(e.step, e.wall_time, e.WhichOneof("what")) for e in events(event_files(tmp_path)[0])[1:]]
    assert got == [(1, 10.0, "summary"), (2, 11.0, "file_version"), (3, 12.0, "summary"),
                   (4, 13.0, "summary")]
    assert fl.read_scalars(tmp_path)["."]["loss"][2].tolist() == [0.5, 1.5, 2.5]
    assert w.closed
    with pytest.raises(ValueError, match="closed"):
        w.add_packed_scalar(SCALAR_ITEM.pack(14.0, 5, loss, 3.5))


def test_step_beyond_int64_is_refused(tmp_path):
    with fl.SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match=str(2**64)):
        w.add_scalar("x", 1.0, 2**64)


@pytest.mark.parametrize("step", [1.5, float("nan"), "3"])
def test_a_step_that_is_not_a_whole_number_is_refused_naming_it(tmp_path, step):
    with fl.SummaryWriter(tmp_path) as w, pytest.raises(TypeError, match="global_step") as e:
        w.add_scalar("loss", 1.0, step)
    assert repr(step) in str(e.value)
