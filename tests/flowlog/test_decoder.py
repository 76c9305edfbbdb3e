"""The one decoder against protobuf: every layout real writers produce, built with TensorBoard's
own protos (and with field orders and unknown fields protobuf allows), reads as protobuf reads it."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2
from tensorboard.util import tensor_util

import flowlog as fl
from flowlog.events.records import frame
from flowlog.events.wire import varint

SCALARS = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))


def simple(tag, x):
    return summary_pb2.Summary.Value(tag=tag, simple_value=x)


def tensor(tag, x, dtype="float32", how="content", meta=True):
    """A TF2-style scalar tensor value; `how`: tensor_content, or the dtype's *_val field."""
    if how == "content":
        t = tensor_pb2.TensorProto(dtype=tensor_util.make_tensor_proto(
            np.zeros((), dtype)).dtype, tensor_content=np.asarray(x, dtype).tobytes())
        t.tensor_shape.SetInParent()
    else:
        t = tensor_util.make_tensor_proto(np.asarray(x, dtype))
    v = summary_pb2.Summary.Value(tag=tag, tensor=t)
    if meta:
        v.metadata.CopyFrom(SCALARS)
    return v


def event(step, values, wall=None):
    return event_pb2.Event(step=step, wall_time=1.7e9 + step if wall is None else wall,
                           summary=summary_pb2.Summary(value=values))


def write(run_dir, records: list[bytes]):
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "events.out.tfevents.1.host").write_bytes(b"".join(frame(r) for r in records))


def by_protobuf(records: list[bytes]) -> dict[str, list[tuple[int, float, float]]]:
    """What TensorBoard makes of the records: (step, wall, value) per tag, in file order."""
    plugins, out = {}, {}
    for data in records:
        e = event_pb2.Event.FromString(data)
        for v in e.summary.value:
            if v.metadata.plugin_data.plugin_name:
                plugins[v.tag] = v.metadata.plugin_data.plugin_name
            if v.WhichOneof("value") == "simple_value":
                x = v.simple_value
            elif v.WhichOneof("value") == "tensor" and plugins.get(v.tag) == "scalars":
                x = float(tensor_util.make_ndarray(v.tensor).reshape(-1)[0])
            else:
                continue
            out.setdefault(v.tag, []).append((e.step, e.wall_time, x))
    return out


def by_flowlog(logdir) -> dict[str, list[tuple[int, float, float]]]:
    (tags,) = fl.read_scalars(logdir).values()
    return {t: list(zip(s.tolist(), w.tolist(), v.tolist())) for t, (s, w, v) in tags.items()}


def check(tmp_path, records):
    write(tmp_path / "run", records)
    assert by_flowlog(tmp_path) == by_protobuf(records)


STEPS = [*range(300), 2**20, 2**40, -5]  # varints of 1 to 10 bytes, step 0 left out by proto3


@pytest.mark.parametrize("layout", [
    "simple", "merged", "tensor_float", "tensor_double", "tensor_half", "tensor_int32",
    "tensor_int64", "float_val", "double_val", "meta_every_event", "mixed_with_histograms",
])
def test_every_writer_layout_reads_as_protobuf_reads_it(tmp_path, layout):
    tags = [f"loss/{c}" for c in "abcdefghij"]
    records = []
    for step in STEPS:
        xs = [np.sin(step + i) * 10 for i in range(len(tags))]
        if layout == "simple":
            records += [event(step, [simple(t, x)]).SerializeToString() for t, x in zip(tags, xs)]
        elif layout == "merged":
            records.append(event(step, [simple(t, x) for t, x in zip(tags, xs)]).SerializeToString())
        elif layout == "mixed_with_histograms":
            h = summary_pb2.Summary.Value(tag="w", histo=summary_pb2.HistogramProto(
                min=0, max=1, num=2, bucket_limit=[1.0], bucket=[2.0]))
            values = [simple(t, x) for t, x in zip(tags, xs)]
            records.append(event(step, values + ([h] if step % 3 == 0 else [])).SerializeToString())
        elif layout == "meta_every_event":
            records += [event(step, [tensor(t, x)]).SerializeToString() for t, x in zip(tags, xs)]
        else:
            dtype = {"tensor_float": "float32", "tensor_double": "float64", "float_val": "float32",
                     "tensor_half": "float16", "tensor_int32": "int32", "tensor_int64": "int64",
                     "double_val": "float64"}[layout]
            how = "val" if layout.endswith("_val") else "content"
            first = step == STEPS[0]
            records += [event(step, [tensor(t, x, dtype, how, meta=first)]).SerializeToString()
                        for t, x in zip(tags, xs)]
    check(tmp_path, records)


def test_tensors_of_other_plugins_are_not_scalars(tmp_path):
    other = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="custom"))
    records = []
    for step in range(1, 100):
        a, b = tensor("mine", float(step), meta=step == 1), tensor("theirs", -1.0, meta=False)
        if step == 1:
            b.metadata.CopyFrom(other)
        records += [event(step, [a]).SerializeToString(), event(step, [b]).SerializeToString()]
    check(tmp_path, records)
    assert set(by_flowlog(tmp_path)) == {"mine"}


def _field(num: int, wire: int, payload: bytes) -> bytes:
    if wire == 2:
        payload = varint(len(payload)) + payload
    return varint(num << 3 | wire) + payload


def _scalar_event(step: int, tag: str, x: float, order: str, extra: bytes = b"") -> bytes:
    """A simple scalar event written field by field, in the given field order."""
    value = [_field(1, 2, tag.encode()), _field(2, 5, struct.pack("<f", x))]
    top = [_field(1, 1, struct.pack("<d", 1.7e9 + step)), _field(2, 0, varint(step)),
           _field(5, 2, _field(1, 2, b"".join(value[::-1] if order == "reversed" else value)))]
    if order == "reversed":
        top = top[::-1]
    return b"".join(top) + extra


@pytest.mark.parametrize("order,extra", [
    ("reversed", b""),
    ("plain", _field(99, 0, varint(7))),                        # an unknown varint field
    ("plain", _field(2, 0, varint(123))),                       # step again: the last one wins
    ("reversed", _field(100, 2, b"unknown bytes")),
])
def test_field_orders_and_unknown_fields_read_as_protobuf_reads_them(tmp_path, order, extra):
    records = [_scalar_event(s, f"t{s % 4}", s * 0.5, order, extra) for s in range(1, 200)]
    check(tmp_path, records)


def test_records_of_equal_length_but_another_structure_are_not_misread(tmp_path):
    """Same byte length as the scalars around them, numbers elsewhere: never read as theirs."""
    records = []
    for s in range(1, 200):
        records.append(event(s, [simple("ab", s)]).SerializeToString())
        # a tag one byte longer and no wall time field change where every number sits
        odd = event_pb2.Event(step=s, summary=summary_pb2.Summary(value=[simple("abc", -s)]))
        records.append(odd.SerializeToString() + _field(98, 0, b"\x01"))
    check(tmp_path, records)


value_st = st.one_of(
    st.builds(lambda t, x: ("simple", t, x), st.sampled_from("abc"),
              st.floats(width=32, allow_nan=False)),
    st.builds(lambda t, x: ("tensor", t, x), st.sampled_from("xyz"),
              st.floats(allow_nan=False)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(st.tuples(st.integers(-2, 2**35), st.lists(value_st, min_size=1, max_size=3)),
                       min_size=1, max_size=60),
       repeat=st.integers(1, 20))
def test_any_mix_of_layouts_reads_as_protobuf_reads_it(tmp_path_factory, events, repeat):
    records = []
    for _ in range(repeat):  # repeated, so that size groups are big enough for templates
        for step, values in events:
            vs = [simple(t, x) if kind == "simple" else tensor(t, x, "float64")
                  for kind, t, x in values]
            records.append(event(step, vs).SerializeToString())
    tmp = tmp_path_factory.mktemp("mix")
    check(tmp, records)
