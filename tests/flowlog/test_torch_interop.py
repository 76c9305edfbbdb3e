"""PyTorch as a peer: torch.utils.tensorboard's files read here, torch tensors logged here."""

import numpy as np
import pytest
import torch
from flowlog.dashboard.provider import DataProvider
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter

import flowlog as fl


def test_read_scalars_and_the_dashboard_read_torch_files(tmp_path):
    values = torch.linspace(0, 1, 40)
    with TorchSummaryWriter(str(tmp_path / "torch")) as w:
        for step, v in enumerate(values):
            w.add_scalar("loss", v, step)
            w.add_scalar("lr", 0.1, step, new_style=True)
        w.add_scalars("metrics", {"train": 1.5, "valid": 2.5}, 7)
        w.add_histogram("weights", torch.arange(100.0), 3)
        w.add_image("digit", torch.ones(3, 8, 8), 3)
        w.add_text("note", "hello *torch*", 3)

    runs = fl.read_scalars(tmp_path)
    steps, _, got = runs["torch"]["loss"]
    assert steps.tolist() == list(range(40))
    np.testing.assert_array_equal(got, values.numpy())
    assert runs["torch"]["lr"][2].tolist() == pytest.approx([0.1] * 40)
    # add_scalars writes one sub-run per name, as TensorBoard shows them
    assert runs["torch/metrics_train"]["metrics"][2].tolist() == [1.5]
    assert runs["torch/metrics_valid"]["metrics"][2].tolist() == [2.5]

    p = DataProvider(tmp_path, reload_interval=0)
    p.reload()
    assert p.histograms("torch", "weights")[0][2][:, 2].sum() == 100
    assert p.image("torch", "digit", 0).startswith(b"\x89PNG")
    assert "hello *torch*" in str(p.text("torch", "note/text_summary")[0][2])


def test_torch_tensors_are_logged_with_their_values(tmp_path):
    weights = torch.randn(1000, generator=torch.Generator().manual_seed(0))
    with fl.SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("loss", torch.tensor(1.0 / (step + 1)), step)
        w.add_histogram("weights", weights, 5)
        w.add_image("img", torch.full((3, 4, 6), 0.5), 5)
        w.add_images("batch", torch.zeros(4, 1, 2, 3), 5)

    acc = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "histograms": 0,
                                                         "images": 0})
    acc.Reload()
    assert [e.value for e in acc.Scalars("loss")] == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    h = acc.Histograms("weights")[0].histogram_value
    assert (h.num, h.min, h.max) == (1000, weights.min().item(), weights.max().item())
    img = acc.Images("img")[0]
    assert (img.height, img.width) == (4, 6)
    batch = acc.Images("batch")[0]
    assert (batch.height, batch.width) == (2, 4 * 3)  # one row of four 2x3 images
