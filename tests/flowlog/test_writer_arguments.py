"""Wrong arguments to SummaryWriter: the error names the argument and what was expected."""

import numpy as np
import pytest
import torch
from torch import nn

import flowlog as fl
from flowlog.proto.graph_pb2 import GraphDef

IMAGES = torch.rand(4, 1, 28, 28)
NET = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))

CASES = [
    # (call, error type, words the message must hold)
    (lambda w: w.add_graph(IMAGES, NET), TypeError, r"model must be a torch\.nn\.Module.*Tensor \(arguments swapped\?\)"),
    (lambda w: w.add_graph(NET), TypeError, r"input_to_model must be example inputs.*None"),
    (lambda w: w.add_graph(NET, 3), TypeError, r"input_to_model must be .*got int 3"),
    (lambda w: w.add_graph(GraphDef(), IMAGES), TypeError, r"input_to_model is only for torch"),
    (lambda w: w.add_image("img", IMAGES[0], IMAGES), TypeError, r"global_step must be an int"),
    (lambda w: w.add_scalar("loss", IMAGES), TypeError, r"'loss' expects a single real number"),
    (lambda w: w.add_scalar(3, 1.0), TypeError, r"tag must be a str, got 3"),
    (lambda w: w.add_embedding(np.zeros((2, 3, 4))), ValueError, r"mat must be 2-D.*\(2, 3, 4\)"),
    (lambda w: w.add_embedding(np.zeros((3, 2)), ["a"]), ValueError, r"metadata has 1 labels for 3"),
    (lambda w: w.add_embedding(np.zeros((2, 2)), [[1, 2], [3, 4]], metadata_header=["a"]),
     ValueError, r"metadata_header"),
    (lambda w: w.add_embedding(np.zeros((2, 2)), label_img=np.zeros((2, 5, 4, 4))), ValueError,
     r"label_img must be images shaped \(N, 1\|3, H, W\)"),
    (lambda w: w.add_audio("a", np.zeros((2, 3, 4))), ValueError, r"snd_tensor must be samples"),
    (lambda w: w.add_audio("a", np.zeros(5), sample_rate=0), ValueError, r"sample_rate must be"),
    (lambda w: w.add_video("v", np.zeros((4, 3, 8, 8))), ValueError, r"vid_tensor must be 5-D"),
    (lambda w: w.add_video("v", np.zeros((1, 2, 3, 8, 8)), fps=0), ValueError, r"fps must be"),
    (lambda w: w.add_figure("f", np.zeros((3, 4, 4))), TypeError, r"figure must be a matplotlib"),
    (lambda w: w.add_pr_curve("pr", [0, 1], [0.5, 2.0]), ValueError, r"predictions must be in"),
    (lambda w: w.add_pr_curve("pr", [0, 1], [0.5]), ValueError, r"labels and predictions"),
    (lambda w: w.add_pr_curve("pr", [0, 1], [0.5, 0.2], num_thresholds=1), ValueError,
     r"num_thresholds must be an int of at least 2"),
    (lambda w: w.add_pr_curve_raw("pr", [1], [1], [1], [1], [1], [1, 2]), ValueError,
     r"recall 2"),
    (lambda w: w.add_custom_scalars({"c": {"t": ["Margin", ["a", "b"]]}}), ValueError,
     r"layout\['c'\]\['t'\]: a Margin chart takes 3 tags"),
    (lambda w: w.add_custom_scalars({"c": {"t": ["Lines", ["a"]]}}), ValueError,
     r"\['Multiline', \[tags\]\]"),
    (lambda w: w.add_custom_scalars(["c"]), TypeError, r"layout must be a dict"),
    (lambda w: w.add_custom_scalars_marginchart(["a"]), ValueError, r"takes 3 tags"),
    (lambda w: w.add_mesh("m", np.zeros((4, 3))), ValueError, r"vertices must have shape"),
    (lambda w: w.add_histogram("h", [1.0], max_bins=0), ValueError, r"max_bins must be"),
    (lambda w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [1, 2], [1]), ValueError,
     r"bucket_limits and bucket_counts must have the same length, got 2 and 1"),
    (lambda w: w.add_hparams({"opt": "adam"}, {}, {"opt": [1, 2]}), TypeError,
     r"hparam_domain_discrete\['opt'\] must be a list of str"),
    (lambda w: w.add_hparams({"lr": 0.1}, {}, {"opt": ["a"]}), ValueError, r"names 'opt'"),
    (lambda w: w.add_hparams([("lr", 0.1)], {}), TypeError, r"hparam_dict and metric_dict"),
    (lambda w: w.add_image_with_boxes("b", np.zeros((3, 8, 8)), np.zeros((2, 3))), ValueError,
     r"box_tensor must be \(N, 4\)"),
    (lambda w: w.add_tensor("t", np.array(["a"])), TypeError, r"dtype <U1 is not one of"),
    (lambda w: w.add_summary("nope"), TypeError, r"summary must be a Summary"),
]


@pytest.mark.parametrize("call,error,match", CASES)
def test_wrong_arguments_name_what_was_expected(tmp_path, call, error, match):
    with fl.SummaryWriter(tmp_path) as w, pytest.raises(error, match=match):
        call(w)


def test_use_metadata_needs_a_default_and_does_not_nest(tmp_path):
    with fl.SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="global_step or walltime"), w.use_metadata():
            pass
        with (
            w.use_metadata(global_step=1),
            pytest.raises(RuntimeError, match="nest"),
            w.use_metadata(global_step=2),
        ):
            pass
