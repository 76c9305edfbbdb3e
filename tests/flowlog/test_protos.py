"""The committed protobuf modules are fresh and wire-compatible with TensorBoard's."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = [
    "event",
    "summary",
    "tensor",
    "tensor_shape",
    "types",
    "attr_value",
    "graph",
    "step_stats",
    "plugins",
]
# Where TensorBoard defines the counterpart of each of our messages and enums.
THEIRS = (
    [
        "tensorboard.compat.proto." + m
        for m in (
            "event_pb2",
            "summary_pb2",
            "histogram_pb2",
            "tensor_pb2",
            "tensor_shape_pb2",
            "types_pb2",
            "attr_value_pb2",
            "graph_pb2",
            "node_def_pb2",
            "versions_pb2",
            "step_stats_pb2",
            "config_pb2",
        )
    ]
    + [f"tensorboard.plugins.{p}.plugin_data_pb2" for p in ("scalar", "histogram", "image", "text")]
    + ["tensorboard.plugins.hparams.api_pb2", "tensorboard.plugins.hparams.plugin_data_pb2"]
)
RENAMED = {"HParamDataType": "DataType"}  # our name for the hparams plugin's DataType enum


def test_committed_pb2_modules_are_not_stale(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), str(tmp_path)], check=True
    )
    fresh = sorted((tmp_path / "flowlog" / "proto").glob("*_pb2.py"))
    assert [p.name for p in fresh] == sorted(
        p.name for p in (ROOT / "flowlog/proto").glob("*_pb2.py")
    )
    for path in fresh:
        committed = ROOT / "flowlog" / "proto" / path.name
        assert committed.read_bytes() == path.read_bytes(), f"{committed} is stale: run make protos"


def _ours():
    """(file, descriptor) of every message and enum we define, nested ones included."""
    found = []

    def walk(desc):
        found.append(desc)
        for nested in getattr(desc, "nested_types", []):
            walk(nested)
        found.extend(getattr(desc, "enum_types", []))

    for name in OURS:
        module = importlib.import_module(f"flowlog.proto.{name}_pb2")
        for desc in module.DESCRIPTOR.message_types_by_name.values():
            walk(desc)
        found.extend(module.DESCRIPTOR.enum_types_by_name.values())
    return found


def _relative_name(desc):
    """The name inside its proto package: "Summary.Value", "HParamInfo"."""
    return desc.full_name[len(desc.file.package) + 1 :]


def _theirs():
    index = {}
    for module_name in THEIRS:
        module = importlib.import_module(module_name)
        pending = list(module.DESCRIPTOR.message_types_by_name.values())
        pending += module.DESCRIPTOR.enum_types_by_name.values()
        while pending:
            desc = pending.pop()
            hparams = "hparams." if desc.file.package.endswith("hparams") else ""
            index.setdefault(hparams + _relative_name(desc), desc)
            pending += getattr(desc, "nested_types", [])
            pending += getattr(desc, "enum_types", [])
    return index


THEIR_INDEX = _theirs()


def _type_name(field):
    target = field.message_type or field.enum_type
    if target is None:
        return None
    name = _relative_name(target)
    return RENAMED.get(name, name)


@pytest.mark.parametrize("ours", _ours(), ids=_relative_name)
def test_fields_match_tensorboard(ours):
    name = _relative_name(ours)
    theirs = THEIR_INDEX.get(name)
    if ours.file.name.endswith("plugins.proto"):  # hparams messages live in their own package
        theirs = THEIR_INDEX.get("hparams." + RENAMED.get(name, name), theirs)
    assert theirs is not None, f"TensorBoard has no {name}"
    if hasattr(ours, "values_by_number"):  # an enum
        assert {v.number: v.name for v in ours.values} == {
            v.number: v.name for v in theirs.values if v.number in ours.values_by_number
        }
        return
    # Each field we define exists in TensorBoard's message under the same number, with the
    # same name, wire type, cardinality and message/enum type (we leave some fields out).
    for field in ours.fields:
        other = theirs.fields_by_number.get(field.number)
        assert other is not None, f"{name}.{field.name}: TensorBoard has no field {field.number}"
        assert (field.name, field.type, field.is_repeated, _type_name(field)) == (
            other.name,
            other.type,
            other.is_repeated,
            _type_name(other),
        ), f"{name}.{field.name}"
        oneof = field.containing_oneof
        assert (oneof and oneof.name) == (other.containing_oneof and other.containing_oneof.name)
