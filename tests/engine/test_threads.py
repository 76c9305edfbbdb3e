"""BLAS threads: one by default, as many as ConfigProto(intra_op_parallelism_threads=n) asks."""
import pytest
from flowlog.engine import threads
from threadpoolctl import threadpool_info

import flowlog as fl


def blas_threads() -> set:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


@pytest.fixture
def no_thread_env(monkeypatch):
    for name in threads._ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_applied", [None])


def test_a_session_uses_one_blas_thread_unless_its_config_asks(no_thread_env):
    fl.Session(graph=fl.Graph())
    assert blas_threads() == {1}
    fl.Session(graph=fl.Graph(), config=fl.ConfigProto(intra_op_parallelism_threads=2))
    assert blas_threads() == {2}
    fl.Session(graph=fl.Graph(), config=fl.ConfigProto(intra_op_parallelism_threads=0))
    assert blas_threads() == {1}


def test_thread_environment_variables_are_left_to_the_user(no_thread_env, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert threads.blas_threads(None) is None
    assert threads.blas_threads(fl.ConfigProto(intra_op_parallelism_threads=3)) == 3
