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


# --- the classic tutorials' programs --------------------------------------------------------


def test_basic_operations_program():
    text = run("basic_ops")
    assert text.splitlines()[:9] == [
        "Addition with constants: 5", "Multiplication with constants: 6",
        "Addition with variables: 5", "Multiplication with variables: 6",
        "product [[12.0]] [1, 1] MatMul", "sub [-2.0, -1.0]", "counter 1", "counter 2",
        "counter 3"]
    assert line(text, "sum") == "sum 21.0 mean [2.5, 3.5, 4.5] max [3.0, 6.0] argmax [2, 2]"
    assert line(text, "slice") == "slice [[2.0, 3.0], [5.0, 6.0]] [[4.0, 5.0]]"
    assert line(text, "cast") == ("cast [[0, 0, 1], [1, 1, 1]] where "
                                  "[[-1.0, -2.0, 3.0], [4.0, 5.0, 6.0]]")
    assert line(text, "tile") == ("tile [[1, 2, 1, 2], [1, 2, 1, 2]] one_hot "
                                  "[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]")


def test_linear_regression_program():
    text = run("linear_regression")
    costs = [numbers(line(text, f"Epoch: 00{e}"))[1] for e in (20, 40, 60)]
    assert costs == sorted(costs, reverse=True)
    assert line(text, "Epoch: 0060") == ("Epoch: 0060 cost= 0.129114226 W= 0.37732536 "
                                         "b= -0.1174271")  # what TensorFlow prints
    assert numbers(line(text, "Testing cost"))[0] == pytest.approx(0.11182504, rel=1e-6)


@pytest.mark.parametrize("name, accuracy_line, least", [
    ("logistic_regression", "Accuracy:", 0.85), ("mlp", "Accuracy:", 0.85),
    ("nearest_neighbor", "Done! Accuracy:", 0.9)])
def test_classifiers_on_the_digits(name, accuracy_line, least):
    text = run(name)
    assert numbers(line(text, accuracy_line))[0] > least


def test_autoencoder_program():
    text = run("autoencoder")
    losses = [numbers(line(text, f"Step {s}:"))[-1] for s in (0, 100, 200, 300)]
    assert losses[0] > 0.15 and losses[-1] < 0.06
    assert line(text, "code (").startswith("code (297, 8) test loss")
    assert line(text, "code range") == "code range True True"  # sigmoid codes


def test_gan_program_shares_the_discriminator_and_learns_the_mean():
    text = run("gan")
    assert line(text, "d_vars") == ("d_vars ['discriminator/h0/w:0', 'discriminator/h0/b:0', "
                                    "'discriminator/out/w:0', 'discriminator/out/b:0']")
    d_loss = numbers(line(text, "step 300"))[1]
    assert d_loss == pytest.approx(2 * np.log(2), abs=0.05)  # the discriminator is fooled
    assert line(text, "generated mean").endswith("near 3: True")


def test_embeddings_program():
    text = run("embeddings")
    assert line(text, "vocabulary") == "vocabulary 12 pairs 42"
    assert numbers(line(text, "step 200"))[1] < numbers(line(text, "step 0 "))[1] - 1
    assert line(text, "nearest to mat").startswith("nearest to mat ['rug', 'cat']")
    assert line(text, "norms") == "norms [1.0, 1.0, 1.0]"


def test_scopes_and_variable_reuse_program():
    text = run("scopes_reuse")
    assert line(text, "name_scope") == "name_scope v1:0 ns/v2:0 ns/Add:0"
    assert line(text, "variable_scope") == "variable_scope vs/v3:0 vs/Mul:0 vs/inner/v4:0"
    assert line(text, "shared") == ("shared True 9 net/layer2/Relu:0 net/layer2_1/Relu:0 "
                                    "net_1/layer2/Relu:0")
    assert line(text, "twice:") == "twice: Variable vs/v3 already exists"
    assert line(text, "missing:") == "missing: Variable fresh/nothing does not exist"
    assert line(text, "outputs") == "outputs [[3.0, 3.0]] [[6.0, 6.0]] [[3.0, 3.0]]"


def test_gradient_clipping_and_schedules_program():
    text = run("gradient_clipping")
    assert [numbers(line(text, f"step {s} "))[1:3] for s in (0, 10, 15, 16, 20, 30)] == [
        [0.05, 1.0], [0.04, 1.0], [0.04, 1.0], [0.04, 0.5], [0.032, 0.5], [0.0256, 0.5]]
    assert line(text, "final").endswith("clipped norm 0.2500")  # the last piece's limit


def test_fully_connected_feed_program():
    text = run("fully_connected_feed")
    assert line(text, "variables") == (
        "variables ['hidden1/weights', 'hidden1/biases', 'hidden2/weights', 'hidden2/biases', "
        "'softmax_linear/weights', 'softmax_linear/biases', 'global_step']")
    assert numbers(line(text, "Step 200"))[-1] < 0.6
    train, test = line(text, "  train:"), line(text, "  test:")
    assert numbers(train)[:1] == [1500] and numbers(test)[:1] == [250]
    assert numbers(test)[-1] > 0.75


def test_summaries_program_writes_what_summary_iterator_reads():
    text = run("summaries")
    assert line(text, "train graphs") == "train graphs 1 steps 57 tags 27"
    assert line(text, "test graphs") == "test graphs 0 steps 3 tags 27"
    assert "'layer1/biases/summaries/histogram'" in line(text, "train tags")
    assert numbers(line(text, "test accuracy"))[0] > 0.7


def test_save_and_resume_program():
    text = run("save_restore")
    assert line(text, "files") == (
        "files ['checkpoint', 'model.ckpt-20.data-00000-of-00001', 'model.ckpt-20.index', "
        "'model.ckpt-20.meta', 'model.ckpt-30.data-00000-of-00001', 'model.ckpt-30.index', "
        "'model.ckpt-30.meta']")  # max_to_keep=2
    assert line(text, "state") == "state model.ckpt-30 ['model.ckpt-20', 'model.ckpt-30']"
    assert line(text, "variables") == "variables [('b', []), ('global_step', []), ('w', [2, 1])]"
    assert line(text, "resumed") == "resumed from model.ckpt-30 at step 30"
    saved = numbers(line(text, "saved model.ckpt-30"))[-1]
    assert numbers(line(text, "loss"))[0] == saved  # the restored model is the saved one
    assert line(text, "step 40").startswith("step 40 loss 0.000232")


def test_import_meta_graph_program():
    text = run("meta_graph_restore")
    assert line(text, "trainable") == "trainable ['hidden/weights:0', 'hidden/biases:0', 'w2:0']"
    saved, restored = numbers(line(text, "loss")), numbers(line(text, "restored loss"))
    assert saved == restored
    assert line(text, "y [None, 10]")
    step, later = numbers(line(text, "global step"))
    assert step == 100 and later < saved[0]
    assert numbers(line(text, "accuracy"))[0] > 0.7


def test_app_flags_program():
    text = run("app_flags")
    assert text.splitlines() == [
        "argv ['extra']", "flags 0.1 30 momentum True",
        "w [0.5220214128494263, 0.38989317417144775] loss 0.012608", "exit None"]


def test_moving_average_train_and_eval_program():
    text = run("moving_average_eval")
    assert line(text, "averaged") == ("averaged ['local3/weights', 'local3/biases', "
                                      "'softmax_linear/weights', 'softmax_linear/biases']")
    assert line(text, "restore").startswith(
        "restore ['local3/biases/ExponentialMovingAverage', 'local3/weights/Exponential")
    assert line(text, "average differs") == "average differs from the weights True"
    assert line(text, "global step") == "global step 120"
    assert numbers(line(text, "precision"))[-1] > 0.8
    assert line(text, "split") == "split [[None, 5], [None, 5]] [[None, 3], [None, 5], " \
                                  "[None, 2]] True"
    assert line(text, "probabilities sum to") == "probabilities sum to [1. 1. 1. 1.]"


def test_monitored_training_session_program():
    text = run("monitored_training")
    assert [line(text, f"latest model.ckpt-{s}") for s in (60, 90)]
    starts = [x for x in text.splitlines() if x.startswith("starts at step")]
    assert starts == ["starts at step 0", "starts at step 60"]  # the second run resumed
    assert line(text, "checkpoints at steps") == "checkpoints at steps [25, 50, 60, 85, 90]"
    assert line(text, "graph.pbtxt") == "graph.pbtxt True"
    assert line(text, "loss summaries at steps") == "loss summaries at steps [0, 60]"
    assert line(text, "final step") == "final step 90"
    losses = [numbers(x)[-1] for x in text.splitlines() if x.startswith("run ")]
    assert losses[0] > 2.0 and losses[-1] < 0.3


def test_cifar10_style_cnn_with_lrn_and_hand_made_batch_norm():
    text = run("cifar10_cnn")
    assert line(text, "shapes") == "shapes [None, 4, 4, 16] [None, 4, 4, 16] [None, 2, 2, 16] norm1"
    assert line(text, "losses") == "losses ['local3/weight_loss', 'cross_entropy']"
    assert numbers(line(text, "step 0,"))[-1] > 2.0
    assert numbers(line(text, "step 150,"))[-1] < 0.4
    assert numbers(line(text, "test accuracy"))[0] > 0.85
