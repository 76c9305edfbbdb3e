"""A session's steps reuse the memory the previous step freed instead of faulting it in again."""
import resource

import numpy as np
from flowlog.engine import allocator

import flowlog as fl


def page_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def test_steps_on_half_megabyte_activations_do_not_fault_their_pages_in_again():
    graph = fl.Graph()
    with graph.as_default():
        x = fl.placeholder(fl.float32, [64, 8, 8, 32])  # 512 KB, like a small CNN's activations
        b = fl.Variable(np.ones(32, np.float32))
        hidden = fl.nn.relu(x + b)
        out = fl.reduce_sum(hidden * hidden + hidden)
    sess = fl.Session(graph=graph)
    sess.run(b.initializer)
    feed = {x: np.random.default_rng(0).random((64, 8, 8, 32), dtype=np.float32)}
    expected = float(np.sum((feed[x] + 1) ** 2 + feed[x] + 1))
    for _ in range(5):
        sess.run(out, feed)
    before = page_faults()
    for _ in range(50):
        value = sess.run(out, feed)
    # Each fresh 512 KB buffer is 128 pages; trimmed back to the OS, every step would fault
    # several of them in again (thousands of faults over 50 steps).
    assert page_faults() - before < 500
    assert np.isclose(value, expected, rtol=1e-5)


def test_the_users_malloc_settings_are_left_alone(monkeypatch):
    monkeypatch.setattr(allocator, "_done", [False])
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert allocator.keep_freed_memory() is False
