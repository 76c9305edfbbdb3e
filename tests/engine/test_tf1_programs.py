"""The TF1 program corpus (tests/engine/tf1_programs) run under flowlog: what each learns and
prints. benchmarks/tf1_programs_differential.py runs the same programs under TensorFlow."""
from __future__ import annotations

import contextlib
import importlib
import io
import re

import numpy as np
import pytest

import flowlog as fl


def run(name: str) -> str:
    module = importlib.import_module(f"tf1_programs.{name}")
    out = io.StringIO()
    with fl.Graph().as_default(), contextlib.redirect_stdout(out):
        module.main(fl)
    return out.getvalue()


def numbers(line: str) -> list[float]:
    return [float(v) for v in re.findall(r"(?<![\w.-])-?\d+\.?\d*(?:e-?\d+)?", line)]


def line(text: str, prefix: str) -> str:
    found = [x for x in text.splitlines() if x.startswith(prefix)]
    assert found, f"no line starting {prefix!r} in:\n{text}"
    return found[-1]


def test_deep_mnist_style_cnn_learns_the_digits():
    text = run("cnn_nn")
    assert line(text, "shapes") == "shapes [None, 4, 4, 16] [None, 2, 2, 32] [None, 10]"
    first = numbers(line(text, "step 0 "))
    last = numbers(line(text, "step 150 "))
    assert first[-1] > 2.0 and last[-1] < 0.5  # cross-entropy from chance to learned
    assert numbers(line(text, "test accuracy"))[0] > 0.85


def test_layers_cnn_with_batch_norm_losses_and_metrics():
    text = run("cnn_layers")
    names = line(text, "variables")
    for name in ("conv2d/kernel:0", "conv2d/bias:0", "batch_normalization/gamma:0",
                 "batch_normalization/moving_variance:0", "conv2d_1/kernel:0",
                 "logits/kernel:0", "logits/bias:0", "global_step:0"):
        assert f"'{name}'" in names
    assert line(text, "update ops") == ("update ops 2 losses "
                                        "['sparse_softmax_cross_entropy_loss/value:0']")
    assert line(text, "shapes") == "shapes [None, 128] [None, 10]"
    assert numbers(line(text, "step 150"))[-1] < 0.2
    assert line(text, "moving mean moved") == "moving mean moved True"
    assert numbers(line(text, "test accuracy"))[0] > 0.85


def test_losses_metrics_schedules_and_clipping():
    text = run("losses_metrics")
    assert line(text, "losses") == "losses 2 regularization 2"
    rates = [numbers(line(text, f"step {s} "))[1] for s in (50, 100, 150)]
    assert rates == [0.5, 0.25, 0.125]  # staircase exponential decay, halving every 50 steps
    accuracy, _, top3 = numbers(line(text, "accuracy"))
    assert 0.8 < accuracy <= top3 <= 1.0
    assert numbers(line(text, "mse"))[0] < 1e-3
    assert re.sub(r"\s+", " ", text[text.index("l2_normalize"):]).startswith(
        "l2_normalize [[0.6 0.8] [1. 0. ]] embedding [[[ 9. 10. 11.] [ 0. 1. 2.]] "
        "[[ 3. 4. 5.] [ 3. 4. 5.]]]")


def test_cond_while_loop_and_case_program():
    text = run("control_flow")
    assert line(text, "loop") == "loop [np.int32(10), np.int32(285)]"
    root, slope = numbers(line(text, "sqrt 2.0").split("[")[1])[:2]
    assert root == pytest.approx(np.sqrt(2), rel=1e-6)
    assert slope == pytest.approx(0.5 / np.sqrt(2), rel=1e-5)  # d sqrt(a) / da, via the loop
    assert numbers(line(text, "piece -2.0"))[1:] == [4.0, -4.0, -1.0]
    assert numbers(line(text, "piece 3.0"))[1:] == [9.0, 3.0, 1.0]
    assert numbers(line(text, "counter"))[-3:] == [1.0, 1.0, 2.0]  # only the taken branch adds
    assert line(text, "after update") == "after update 20.0 -30.0"
    assert "[[0.125 0.   ]\n [0.    8.   ]]" in text


def test_data_pipeline_program():
    text = run("data_pipeline")
    assert line(text, "element") == "element (fl.float32, fl.float32) [[None, 64], [None, 10]]"
    losses = [numbers(line(text, f"epoch {e}"))[-1] for e in range(3)]
    assert [numbers(line(text, f"epoch {e}"))[1] for e in range(3)] == [15, 15, 15]
    assert losses[0] > losses[1] > losses[2]
    assert numbers(line(text, "test accuracy"))[0] > 0.8
    assert line(text, "batch sizes") == "batch sizes [4, 4, 4, 4, 4]"
    assert line(text, "epochs") == "epochs " + str(list(range(10))) + " " + str(list(range(10)))
    assert "squares [np.int64(0), np.int64(1), np.int64(4), np.int64(9), np.int64(16)]" in text
