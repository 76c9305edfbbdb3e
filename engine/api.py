"""The TF1 vocabulary `import flowlog as fl` offers: `fl.constant`, `fl.Session`, `fl.train`, ..."""

from __future__ import annotations

from types import SimpleNamespace

from flowlog.engine import app, data, errors, nn, summary, train
from flowlog.engine import multinomial_ops as _multinomial_ops
from flowlog.engine import ops as _ops
from flowlog.engine import random_ops as _random_ops
from flowlog.engine.compat_ops import (
    arg_max,
    arg_min,
    is_variable_initialized,
    to_bfloat16,
    to_double,
    to_int64,
)
from flowlog.engine.control_flow import case, cond
from flowlog.engine.dtypes import (
    DType,
    as_dtype,
    bool_,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from flowlog.engine.framework import (
    Graph,
    GraphKeys,
    Operation,
    Tensor,
    add_to_collection,
    device,
    get_collection,
    get_default_graph,
    name_scope,
    reset_default_graph,
)
from flowlog.engine.gfile import gfile, logging
from flowlog.engine.initializers import (
    constant_initializer,
    glorot_normal_initializer,
    glorot_uniform_initializer,
    ones_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    truncated_normal_initializer,
    variance_scaling_initializer,
    zeros_initializer,
)
from flowlog.engine.layers import layers
from flowlog.engine.losses import losses
from flowlog.engine.meta_graph import import_graph_def
from flowlog.engine.metrics import metrics
from flowlog.engine.moving_averages import moving_average_variables
from flowlog.engine.norm_ops import clip_by_global_norm, clip_by_norm, global_norm
from flowlog.engine.numeric_ops import count_nonzero, is_finite, is_nan, reduce_logsumexp
from flowlog.engine.ops import *
from flowlog.engine.session import (
    InteractiveSession,
    RunMetadata,
    RunOptions,
    Session,
    get_default_session,
)
from flowlog.engine.shapes import TensorShape
from flowlog.engine.split_ops import split
from flowlog.engine.summary import (
    histogram_summary,
    image_summary,
    merge_all_summaries,
    merge_summary,
    scalar_summary,
)
from flowlog.engine.tf_graph_ops import div_no_nan, dynamic_stitch, shape_n, unique
from flowlog.engine.variable_scope import (
    AUTO_REUSE,
    VariableScope,
    get_variable_scope,
    variable_scope,
)
from flowlog.engine.variables import (
    Variable,
    all_variables,
    assign,
    assign_add,
    assign_sub,
    get_variable,
    global_variables,
    global_variables_initializer,
    initialize_all_variables,
    local_variables,
    local_variables_initializer,
    trainable_variables,
    variables_initializer,
)
from flowlog.engine.while_loop import while_loop

from flowlog.proto.checkpoint_pb2 import MetaGraphDef
from flowlog.proto.event_pb2 import Event, SessionLog
from flowlog.proto.graph_pb2 import GraphDef, NodeDef
from flowlog.proto.summary_pb2 import Summary

bool = bool_
unpack = unstack  # TF 0.x's name, kept by old tutorials

# `tf.random.*`: the random ops under the names TF 1.13+ gives them.
random = SimpleNamespace(normal=random_normal, uniform=random_uniform,
                         truncated_normal=truncated_normal, shuffle=random_shuffle,
                         multinomial=multinomial, categorical=_multinomial_ops.categorical,
                         set_random_seed=set_random_seed, get_seed=_random_ops.get_seed)


class ConfigProto(SimpleNamespace):
    """Session configuration; accepted for compatibility (one CPU device, nothing to tune)."""

    def __init__(self, **kwargs):
        super().__init__(gpu_options=GPUOptions(), **kwargs)


class GPUOptions(SimpleNamespace):
    """GPU options of a ConfigProto; accepted for compatibility (flowlog runs on the CPU)."""


def get_collection_ref(key: str) -> list:
    return get_default_graph().get_collection_ref(key)


__all__ = _ops.__all__ + [
    "Event", "SessionLog", "Summary", "app", "gfile", "logging",
    "AUTO_REUSE", "VariableScope", "get_variable_scope", "variable_scope",
    "ConfigProto", "DType", "GPUOptions", "Graph", "GraphKeys", "InteractiveSession",
    "Operation", "RunMetadata", "RunOptions", "Session", "Tensor", "TensorShape", "Variable",
    "add_to_collection", "all_variables", "as_dtype", "assign", "assign_add", "assign_sub",
    "bool", "constant_initializer", "device", "double", "errors", "float16", "float32", "float64",
    "get_collection", "get_collection_ref", "get_default_graph", "get_default_session",
    "get_variable", "global_variables", "global_variables_initializer",
    "glorot_normal_initializer", "glorot_uniform_initializer", "half", "histogram_summary",
    "image_summary", "initialize_all_variables", "int8", "int16", "int32", "int64",
    "local_variables", "local_variables_initializer", "merge_all_summaries", "merge_summary",
    "name_scope", "nn", "ones_initializer", "random", "random_normal_initializer",
    "random_uniform_initializer", "reset_default_graph", "scalar_summary", "string", "summary",
    "train", "trainable_variables", "truncated_normal_initializer", "uint8", "uint16", "uint32",
    "uint64", "variables_initializer", "variance_scaling_initializer", "zeros_initializer",
]
__all__ += [
    "GraphDef",
    "MetaGraphDef",
    "NodeDef",
    "arg_max",
    "arg_min",
    "case",
    "clip_by_global_norm",
    "clip_by_norm",
    "cond",
    "count_nonzero",
    "data",
    "div_no_nan",
    "dynamic_stitch",
    "global_norm",
    "import_graph_def",
    "is_finite",
    "is_nan",
    "is_variable_initialized",
    "layers",
    "losses",
    "metrics",
    "moving_average_variables",
    "reduce_logsumexp",
    "shape_n",
    "split",
    "to_bfloat16",
    "to_double",
    "to_int64",
    "unique",
    "unpack",
    "while_loop",
]
