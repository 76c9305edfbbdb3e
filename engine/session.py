"""Session: runs the fetched part of a graph with compiled, cached plans; holds variable values."""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import numpy as np
from flowlog.engine import allocator, threads
from flowlog.engine.default_session import get_default_session, session_stack
from flowlog.engine.framework import Operation, Tensor, get_default_graph, to_numpy
from flowlog.engine.philox import PhiloxStream
from flowlog.engine.plan import Cell, Plan, build_plan, shape_checker

from flowlog.proto import step_stats_pb2

__all__ = ["DEVICE", "InteractiveSession", "RunMetadata", "RunOptions", "Session",
           "get_default_session"]

DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


class Session:
    """Runs operations of `graph` (default: the default graph); variables live here, per session.

    `run(fetches, feed_dict)` compiles a plan once per (fetches, feeds) signature and reuses it;
    plans are dropped when the graph grows.
    """

    def __init__(self, graph=None, config=None, target: str = ""):
        self.graph = graph if graph is not None else get_default_graph()
        self.config = config
        threads.configure(config)  # BLAS threads: intra_op_parallelism_threads, else one
        allocator.keep_freed_memory()  # a step's buffers stay mapped for the next step
        self.sess_str = target
        self._closed = False
        self._cells: dict[Operation, Cell] = {}
        self._rngs: dict[Operation, PhiloxStream] = {}
        self._plans: dict = {}
        self._traced: dict = {}
        self._version = -1
        self._contexts: list = []

    # --- running -------------------------------------------------------------------------

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Values of `fetches` (a tensor, op, name, or nested list/tuple/dict/namedtuple of them).

        Operations fetched give None. `feed_dict` maps tensors (or their names) to values that
        replace them for this run. With `options.trace_level` set and a `run_metadata`, per-op
        timings go to `run_metadata.step_stats`.
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self._version != len(self.graph._ops):
            self._plans.clear()
            self._traced.clear()
            self._version = len(self.graph._ops)
        if options is not None and options.trace_level and run_metadata is not None:
            return self._run_traced(fetches, feed_dict, run_metadata)
        # The fast path: one dict lookup of the signature, then the compiled plan.
        t = type(fetches)
        if t is list or t is tuple:
            key = (t, *fetches)
        elif t is dict:
            key = (t, *fetches.items())
        else:
            key = fetches
        if feed_dict:
            key = (key, tuple(feed_dict))
        try:
            plan = self._plans[key]
        except KeyError:
            plan = self._plans[key] = self._plan(fetches, feed_dict)
        except TypeError:  # lists or dicts inside the fetch structure
            plan = self._cached(self._plans, fetches, feed_dict, False)
        try:
            return plan.fn(*feed_dict.values()) if feed_dict else plan.fn()
        except Exception as e:  # noqa: BLE001 - re-raised, in TF's terms where it has them
            plan.reraise(e)

    def _run_traced(self, fetches, feed_dict, run_metadata):
        plan = self._cached(self._traced, fetches, feed_dict, True)
        stats: list = []
        start = time.time_ns()
        t0 = time.perf_counter_ns()
        try:
            return plan.fn(stats, *(feed_dict or {}).values())
        except Exception as e:  # noqa: BLE001
            plan.reraise(e)
        finally:
            _fill_step_stats(run_metadata, plan, stats, start, t0)

    def _plan(self, fetches, feed_dict, trace: bool = False) -> Plan:
        feeds = []
        for key in feed_dict or ():
            try:
                t = self.graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
            except (TypeError, ValueError, KeyError) as e:
                msg = e.args[0] if e.args else str(e)
                raise TypeError(f"Cannot interpret feed_dict key as Tensor: {msg}") from None
            feeds.append(t)
        return build_plan(self, fetches, feeds, [_converter(t) for t in feeds], trace)

    def _cached(self, plans: dict, fetches, feed_dict, trace: bool) -> Plan:
        key = ("nested", _structure_key(fetches), tuple(feed_dict or ()))
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = self._plan(fetches, feed_dict, trace)
        return plan

    def make_callable(self, fetches, feed_list=None):
        """A function running `fetches` with positional values for `feed_list`, as TF1's."""
        feed_dict = {t: None for t in feed_list or ()}
        plan = self._plan(fetches, feed_dict)

        def call(*feed_args):
            if self._closed:
                raise RuntimeError("Attempted to use a closed Session.")
            if len(feed_args) != len(feed_dict):
                raise TypeError(f"Expected {len(feed_dict)} feed values, got {len(feed_args)}")
            try:
                return plan.fn(*feed_args)
            except Exception as e:  # noqa: BLE001
                plan.reraise(e)

        return call

    # --- state the ops reach through `bind` (see OpDef.bind) ----------------------------

    def variable_cell(self, op: Operation) -> Cell:
        """The storage of variable op `op` in this session (created uninitialized)."""
        cell = self._cells.get(op)
        if cell is None:
            cell = self._cells[op] = Cell(op)
        return cell

    def random_stream(self, op: Operation) -> PhiloxStream:
        """The Philox stream of random op `op` in this session, keyed by its (seed, seed2).

        As TF1: each session starts every op's stream afresh, so seeded ops repeat their
        sequence in a new session; unseeded ops (0, 0) draw from fresh entropy.
        """
        rng = self._rngs.get(op)
        if rng is None:
            seed, seed2 = op.attrs.get("seed", 0) or 0, op.attrs.get("seed2", 0) or 0
            rng = self._rngs[op] = PhiloxStream(int(seed), int(seed2))
        return rng

    # --- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        """Free this session's variable values; later runs raise RuntimeError."""
        self._closed = True
        self._cells.clear()
        self._plans.clear()
        self._traced.clear()

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Session]:
        """Make this session the one `Tensor.eval()` and `Operation.run()` use."""
        session_stack().append(self)
        try:
            yield self
        finally:
            session_stack().remove(self)

    def __enter__(self):
        for cm in (self.graph.as_default(), self.as_default()):
            cm.__enter__()
            self._contexts.append(cm)
        return self

    def __exit__(self, *exc) -> None:
        while self._contexts:
            self._contexts.pop().__exit__(None, None, None)
        self.close()

    @property
    def graph_def(self):
        """The session's graph as a `GraphDef`."""
        return self.graph.as_graph_def()

    def list_devices(self) -> list:
        """The devices ops run on: the one CPU."""
        return [DEVICE]


class InteractiveSession(Session):
    """A Session that installs itself (and its graph) as the default on creation."""

    def __init__(self, graph=None, config=None, target: str = ""):
        super().__init__(graph, config, target)
        for cm in (self.graph.as_default(), self.as_default()):
            cm.__enter__()
            self._contexts.append(cm)

    def close(self) -> None:
        while self._contexts:
            self._contexts.pop().__exit__(None, None, None)
        super().close()


def _structure_key(fetches):
    """A hashable stand-in for a fetch structure (lists and dicts become tuples)."""
    if isinstance(fetches, (list, tuple)):
        return (type(fetches), *(_structure_key(f) for f in fetches))
    if isinstance(fetches, dict):
        return (type(fetches), *((k, _structure_key(v)) for k, v in fetches.items()))
    return fetches


# --- feeds ---------------------------------------------------------------------------------


def _converter(t: Tensor):
    """The function turning a fed value into `t`'s dtype, checked against its static shape.

    Python numbers become NumPy scalars (not 0-d arrays): NumPy computes on those fastest.
    """
    dtype = t.dtype.base_dtype
    np_type = dtype.as_numpy_dtype
    check = shape_checker(t)
    # The last shape that passed the check (at first the static one, when fully known): a
    # training loop feeds batches of one shape, which then cost one tuple comparison.
    passed = [t.shape.dims if t.shape.is_fully_defined() else None]
    python_scalars = (float, int) if dtype.is_floating else (int,) if dtype.is_integer else ()

    def convert(value):
        kind = type(value)
        if kind is np.ndarray and value.dtype.type is np_type:
            arr = value
        elif kind in python_scalars:
            try:
                arr = np_type(value)
            except OverflowError as e:
                raise TypeError(f"Cannot feed value {value!r} to Tensor '{t.name}' of dtype "
                                f"{dtype.name}: {e}") from None
        else:
            arr = _to_array(value, t, dtype)
        if check is not None and arr.shape != passed[0]:
            check(arr)
            passed[0] = arr.shape
        return arr

    return convert


def _to_array(value, t: Tensor, dtype):
    if isinstance(value, (Tensor, Operation)) or hasattr(value, "_as_graph_tensor"):
        raise TypeError("The value of a feed cannot be a fl.Tensor object. Acceptable feed values "
                        "include Python scalars, strings, lists, numpy ndarrays.")
    try:
        if dtype.is_floating and not isinstance(value, (str, bytes)):
            return np.asarray(value, dtype=dtype.as_numpy_dtype)
        return to_numpy(value, dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Cannot feed value {value!r} to Tensor '{t.name}' of dtype "
                        f"{dtype.name}: {e}") from None


# --- tracing -------------------------------------------------------------------------------


def _fill_step_stats(run_metadata, plan: Plan, stats: list, start_ns: int, t0: int) -> None:
    dev = run_metadata.step_stats.dev_stats.add()
    dev.device = DEVICE
    for index, begin, end in stats:
        op = plan.ops[index]
        ns = dev.node_stats.add()
        ns.node_name = op.name
        ns.all_start_nanos = start_ns + (begin - t0)
        ns.all_start_micros = ns.all_start_nanos // 1000
        ns.op_end_rel_nanos = ns.all_end_rel_nanos = end - begin
        ns.op_end_rel_micros = ns.all_end_rel_micros = (end - begin) // 1000
        ns.timeline_label = f"{op.name} = {op.type}({', '.join(t.op.name for t in op.inputs)})"
        ns.thread_id = threading.get_ident() & 0xFFFFFFFF


RunOptions = step_stats_pb2.RunOptions
RunMetadata = step_stats_pb2.RunMetadata
