"""Damaged event files: the reader yields exactly the intact records, never raises, stays small."""

import json
import struct
import tracemalloc
import warnings
from pathlib import Path

import google_crc32c
import numpy as np
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowlog as fl
from flowlog.events.record_reader import RecordReader
from flowlog.events.records import frame
from flowlog.proto import event_pb2, summary_pb2

DATA = Path(__file__).parent / "data"


def _masked(data):
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def reference_records(blob):
    """The definition, byte by byte: at each position an intact record is taken whole,
    anything else moves one byte on."""
    out, p = [], 0
    while p + 16 <= len(blob):
        (length,) = struct.unpack_from("<Q", blob, p)
        (length_crc,) = struct.unpack_from("<I", blob, p + 8)
        end = p + 12 + length
        if (
            _masked(blob[p : p + 8]) == length_crc
            and end + 4 <= len(blob)
            and _masked(blob[p + 12 : end]) == struct.unpack_from("<I", blob, end)[0]
        ):
            out.append(blob[p + 12 : end])
            p = end + 4
        else:
            p += 1
    return out


def scalar_event(tag, step, value):
    return event_pb2.Event(
        wall_time=1000.0 + step,
        step=step,
        summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]),
    ).SerializeToString()


payloads = st.one_of(
    st.builds(
        scalar_event,
        st.sampled_from(["loss", "acc", "a/b/c"]),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(width=32),
    ),
    st.binary(max_size=40),
)


@st.composite
def damaged_files(draw):
    """Records (many alike, so the bulk paths run), then damage of every kind."""
    records = [frame(p) for p in draw(st.lists(payloads, max_size=12))]
    records += [frame(scalar_event("bulk", i, float(i))) for i in range(draw(st.integers(0, 60)))]
    blob = bytearray(b"".join(draw(st.permutations(records))))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "truncate", "huge_length", "torn"]))
        at = draw(st.integers(0, len(blob)))
        if kind == "flip" and blob:
            i = min(at, len(blob) - 1)
            blob[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            blob[at:at] = draw(st.binary(min_size=1, max_size=30))
        elif kind == "truncate":
            del blob[at:]
        elif kind == "huge_length":  # a length no file holds, with a valid CRC of its own
            length = struct.pack("<Q", draw(st.integers(2**20, 2**64 - 1)))
            blob[at:at] = length + struct.pack("<I", _masked(length)) + b"\0" * 8
        elif kind == "torn" and records:  # part of a record written, then others after it
            blob[at:at] = draw(st.sampled_from(records))[: draw(st.integers(1, 30))]
    return bytes(blob)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_files())
def test_reader_yields_exactly_the_intact_records(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("fuzz") / "events.out.tfevents.1"
    path.write_bytes(blob)
    expected = reference_records(blob)
    tracemalloc.start()
    try:
        got = list(RecordReader(path).read())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == expected
    # whatever a length field says, memory stays a small multiple of the file
    assert peak < 16 * len(blob) + (1 << 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        steps = fl.read_scalars(path.parent).get(".", {})
    want = {}
    for data in expected:
        try:
            event = event_pb2.Event.FromString(data)
        except DecodeError:  # random bytes are rarely an Event
            event = event_pb2.Event()
        for v in event.summary.value:
            if v.WhichOneof("value") == "simple_value":
                want.setdefault(v.tag, []).append((event.step, v.simple_value))
    got_points = {tag: list(zip(s.tolist(), v.tolist())) for tag, (s, _, v) in steps.items()}
    assert got_points.keys() == want.keys()
    for tag, points in want.items():
        np.testing.assert_array_equal(np.array(got_points[tag]), np.array(points))


def test_mutation_corpus():
    """Hand-damaged files kept in tests/flowlog/data: each yields the records listed for it."""
    manifest = json.loads((DATA / "corpus.json").read_text())
    assert len(manifest) >= 8
    for name, steps in manifest.items():
        path = DATA / name
        records = list(RecordReader(path).read())
        assert records == reference_records(path.read_bytes()), name
        got = [event_pb2.Event.FromString(r).step for r in records]
        assert got == steps, name


def test_huge_length_does_not_allocate(tmp_path):
    length = struct.pack("<Q", 2**62)
    blob = frame(scalar_event("x", 1, 1.0)) + length + struct.pack("<I", _masked(length))
    blob += b"\0" * 100 + frame(scalar_event("x", 2, 2.0))
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(blob)
    reader = RecordReader(path)
    assert [event_pb2.Event.FromString(r).step for r in reader.read()] == [1, 2]
    assert reader.corrupt_records == 1
