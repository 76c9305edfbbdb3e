"""Followers, kills, full disks: nothing acknowledged is lost and every failure is reported."""

import os
import random
import re
import signal
import subprocess

import pytest
from flowlog_testutil import event_files, events, python, scalar_points

import flowlog as fl
from flowlog.events import writer as eventfile
from flowlog.events.record_reader import RecordReader
from flowlog.events.records import frame
from flowlog.events.values import EventFileReader
from flowlog.proto import event_pb2, summary_pb2


def _record(step):
    summary = summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="t" * (step % 7 + 1), simple_value=step)]
    )
    return frame(event_pb2.Event(step=step, wall_time=step, summary=summary).SerializeToString())


def test_follower_sees_each_record_once_in_order(tmp_path):
    """Another process appends in random pieces, cutting records anywhere (torn tails)."""
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(b"")
    blob = b"".join(_record(i) for i in range(400))
    rng = random.Random(2)
    cuts = sorted(rng.sample(range(1, len(blob)), 150))
    appender = python(
        """
        import sys
        with open(sys.argv[1], "ab", buffering=0) as f:
            for line in sys.stdin:
                start, end = map(int, line.split())
                f.write(bytes.fromhex(sys.argv[2])[start:end])
                print("ok", flush=True)
    """,
        path,
        blob.hex(),
        stdin=subprocess.PIPE,
    )
    records = RecordReader(path)
    event_reader = EventFileReader(path)
    seen, seen_events = [], []
    for start, end in zip([0, *cuts], [*cuts, len(blob)]):
        appender.stdin.write(f"{start} {end}\n")
        appender.stdin.flush()
        assert appender.stdout.readline() == "ok\n"
        seen += list(records.read())
        seen_events += [e.step for e in event_reader.read()]
    appender.stdin.close()
    assert appender.wait() == 0
    assert [event_pb2.Event.FromString(r).step for r in seen] == list(range(400))
    assert seen_events == list(range(400))
    assert records.corrupt_records == 0 and records.offset == len(blob)


KILLED_WRITER = """
    import sys
    import flowlog as fl
    w = fl.SummaryWriter(sys.argv[1], max_queue=int(sys.argv[2]), flush_secs=1000)
    step = 0
    while True:
        for _ in range(int(sys.argv[3])):
            w.add_scalar("x", step * 0.5, step)
            step += 1
        if step % 7 == 0:
            w.add_text("note", "text between scalars", step)
        w.flush()
        print(step, flush=True)
"""


@pytest.mark.parametrize("seed", range(6))
def test_sigkill_at_random_moments_keeps_what_flush_acknowledged(tmp_path, seed):
    rng = random.Random(seed)
    proc = python(KILLED_WRITER, tmp_path, rng.choice([1, 16, 1024]), rng.randint(1, 300))
    acked = 0
    for _ in range(rng.randint(1, 40)):
        acked = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)  # while it adds, flushes or writes: whatever it is doing
    proc.wait()
    (path,) = event_files(tmp_path)
    reader = RecordReader(path)
    steps = [
        e.step
        for e in map(event_pb2.Event.FromString, reader.read())
        if e.summary.value and e.summary.value[0].tag == "x"
    ]
    assert steps[:acked] == list(range(acked)) and steps == list(range(len(steps)))
    assert reader.corrupt_records == 0  # at most a record in progress at the end
    assert fl.read_scalars(tmp_path)["."]["x"][0].tolist() == steps


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MiB tmpfs of our own: a real disk that fills up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; test_file_size_limit covers the error path")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_disk_full_raises_on_next_call_naming_the_file_and_loses_nothing(tiny_disk):
    blocker = tiny_disk / "blocker"
    w = fl.SummaryWriter(tiny_disk / "run", max_queue=64)
    stat = os.statvfs(tiny_disk)
    blocker.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - 8192))  # leave 8 KiB
    path = w.file_writer.path
    added = 0  # the call that raises adds nothing
    with pytest.raises(OSError, match=re.escape(path)) as caught:
        for step in range(200000):  # 6 MB: more than the disk holds
            w.add_scalar("x", step, step)
            added += 1
    assert caught.value.errno == 28  # ENOSPC
    blocker.unlink()  # space again: the writer retries what it kept
    w.add_scalar("x", -1.0, added)
    w.close()
    steps = [s for _, s, _ in scalar_points(tiny_disk / "run")]
    assert steps == list(range(added + 1))


def test_file_size_limit_surfaces_on_flush(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse writes past 20 KB (EFBIG), no privileges needed."""
    proc = python(
        """
        import resource, signal, sys
        import flowlog as fl
        from flowlog.summaries import builders
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get the error, not the signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
        w = fl.FileWriter(sys.argv[1])
        try:
            for step in range(5000):
                w.add_summary(builders.scalar("x", step), step)
            w.flush()
        except OSError as e:
            print("error", e.errno, e, flush=True)
        try:
            w.close()
        except OSError as e:
            print("close", e.errno, flush=True)
    """,
        tmp_path,
    )
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    (path,) = event_files(tmp_path)
    assert "error 27 " in out and str(path) in out  # EFBIG, naming the file
    assert "close 27" in out  # what could not be written is reported again, not dropped
    steps = [e.step for e in events(path)[1:]]
    assert steps == list(range(len(steps))) and os.path.getsize(path) <= 20000


def test_forked_child_does_not_write_the_parents_pending_events(tmp_path):
    """A forked child (a data loader worker, say) holds a copy of what is pending."""
    w = fl.SummaryWriter(tmp_path, flush_secs=1000)
    for step in range(100):
        w.add_scalar("x", step, step)
    pid = os.fork()
    if pid == 0:  # the child: its copy of the writer refuses work and writes nothing at exit
        try:
            w.add_scalar("x", -1.0, 100)
            code = 1
        except ValueError:
            code = 0
        eventfile._close_open_writers()  # what the child's interpreter exit would run
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    w.close()
    assert [s for _, s, _ in scalar_points(tmp_path)] == list(range(100))
