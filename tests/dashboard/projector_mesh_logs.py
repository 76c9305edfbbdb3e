"""Logdirs with embeddings and meshes, written by torch.utils.tensorboard, tensorboardX and flowlog."""
from __future__ import annotations

import numpy as np

CLASSES = 10
DIMS = 16


def clusters(n: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """`n` points in DIMS dimensions around CLASSES well separated centres, and their labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(CLASSES, DIMS)) * 6
    labels = np.arange(n) % CLASSES
    return (centres[labels] + rng.normal(size=(n, DIMS))).astype(np.float32), [
        f"class {k}" for k in labels]


def label_images(labels: list[str]) -> np.ndarray:
    """(N, 3, 8, 8) images in [0, 1]: a bright column at the position of the class number."""
    out = np.zeros((len(labels), 3, 8, 8), np.float32)
    for i, label in enumerate(labels):
        k = int(label.split()[-1]) % 8
        out[i, :, :, k] = 1.0
        out[i, 0, :, :] = 0.3
    return out


def octahedron(scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertices (1, 6, 3), colours (1, 6, 3) 0-255, faces (1, 8, 3)) of an octahedron."""
    v = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]],
                 np.float32) * scale
    faces = np.array([[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4],
                      [2, 0, 5], [1, 2, 5], [3, 1, 5], [0, 3, 5]], np.int32)
    colours = np.array([[230, 57, 70], [29, 53, 87], [69, 123, 157], [168, 218, 220],
                        [241, 250, 238], [255, 183, 3]], np.uint8)
    return v[None], colours[None], faces[None]


def spiral(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (1, n, 3), colours (1, n, 3) 0-255) of a point cloud along a helix."""
    t = np.linspace(0, 6 * np.pi, n)
    v = np.stack([np.cos(t), np.sin(t), t / (2 * np.pi)], axis=1).astype(np.float32)
    colours = np.stack([np.linspace(0, 255, n), np.full(n, 120), np.linspace(255, 0, n)], axis=1)
    return v[None], colours.astype(np.uint8)[None]


def write_run(writer_class, directory: str, points: int = 300, cloud: int = 500) -> None:
    """One run with embeddings (one with a sprite, one with two metadata columns) and meshes
    (an octahedron at steps 0 and 1, a coloured point cloud), written with `writer_class`."""
    import torch

    mat, labels = clusters(points)
    w = writer_class(directory)
    try:
        w.add_embedding(torch.tensor(mat), metadata=labels,
                        label_img=torch.tensor(label_images(labels)), global_step=7, tag="digits")
        w.add_embedding(mat[:, :4], metadata=[[lab, str(i)] for i, lab in enumerate(labels)],
                        metadata_header=["label", "index"], tag="small")
        for step in (0, 1):
            v, c, f = octahedron(1.0 + step)
            w.add_mesh("octahedron", torch.tensor(v), colors=torch.tensor(c),
                       faces=torch.tensor(f), global_step=step)
        v, c = spiral(cloud)
        w.add_mesh("helix", torch.tensor(v), colors=torch.tensor(c), global_step=3)
    finally:
        w.close()


def writers() -> dict:
    """{name: SummaryWriter class} of the three writers whose files flowboard reads."""
    from tensorboardX import SummaryWriter as TensorboardXWriter
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    import flowlog as fl

    return {"torch": TorchWriter, "tensorboardX": TensorboardXWriter, "flowlog": fl.SummaryWriter}


def every_writer(logdir, **sizes):
    """`logdir` with a run written by each of the three writers (see `write_run`)."""
    for name, writer in writers().items():
        write_run(writer, str(logdir / name), **sizes)
    return logdir
