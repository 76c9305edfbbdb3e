"""The hparams plugin's summaries: an experiment, and a session's start and end."""

from __future__ import annotations

import numbers
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from google.protobuf import struct_pb2

from flowlog.proto import plugins_pb2, summary_pb2, tensor_pb2, types_pb2
from flowlog.summaries.builders import _metadata, _tensor_summary, check_tag, to_float

HPARAMS_EXPERIMENT_TAG = "_hparams_/experiment"
HPARAMS_SESSION_START_TAG = "_hparams_/session_start_info"
HPARAMS_SESSION_END_TAG = "_hparams_/session_end_info"


def _hparams_summary(tag: str, data: plugins_pb2.HParamsPluginData) -> summary_pb2.Summary:
    # TensorBoard stores a float 0 beside the metadata, which carries the actual content.
    null = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[0.0])
    return _tensor_summary(tag, null, _metadata("hparams", data.SerializeToString()))


def _domain(name: str, value: Any, domain: Any) -> struct_pb2.ListValue:
    """The discrete domain of hparam `name`: a list of values of the hparam's own type."""
    kind = bool if isinstance(value, (bool, np.bool_)) else str if isinstance(value, str) else float
    if not isinstance(domain, (list, tuple)) or not all(
        isinstance(d, str) if kind is str else isinstance(d, (bool, np.bool_)) if kind is bool
        else isinstance(d, numbers.Real) and not isinstance(d, (bool, np.bool_))
        for d in domain
    ):
        raise TypeError(
            f"hparam_domain_discrete[{name!r}] must be a list of {kind.__name__} values like "
            f"hparam_dict[{name!r}] = {value!r}, got {domain!r}"
        )
    values = struct_pb2.ListValue()
    for d in domain:
        if kind is str:
            values.values.add(string_value=d)
        elif kind is bool:
            values.values.add(bool_value=bool(d))
        else:
            values.values.add(number_value=float(d))
    return values


def hparams(
    hparam_dict: Mapping[str, Any],
    metric_dict: Mapping[str, Any],
    hparam_domain_discrete: Mapping[str, Any] | None = None,
) -> list[summary_pb2.Summary]:
    """The hparams plugin's experiment, session-start and session-end summaries.

    Values may be str, bool or real numbers (NumPy scalars and `.item()` objects too);
    `None` values are left out, like TensorBoard does. `hparam_domain_discrete` gives
    some hparams the list of values they can take (the plugin's filter checkboxes).
    """
    if not isinstance(hparam_dict, Mapping) or not isinstance(metric_dict, Mapping):
        raise TypeError(
            f"hparam_dict and metric_dict must be dicts, got {type(hparam_dict).__name__} "
            f"and {type(metric_dict).__name__}"
        )
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, Mapping):
        raise TypeError(
            "hparam_domain_discrete must be a dict of hparam name -> list of values, got "
            f"{type(domains).__name__}"
        )
    for name in domains:
        if name not in hparam_dict:
            raise ValueError(
                f"hparam_domain_discrete names {name!r}, which is not in hparam_dict "
                f"({', '.join(map(repr, hparam_dict))})"
            )
    start = plugins_pb2.SessionStartInfo(start_time_secs=time.time())
    infos = []
    for name, value in hparam_dict.items():
        check_tag(name)
        if value is None:
            continue
        if isinstance(value, str):
            start.hparams[name].string_value = value
            kind = plugins_pb2.DATA_TYPE_STRING
        elif isinstance(value, (bool, np.bool_)):
            start.hparams[name].bool_value = bool(value)
            kind = plugins_pb2.DATA_TYPE_BOOL
        else:
            try:
                start.hparams[name].number_value = to_float(value, name)
            except TypeError:
                raise TypeError(
                    f"hparam {name!r} must be a str, bool or number, got {value!r}"
                ) from None
            kind = plugins_pb2.DATA_TYPE_FLOAT64
        info = plugins_pb2.HParamInfo(name=name, type=kind)
        if name in domains:
            info.domain_discrete.CopyFrom(_domain(name, value, domains[name]))
        infos.append(info)
    metrics = [
        plugins_pb2.MetricInfo(name=plugins_pb2.MetricName(tag=check_tag(k))) for k in metric_dict
    ]
    experiment = plugins_pb2.Experiment(
        hparam_infos=infos, metric_infos=metrics, time_created_secs=start.start_time_secs
    )
    end = plugins_pb2.SessionEndInfo(status=plugins_pb2.STATUS_SUCCESS, end_time_secs=time.time())
    return [
        _hparams_summary(
            HPARAMS_EXPERIMENT_TAG, plugins_pb2.HParamsPluginData(experiment=experiment)
        ),
        _hparams_summary(
            HPARAMS_SESSION_START_TAG, plugins_pb2.HParamsPluginData(session_start_info=start)
        ),
        _hparams_summary(
            HPARAMS_SESSION_END_TAG, plugins_pb2.HParamsPluginData(session_end_info=end)
        ),
    ]
