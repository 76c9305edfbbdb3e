"""How many threads NumPy's BLAS uses: ConfigProto(intra_op_parallelism_threads=n), else one.

The engine's matrices are small (a batch of 64 by a few hundred units): a BLAS thread pool
costs more in wake-ups than it gains, and on a loaded machine its spinning threads make a step
five to ten times slower. So a Session uses one BLAS thread unless its config asks for more
(or the user chose a count through OMP_NUM_THREADS, OPENBLAS_NUM_THREADS or MKL_NUM_THREADS).
The limit is process-wide, as BLAS pools are: the last Session created decides.
"""
from __future__ import annotations

import os

_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_applied: list = [None]  # the count in force, so that sessions after the first cost nothing


def blas_threads(config) -> int | None:
    """The BLAS thread count a session with `config` should use (None: leave it alone)."""
    n = int(getattr(config, "intra_op_parallelism_threads", 0) or 0)
    if n > 0:
        return n
    if any(os.environ.get(name) for name in _ENV):
        return None
    return 1


def configure(config) -> None:
    """Limit BLAS to the thread count `config` asks for (threadpoolctl; nothing without it)."""
    n = blas_threads(config)
    if n is None or n == _applied[0]:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=n, user_api="blas")
    _applied[0] = n
