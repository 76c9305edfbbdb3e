"""Logdirs on object storage, against a real S3 endpoint (moto's server over HTTP) with s3fs."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request
import uuid
import warnings

import boto3
import numpy as np
import pytest
from s3_server import s3_endpoint

import flowlog as fl
from flowlog.events.record_reader import RecordReader
from flowlog.proto import event_pb2


@pytest.fixture(scope="module")
def proxy():
    import s3fs

    with s3_endpoint() as p:
        s3fs.S3FileSystem.clear_instance_cache()  # no client of another endpoint
        yield p
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def bucket(proxy):
    name = f"logs-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=proxy.url).create_bucket(Bucket=name)
    return name


def objects(bucket: str, prefix: str = "") -> dict[str, int]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: o["Size"] for o in listed.get("Contents", [])}


def test_a_url_never_becomes_a_local_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="'nosuch://logs/a'.*unknown storage scheme"):
        fl.SummaryWriter("nosuch://logs/a")
    with pytest.raises(ValueError, match="nosuch"):
        fl.read_scalars("nosuch://logs")
    if importlib.util.find_spec("gcsfs") is None:
        with pytest.raises(ImportError, match=re.escape("pip install 'flowlog[gcs]'")):
            fl.read_scalars("gs://logs/exp")
    assert os.listdir(tmp_path) == []


def test_what_is_written_to_a_bucket_reads_back_the_same_everywhere(bucket, flowboard_server):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    for r in range(3):
        with fl.SummaryWriter(f"s3://{bucket}/exp/run{r}") as w:
            for step in range(2000):
                w.add_scalar("loss", 1.0 / (step + 1) + r, step)
            w.add_histogram("weights", np.arange(100.0), 5)
    runs = fl.read_scalars(f"s3://{bucket}/exp")
    assert sorted(runs) == ["run0", "run1", "run2"]
    want = [np.float32(1.0 / (s + 1) + 2) for s in range(2000)]
    assert runs["run2"]["loss"][0].tolist() == list(range(2000))
    assert runs["run2"]["loss"][2].tolist() == want
    # TensorBoard reads the bucket through its own S3 client
    acc = EventAccumulator(f"s3://{bucket}/exp/run2", size_guidance={"scalars": 0})
    acc.Reload()
    assert [e.value for e in acc.Scalars("loss")] == want
    assert acc.Tags()["histograms"] == ["weights"]
    # flowboard serves the bucket like a local logdir
    url = flowboard_server(f"s3://{bucket}/exp")
    target = url + "data/plugin/scalars/scalars?" + urllib.parse.urlencode(
        {"run": "run2", "tag": "loss"})
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(target, timeout=10) as resp:
                points = json.load(resp)
            break
        except OSError:
            assert time.time() < deadline, "flowboard did not serve the bucket"
            time.sleep(0.3)
    assert [p[1] for p in points] == list(range(2000)) and [p[2] for p in points] == want


def test_each_flush_is_a_new_object_and_no_byte_is_uploaded_twice(bucket, proxy):
    before_bytes, before_puts = proxy.put_bytes, proxy.puts
    with fl.SummaryWriter(f"s3://{bucket}/run") as w:
        for step in range(20_000):
            w.add_scalar("loss", float(step), step)
            if step % 2000 == 1999:
                w.flush()  # returns once the object exists
                assert len(objects(bucket)) == (step + 1) // 2000
    stored = objects(bucket)
    assert len(stored) == 10 and proxy.puts - before_puts == 10
    assert proxy.put_bytes - before_bytes == sum(stored.values())  # ratio 1.0
    # every part is whole records, and the parts in name order are the points in order
    steps = []
    for key in sorted(stored):
        reader = RecordReader(f"s3://{bucket}/{key}")
        events = [event_pb2.Event.FromString(r) for r in reader.read()]
        assert reader.corrupt_records == 0
        steps += [e.step for e in events if e.HasField("summary")]
    assert steps == list(range(20_000))


WRITER = textwrap.dedent("""
    import socket, sys
    socket.gethostname = lambda: "same-host"  # the worst case: every writer on one name
    import flowlog as fl
    with fl.SummaryWriter(sys.argv[1], flush_secs=0.2) as w:
        for step in range(10_000):
            w.add_scalar(f"p{sys.argv[2]}", float(step), step)
""")


def test_many_writers_share_one_run_in_a_bucket_while_flowboard_serves_it(bucket,
                                                                             flowboard_server):
    url = flowboard_server(f"s3://{bucket}", "--reload-interval", "0.5")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, f"s3://{bucket}/shared", str(i)])
             for i in range(8)]
    assert [p.wait(120) for p in procs] == [0] * 8
    names = [k.rsplit("/", 1)[1] for k in objects(bucket)]
    assert len(set(names)) == len(names) and all(".same-host." in n for n in names)
    deadline = time.time() + 90
    for i in range(8):
        target = url + "data/plugin/scalars/scalars?" + urllib.parse.urlencode(
            {"run": "shared", "tag": f"p{i}"})
        while True:
            try:
                with urllib.request.urlopen(target, timeout=10) as resp:
                    if [p[1] for p in json.load(resp)] == list(range(10_000)):
                        break
            except OSError:
                pass
            assert time.time() < deadline, f"writer {i}'s points did not all appear"
            time.sleep(0.5)


def test_a_store_outage_loses_nothing_and_says_so(bucket, proxy, monkeypatch):
    import s3fs

    from flowlog.storage import objects as parts

    monkeypatch.setattr(parts, "BACKOFF", 0.05)  # retries over ~1.6 s instead of ~16 s
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # only ours: the S3 client's own would add ~30 s
    s3fs.S3FileSystem.clear_instance_cache()
    w = fl.SummaryWriter(f"s3://{bucket}/run", flush_secs=3600)
    for step in range(100):
        w.add_scalar("loss", float(step), step)
    w.flush()
    proxy.failing.set()
    try:
        for step in range(100, 200):
            w.add_scalar("loss", float(step), step)
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            with pytest.raises(OSError, match=f"s3://{bucket}/run/events.*failed after"):
                w.flush()
        assert any("retrying" in str(m.message) for m in said)
        assert proxy.refused >= parts.RETRIES
        # a short outage is ridden out by the retries alone
        threading.Timer(0.5, proxy.failing.clear).start()
        for step in range(200, 300):
            w.add_scalar("loss", float(step), step)
        w.close()
    finally:
        proxy.failing.clear()
        s3fs.S3FileSystem.clear_instance_cache()
    steps = fl.read_scalars(f"s3://{bucket}/run")["."]["loss"][0]
    assert steps.tolist() == list(range(300))
