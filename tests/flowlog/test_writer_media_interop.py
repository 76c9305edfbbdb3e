"""The same SummaryWriter call through torch, tensorboardX and flowlog: TensorBoard's loaders read
the three logdirs as equal, and flowlog's typed readers read each the same way (figures, PR
curves, embeddings, audio, video, meshes, boxes)."""

import io

import matplotlib
import numpy as np
import torch
from google.protobuf import text_format
from PIL import Image
from tensorboard.plugins.mesh import plugin_data_pb2 as mesh_pb2
from tensorboard.plugins.pr_curve import plugin_data_pb2 as pr_pb2
from tensorboard.plugins.projector import projector_plugin
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig
from torch.utils.tensorboard._utils import _prepare_video

import flowlog as fl

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the headless backend
from writer_peers import ALL, WRITERS, assert_same, decoded, load, tensors, write_all


def _figure(k):
    fig = plt.figure(figsize=(2, 1.5), dpi=40)
    fig.add_subplot().plot([0, 1, 2], [k, 2, 0])
    return fig


def _projector_view(run_dir):
    """What the projector plugin reads: config entries, tensors, metadata text, sprites."""
    config = ProjectorConfig()
    text_format.Parse((run_dir / "projector_config.pbtxt").read_text(), config)
    view = []
    for e in config.embeddings:
        sprite = None
        if e.sprite.image_path:
            sprite = np.asarray(Image.open(run_dir / e.sprite.image_path).convert("RGB"))
        view.append((
            e.tensor_name, e.tensor_path, e.metadata_path, e.sprite.image_path,
            list(e.sprite.single_image_dim),
            projector_plugin._read_tensor_tsv_file(str(run_dir / e.tensor_path)).tolist(),
            (run_dir / e.metadata_path).read_text() if e.metadata_path else None,
            None if sprite is None else sprite.tolist(),
        ))
    return view


def test_add_figure_one_or_a_list(tmp_path):
    kept = []

    def log(w):
        w.add_figure("fig", _figure(1), 0)
        w.add_figure("figs", [_figure(1), _figure(2)], 1)
        kept.append(_figure(3))
        w.add_figure("kept", kept[-1], 2, close=False)

    accs = write_all(tmp_path, log)
    for tag in ("fig", "figs", "kept"):
        got = {k: decoded(a, tag) for k, a in accs.items()}
        for name in ("tbx", "ours"):
            assert [s for s, _ in got[name]] == [s for s, _ in got["torch"]]
            np.testing.assert_array_equal(got[name][0][1], got["torch"][0][1])
    assert decoded(accs["ours"], "figs")[0][1].shape == (60, 160, 3)  # two 80x60 side by side
    open_figures = [plt.figure(n) for n in plt.get_fignums()]
    assert open_figures == kept  # close=True closed the others
    plt.close("all")
    images = fl.read_images(tmp_path)
    for name in ALL:  # torch's PNGs, written by Pillow, decode to the same pixels as ours
        for tag in ("fig", "figs"):
            np.testing.assert_array_equal(images[name][tag][0].image, decoded(accs["torch"], tag)[0][1])


def test_add_pr_curve_and_raw(tmp_path):
    rng = np.random.default_rng(0)
    labels, predictions = rng.integers(0, 2, 200), rng.random(200)
    weights = rng.random(200)

    def log(w):
        w.add_pr_curve("pr", labels, predictions, 1)
        w.add_pr_curve("pr", torch.tensor(labels), torch.tensor(predictions), 2,
                       num_thresholds=11, weights=weights)
        w.add_pr_curve_raw("raw", *np.arange(30.0).reshape(6, 5), global_step=3, num_thresholds=5)

    accs = write_all(tmp_path, log)
    for tag in ("pr", "raw"):
        assert_same({k: tensors(a, tag) for k, a in accs.items()})
        content = accs["ours"].SummaryMetadata(tag).plugin_data.content
        assert_same({
            k: pr_pb2.PrCurvePluginData.FromString(
                a.SummaryMetadata(tag).plugin_data.content).num_thresholds
            for k, a in accs.items()
        })
        assert accs["ours"].SummaryMetadata(tag).plugin_data.plugin_name == "pr_curves"
    assert pr_pb2.PrCurvePluginData.FromString(content).num_thresholds == 5
    curves = fl.read_pr_curves(tmp_path)
    (first, second), ours_raw = curves["ours"]["pr"], curves["ours"]["raw"][0]
    assert len(first.thresholds) == 127 and len(second.precision) == 11
    np.testing.assert_array_equal(ours_raw.recall, np.arange(25.0, 30.0))
    for peer in ("torch", "tbx"):
        np.testing.assert_array_equal(curves[peer]["pr"][1].tp, second.tp)


def test_add_embedding_writes_the_projector_files_of_torch(tmp_path):
    rng = np.random.default_rng(0)
    mat = rng.normal(size=(9, 5)).astype(np.float32)
    label_img = torch.tensor(rng.random((9, 3, 4, 4)) > 0.5).float()

    def log(w):
        w.add_embedding(mat, [str(i % 3) for i in range(9)], label_img, global_step=1, tag="dig")
        w.add_embedding(torch.tensor(mat * 2), [[i, i % 2] for i in range(9)], global_step=2,
                        tag="a/b%", metadata_header=["idx", "parity"])
        w.add_embedding(mat[:4])  # the defaults: step 0, tag "default"

    for name in ALL:
        with WRITERS[name](str(tmp_path / name)) as w:
            log(w)
    views = {k: _projector_view(tmp_path / k) for k in ALL}
    assert_same(views)
    assert [v[0] for v in views["ours"]] == ["dig:00001", "a/b%:00002", "default:00000"]
    assert views["ours"][1][1] == "00002/a%2fb%25/tensors.tsv"
    assert views["ours"][1][6].splitlines()[0] == "idx\tparity"

    embeddings = fl.read_embeddings(tmp_path)
    for name in ALL:
        dig, table, default = embeddings[name]
        np.testing.assert_array_equal(dig.tensor, mat)
        assert (dig.tag, dig.step, dig.metadata[:2], dig.sprite_image_dim) == (
            "dig", 1, [["0"], ["1"]], (4, 4))
        assert dig.sprite.shape == (12, 12, 3)
        assert table.metadata_header == ["idx", "parity"] and table.metadata[3] == ["3", "1"]
        assert (default.tag, default.step, default.tensor.shape) == ("default", 0, (4, 5))


def test_embeddings_of_several_writers_in_one_run_are_all_listed(tmp_path):
    for tag in ("first", "second"):
        with fl.SummaryWriter(tmp_path) as w:
            w.add_embedding(np.eye(3), tag=tag)
    assert [e.tag for e in fl.read_embeddings(tmp_path)["."]] == ["first", "second"]


def test_add_audio_like_torch(tmp_path):
    # tensorboardX encodes audio with the soundfile package, which is not installed here.
    t = np.linspace(0, 1, 800, endpoint=False)
    clip = 0.5 * np.sin(2 * np.pi * 220 * t)

    def log(w):
        w.add_audio("tone", clip, 1, sample_rate=800)
        w.add_audio("loud", torch.tensor(clip * 3).unsqueeze(0), 2)  # clipped to [-1, 1]

    accs = write_all(tmp_path, log, ("torch", "ours"))
    for tag in ("tone", "loud"):
        got = {k: [(e.step, e.encoded_audio_string, e.content_type, e.sample_rate,
                    e.length_frames) for e in a.Audio(tag)] for k, a in accs.items()}
        assert_same(got)
    samples = fl.read_audio(tmp_path)
    tone = samples["ours"]["tone"][0]
    assert tone.sample_rate == 800 and tone.samples.shape == (800, 1)
    np.testing.assert_allclose(tone.samples[:, 0], clip, atol=1 / 32767)
    assert samples["ours"]["loud"][0].samples.max() == 1.0


def test_add_audio_stereo_as_tensorboardx_takes_it(tmp_path):
    clip = np.stack([np.linspace(-1, 1, 100), np.zeros(100)], axis=1)
    with fl.SummaryWriter(tmp_path) as w:
        w.add_audio("stereo", clip, 0, sample_rate=100)
    (audio,) = load(tmp_path).Audio("stereo")
    assert audio.length_frames == 100
    np.testing.assert_allclose(fl.read_audio(tmp_path)["."]["stereo"][0].samples, clip, atol=1e-4)


def test_add_video_is_an_animated_gif_in_torchs_grid(tmp_path):
    # torch and tensorboardX need moviepy for videos; torch's own grid layout is the reference.
    rng = np.random.default_rng(0)
    video = (rng.random((3, 4, 3, 8, 10)) > 0.5).astype(np.float32)  # 3 videos of 4 frames
    with fl.SummaryWriter(tmp_path) as w:
        w.add_video("v", torch.tensor(video), 1, fps=5)
        w.add_video("u8", (video[:1] * 255).astype(np.uint8).transpose(0, 1, 3, 4, 2), 2,
                    dataformats="NTHWC")
    (event,) = load(tmp_path).Images("v")
    gif = Image.open(io.BytesIO(event.encoded_image_string))
    assert (event.width, event.height, gif.n_frames, gif.info["duration"]) == (40, 8, 4, 200)
    expected = (_prepare_video(video) * 255).astype(np.uint8)
    for i in range(4):
        gif.seek(i)
        np.testing.assert_array_equal(np.asarray(gif.convert("RGB")), expected[i])
    frames = fl.read_images(tmp_path)["."]
    np.testing.assert_array_equal(frames["v"][0].image, expected)
    assert frames["u8"][0].image.shape == (4, 8, 10, 3)


def test_add_mesh_and_add_tensor_like_torch(tmp_path):
    vertices = np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]], np.float32)
    colors = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]]], np.uint8)
    faces = np.array([[[0, 1, 2], [0, 1, 3]]], np.int32)

    def log(w):
        w.add_mesh("m", vertices, colors, faces, {"camera": {"fov": 75}}, global_step=1)
        w.add_mesh("cloud", torch.tensor(vertices), global_step=2)
        w.add_tensor("t", torch.arange(6, dtype=torch.int32).reshape(2, 3), 3)

    accs = write_all(tmp_path, log, ("torch", "ours"))
    for tag in ("m_VERTEX", "m_COLOR", "m_FACE", "cloud_VERTEX", "t"):
        assert_same({k: tensors(a, tag) for k, a in accs.items()})
    # tensorboardX tags the parts by number (m_1, m_2, m_3); the tensors are the same
    tbx = write_all(tmp_path, lambda w: w.add_mesh("m", vertices, colors, faces, global_step=1),
                    ("tbx",))["tbx"]
    for number, part in enumerate(("VERTEX", "FACE", "COLOR"), start=1):
        assert repr(tensors(tbx, f"m_{number}")) == repr(tensors(accs["ours"], f"m_{part}"))
    for tag in ("m_VERTEX", "m_FACE", "cloud_VERTEX"):
        assert_same({
            k: mesh_pb2.MeshPluginData.FromString(a.SummaryMetadata(tag).plugin_data.content)
            for k, a in accs.items()
        })


def test_add_image_with_boxes_draws_red_boxes_where_torch_does(tmp_path):
    img = np.ones((3, 40, 50), np.float32)
    boxes = np.array([[5, 5, 20, 30], [25, 10, 45, 35]])

    def log(w):
        w.add_image_with_boxes("boxed", img, boxes, 1)
        w.add_image_with_boxes("labelled", img, torch.tensor(boxes), 2, labels=["cat", "dog"])

    accs = write_all(tmp_path, log, ("torch", "ours"))
    for tag in ("boxed", "labelled"):
        (_, theirs), (_, ours) = decoded(accs["torch"], tag)[0], decoded(accs["ours"], tag)[0]
        np.testing.assert_array_equal(ours, theirs)
    red = np.all(decoded(accs["ours"], "boxed")[0][1] == [255, 0, 0], axis=2)
    assert red.sum() == 340
    with fl.SummaryWriter(tmp_path / "scaled") as w:
        w.add_image_with_boxes("half", img, boxes, 3, rescale=0.5)
    assert fl.read_images(tmp_path / "scaled")["."]["half"][0].image.shape == (20, 25, 3)
