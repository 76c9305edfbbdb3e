"""The example scripts: each trains, writes its runs' event files and returns its results."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowlog.events.values import EventFileReader

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_run(directory: Path) -> tuple[dict, int]:
    """{tag: [(step, value), ...]} of the scalars and histograms in a run, and its graph count."""
    series: dict = {}
    graphs = 0
    for path in sorted(directory.glob("events.out.tfevents.*")):
        for event in EventFileReader(path).read():
            graphs += event.HasField("graph_def")
            for v in event.summary.value:
                value = v.simple_value if v.HasField("simple_value") else v.histo.num
                series.setdefault(v.tag, []).append((event.step, value))
    return series, graphs


def test_hello_neuron(tmp_path):
    result = load("hello_neuron").main(str(tmp_path), steps=100)
    assert result["output"] == pytest.approx(0.8 * 0.95 ** 100, rel=1e-4)
    series, graphs = read_run(tmp_path)
    assert graphs == 1
    # TensorFlow writes these tags for this program: a summary named after an existing op
    # (`value.op.name`) opens the scope 'weight_1', and its tag is that scope.
    assert sorted(series) == ["correct_value_1", "input_1", "loss_1", "output_1", "weight_1"]
    assert [step for step, _ in series["weight_1"]] == list(range(100))
    assert series["weight_1"][1][1] == pytest.approx(0.76)


def test_linear_regression(tmp_path):
    result = load("linear_regression").main(str(tmp_path), steps=20_000)
    assert result["m"] == pytest.approx(result["true_m"], abs=0.05)
    assert result["b"] == pytest.approx(result["true_b"], abs=0.05)
    series, graphs = read_run(tmp_path)
    # Summaries named after existing ops are tagged '<name>_1', as TensorFlow tags them.
    assert graphs == 1 and sorted(series) == ["b_1", "loss_1", "m_1"]
    assert [step for step, _ in series["loss_1"]][:3] == [0, 100, 200]


def test_hospital_visits_three_runs(tmp_path):
    result = load("hospital_visits").main(str(tmp_path))  # the notebook's 5000 steps
    assert result["b"] == pytest.approx(1000 - 5 * 55, rel=0.1)
    assert result["m"] < -50
    runs = {name: read_run(tmp_path / name) for name in ("train", "valid", "test")}
    assert runs["train"][1] == 1
    assert {name: list(series) for name, (series, _) in runs.items()} == {
        "train": ["loss"], "valid": ["loss"], "test": ["loss"]}
    valid = runs["valid"][0]["loss"]
    assert valid[-1][1] < valid[0][1] / 10
    assert runs["test"][0]["loss"][0] == (4999, pytest.approx(result["test_loss"]))


def test_digits_mlp_reaches_95_percent(tmp_path):
    result = load("digits_mlp").main(str(tmp_path), steps=400)
    assert result["test_accuracy"] >= 0.95
    train, graphs = read_run(tmp_path / "train")
    test, _ = read_run(tmp_path / "test")
    assert graphs == 1
    # Summaries named after existing ops are tagged '<name>_1', as TensorFlow tags them.
    assert sorted(train) == ["accuracy_1", "hidden/W1_1", "hidden/b1_1", "logits/W2_1",
                             "logits/b2_1", "loss_1"]
    assert test["accuracy_1"][-1] == (399, pytest.approx(result["test_accuracy"]))
    assert train["hidden/W1_1"][0][1] == 64 * 300  # a histogram of every weight
    # the test digits it gets wrong, as 8x8 PNGs, and the final report as markdown text
    images, texts = [], []
    for path in sorted((tmp_path / "test").glob("events.out.tfevents.*")):
        for event in EventFileReader(path).read():
            for v in event.summary.value:
                if v.HasField("image"):
                    images.append(v.image)
                elif v.tag == "report_1":  # the placeholder 'report' came first
                    texts.append(v.tensor.string_val[0].decode())
    assert images and all(i.encoded_image_string.startswith(b"\x89PNG") for i in images)
    assert {(i.height, i.width) for i in images} == {(8, 8)}
    assert len(texts) == 1 and "| test_accuracy |" in texts[0]


def test_command_line(tmp_path):
    out = subprocess.run([sys.executable, str(EXAMPLES / "hello_neuron.py"), "--logdir",
                          str(tmp_path), "--steps", "3"], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out)["output"] == pytest.approx(0.8 * 0.95 ** 3)
    assert list(tmp_path.glob("events.out.tfevents.*"))
    bad = subprocess.run([sys.executable, str(EXAMPLES / "hello_neuron.py"), "--logdir",
                          str(tmp_path), "--steps", "0"], capture_output=True, text=True,
                         check=False)
    assert bad.returncode == 2 and "--steps must be a positive integer" in bad.stderr
