"""The three writers a user may call the same way (torch's, tensorboardX's and flowlog's
SummaryWriter), and how the tests read back what each wrote."""
import io

import numpy as np
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util import tensor_util
from tensorboardX import SummaryWriter as TbxWriter
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import flowlog as fl

WRITERS = {"torch": TorchWriter, "tbx": TbxWriter, "ours": fl.SummaryWriter}
ALL = tuple(WRITERS)


def load(logdir):
    kinds = ("scalars", "histograms", "images", "audio", "tensors", "compressedHistograms")
    acc = EventAccumulator(str(logdir), size_guidance=dict.fromkeys(kinds, 0))
    acc.Reload()
    return acc


def write_all(tmp_path, log, writers=ALL, run=None):
    """Call `log(writer)` with each peer's writer in its own logdir; their accumulators."""
    accs = {}
    for name in writers:
        w = WRITERS[name](str(tmp_path / name))
        log(w)
        w.close()
        accs[name] = load(tmp_path / name if run is None else tmp_path / name / run)
    return accs


def tensors(acc, tag):
    return [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]


def assert_same(items):
    """Every peer's value equals torch's (or the first given)."""
    items = list(items.items())
    first_name, first = items[0]
    for name, value in items[1:]:
        assert repr(value) == repr(first), f"{name} differs from {first_name}"


def decoded(acc, tag):
    return [(e.step, np.asarray(Image.open(io.BytesIO(e.encoded_image_string)).convert("RGB")))
            for e in acc.Images(tag)]
