"""The hparams table: each run's hparams and the last value of its experiment's metrics."""
from __future__ import annotations

from collections.abc import Iterable

from .runs import Run


def table(runs: dict[str, Run]) -> list[dict]:
    """[{run, hparams: {name: value}, metrics: {tag: last value or None}}] of every run with
    hparams, sorted by run; metrics, and hparams where the run knows the order, in their
    experiment's order (the order they were logged in), other hparams by name.

    Metrics are the tags of the run's experiment (or, lacking one, of its nearest parent
    run's), looked up in the run and its sub-runs (torch and tensorboardX write them into a
    sub-run named by the time); a metric in group G is looked up in the sub-run G first.
    Linear in the number of runs (times the depth of the run tree): sub-runs are indexed by
    the runs with hparams above them once per call, never searched for per run.
    """
    below = _runs_below(runs)
    out = []
    for name, run in sorted(runs.items()):
        values = run.hparams
        if values is None:
            continue
        experiment = _experiment(name, runs)
        metrics = {}
        for group, tag in experiment.hparam_metrics if experiment else ():
            key = f"{group}/{tag}" if group else tag
            metrics[key] = _last_value(name, group, tag, runs, below.get(name, ()))
        # The experiment lists the hparams in the order they were logged; the session's map
        # of values has no order of its own (protobuf's differs from one process to the next).
        names = (experiment.hparam_names if experiment else None) or ()
        out.append({"run": name, "hparams": _ordered(values, names), "metrics": metrics})
    return out


def _parents(name: str):
    """The names above run `name`, nearest first: "a/b/c" -> "a/b", "a", "."."""
    while name != ".":
        name = name.rsplit("/", 1)[0] if "/" in name else "."
        yield name


def _runs_below(runs: dict[str, Run]) -> dict[str, list[Run]]:
    """For each run with hparams, the runs anywhere below it; one pass over the runs."""
    wanted = {name for name, run in runs.items() if run.hparams is not None}
    below: dict[str, list[Run]] = {}
    for name, run in runs.items():
        for parent in _parents(name):
            if parent in wanted:
                below.setdefault(parent, []).append(run)
    return below


def _experiment(name: str, runs: dict[str, Run]) -> Run | None:
    """The run holding the experiment of run `name`: itself, else its nearest parent with one."""
    for candidate in (name, *_parents(name)):
        run = runs.get(candidate)
        if run is not None and run.hparam_metrics is not None:
            return run
    return None


def _ordered(values: dict, names) -> dict:
    """`values` in the order of `names`, then any others by name, the same on every restart."""
    first = [n for n in names if n in values]
    rest = sorted(set(values).difference(first))
    return {n: values[n] for n in first + rest}


def _last_value(name: str, group: str, tag: str, runs: dict[str, Run],
                below: Iterable[Run]) -> float | None:
    """The newest value of `tag` in run `name/group`, else the run, else the sub-run (among
    `below`, the runs under `name`) that logged it last."""
    prefix = "" if name == "." else name + "/"
    for candidate in ([prefix + group] if group else []) + [name]:
        last = _last_point(runs.get(candidate), tag)
        if last is not None:
            return last[1]
    subs = (_last_point(run, tag) for run in below)
    return max((p for p in subs if p is not None), default=(None, None))[1]


def _last_point(run: Run | None, tag: str) -> tuple[float, float] | None:
    """(wall time, value) of the point of `tag` with the highest step, if any."""
    series = run.scalars.get(tag) if run is not None else None
    if series is None:
        return None
    return series.last()
