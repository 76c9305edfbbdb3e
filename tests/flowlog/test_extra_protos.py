"""Our protos of the pr_curves, custom_scalars, mesh, audio and projector plugins are
wire-compatible with TensorBoard's: same field numbers, names, types, cardinality."""

import pytest
from tensorboard.plugins.audio import plugin_data_pb2 as audio_pb2
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.mesh import plugin_data_pb2 as mesh_pb2
from tensorboard.plugins.pr_curve import plugin_data_pb2 as pr_pb2
from tensorboard.plugins.projector import projector_config_pb2

from flowlog.proto import extra_plugins_pb2

THEIRS = [pr_pb2, layout_pb2, mesh_pb2, audio_pb2, projector_config_pb2]


def _walk(module):
    pending, found = list(module.DESCRIPTOR.message_types_by_name.values()), []
    while pending:
        desc = pending.pop()
        found.append(desc)
        pending += desc.nested_types
    return found


def _short(desc):
    return desc.full_name[len(desc.file.package) + 1 :]


THEIR_INDEX = {_short(d): d for m in THEIRS for d in _walk(m)}


def _signature(field):
    target = field.message_type or field.enum_type
    oneof = field.containing_oneof
    return (field.name, field.type, field.is_repeated, target and _short(target),
            oneof and oneof.name)


@pytest.mark.parametrize("ours", _walk(extra_plugins_pb2), ids=_short)
def test_plugin_messages_match_tensorboard(ours):
    theirs = THEIR_INDEX[_short(ours)]
    assert {f.number: _signature(f) for f in ours.fields} == {
        f.number: _signature(f) for f in theirs.fields
    }
    for enum in ours.enum_types:
        other = theirs.enum_types_by_name[enum.name]
        assert {v.number: v.name for v in enum.values} == {v.number: v.name for v in other.values}
