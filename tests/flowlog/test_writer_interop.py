"""The same SummaryWriter call through torch, tensorboardX and flowlog: TensorBoard's loaders read
the three logdirs as equal (the writer's API: reopening, layouts, hparams, options, threads)."""


import numpy as np
import pytest
import torch
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.hparams import plugin_data_pb2 as hparams_pb2
from tensorboardX import SummaryWriter as TbxWriter
from writer_peers import ALL, WRITERS, assert_same, decoded, load, tensors, write_all

import flowlog as fl


def test_add_after_close_reopens_like_torch(tmp_path):
    def log(w):
        w.add_scalar("x", 1.0, 0)
        w.close()
        w.add_scalar("x", 2.0, 1)  # PyTorch's tutorial keeps logging after close()

    # tensorboardX reopens a file of the same name within the same second, losing the first.
    accs = write_all(tmp_path, log, ("torch", "ours"))
    assert_same({k: [(e.step, e.value) for e in a.Scalars("x")] for k, a in accs.items()})
    assert [(e.step, e.value) for e in accs["ours"].Scalars("x")] == [(0, 1.0), (1, 2.0)]
    assert len(list((tmp_path / "ours").glob("events.out.tfevents.*"))) == 2


def test_add_custom_scalars_layouts(tmp_path):
    layout = {
        "Loss": {"all": ["Multiline", ["loss/.*"]], "band": ["Margin", ["m", "m_lo", "m_hi"]]},
        "Other": {"lr": ["Multiline", ["lr"]]},
    }

    def log(w):
        w.add_custom_scalars(layout)
        w.add_custom_scalars_multilinechart(["acc/.*"], category="More", title="acc")
        w.add_custom_scalars_marginchart(["v", "lo", "hi"])

    accs = write_all(tmp_path, log)
    layouts = {
        k: [layout_pb2.Layout.FromString(t.item()) for _, t in tensors(a, "custom_scalars__config__")]
        for k, a in accs.items()
    }
    assert_same({k: [str(x) for x in v] for k, v in layouts.items()})
    first = layouts["ours"][0]
    assert [c.title for c in first.category] == ["Loss", "Other"]
    assert first.category[0].chart[1].margin.series[0].upper == "m_hi"


def _hparams_view(acc):
    view = {}
    for content in acc.PluginTagToContent("hparams").values():
        data = hparams_pb2.HParamsPluginData.FromString(content)
        if data.HasField("experiment"):
            view["infos"] = [(i.name, i.type, [str(v) for v in i.domain_discrete.values])
                             for i in data.experiment.hparam_infos]
            view["metrics"] = [m.name.tag for m in data.experiment.metric_infos]
        elif data.HasField("session_start_info"):
            view["values"] = sorted((k, str(v)) for k, v in data.session_start_info.hparams.items())
    view["scalars"] = [(e.step, e.value) for e in acc.Scalars("hparam/acc")]
    return view


def test_add_hparams_run_name_step_and_domains(tmp_path):
    hp, metrics = {"lr": 0.1, "opt": "adam", "layers": 3}, {"hparam/acc": 0.75}
    domain = {"opt": ["adam", "sgd"], "layers": [2, 3]}

    def log(w):
        if isinstance(w, TbxWriter):
            w.add_hparams(hp, metrics, name="trial", global_step=3)
        else:
            w.add_hparams(hp, metrics, hparam_domain_discrete=domain, run_name="trial",
                          global_step=3)

    accs = write_all(tmp_path, log, run="trial")
    views = {k: _hparams_view(a) for k, a in accs.items()}
    assert views["ours"] == views["torch"]
    assert views["tbx"]["values"] == views["ours"]["values"]
    assert views["ours"]["scalars"] == [(3, 0.75)]
    assert ("opt", 1, ['string_value: "adam"\n', 'string_value: "sgd"\n']) in views["ours"]["infos"]

    with fl.SummaryWriter(tmp_path / "more") as w:
        w.add_hparams({"lr": 0.5}, {"hparam/acc": 0.5}, "positional")  # tensorboardX's order
        w.add_hparams({"lr": 0.7}, {"hparam/acc": 0.6}, name="named")
    found = fl.read_hparams(tmp_path)
    assert found["more/positional"].hparams == {"lr": 0.5}
    assert found["more/named"].metrics == {"hparam/acc": pytest.approx(0.6)}
    assert found["ours/trial"].domains == {"opt": ["adam", "sgd"], "layers": [2.0, 3.0]}
    assert found["torch/trial"].hparams == found["tbx/trial"].hparams == found["ours/trial"].hparams
    assert found["tbx/trial"].metrics == found["ours/trial"].metrics == {"hparam/acc": 0.75}


def test_add_scalar_options(tmp_path):
    def log(w):
        if isinstance(w, TbxWriter):
            w.add_scalar("named", 0.5, 1, None, "Loss", "the loss")  # tensorboardX's order
        else:
            w.add_scalar("double", 0.1, 1, new_style=True, double_precision=True)
            w.add_scalar("float", 0.1, 1, new_style=True)
            if isinstance(w, fl.SummaryWriter):
                w.add_scalar("named", 0.5, 1, None, "Loss", "the loss")

    accs = write_all(tmp_path, log)
    for tag in ("double", "float"):
        assert_same({k: tensors(accs[k], tag) for k in ("torch", "ours")})
    assert tensors(accs["ours"], "double")[0][1].dtype == np.float64
    for k in ("tbx", "ours"):
        meta = accs[k].SummaryMetadata("named")
        assert (meta.display_name, meta.summary_description) == ("Loss", "the loss")
        assert [(e.step, e.value) for e in accs[k].Scalars("named")] == [(1, 0.5)]


def test_histograms_max_bins_raw_and_text(tmp_path):
    values = np.random.default_rng(0).normal(size=1000)

    def log(w):
        w.add_histogram("auto", values, 1, bins="auto", max_bins=7)
        w.add_histogram("tf", torch.tensor(values), 2, max_bins=20)
        w.add_histogram_raw("raw", 0, 3, 6, 9, 21, [1, 2, 3], [1, 2, 3], global_step=3)
        w.add_text("note", "hello *world*", 4)

    accs = write_all(tmp_path, log)
    for tag in ("auto", "tf", "raw"):
        assert_same({k: [(e.step, e.histogram_value) for e in a.Histograms(tag)]
                     for k, a in accs.items()})
    assert_same({k: tensors(a, "note/text_summary") for k, a in accs.items()})
    read = fl.read_histograms(tmp_path)
    assert read["ours"]["raw"][0].bucket_counts.tolist() == [1, 2, 3]
    assert sum(read["tbx"]["tf"][0].bucket_counts) == 1000
    texts = fl.read_text(tmp_path)
    assert {k: texts[k]["note/text_summary"][0].text for k in ALL} == dict.fromkeys(
        ALL, "hello *world*")


def test_use_metadata_and_images_lists_like_tensorboardx(tmp_path):
    def log(w):
        with w.use_metadata(global_step=7, walltime=123.0):
            w.add_scalar("u", 1.0)
            w.add_text("t", "x")
        w.add_scalar("u", 2.0, 8)
        w.add_images("list", [np.zeros((3, 4, 4)), np.ones((3, 4, 4))], 9, dataformats="CHW")

    accs = write_all(tmp_path, log, ("tbx", "ours"))
    assert_same({k: [(e.wall_time, e.step, e.value) for e in a.Scalars("u")][:1]
                 for k, a in accs.items()})
    assert [e.step for e in accs["ours"].Scalars("u")] == [7, 8]
    assert accs["ours"].Tensors("t/text_summary")[0].step == 7
    assert_same({k: [x.tolist() for _, x in decoded(a, "list")] for k, a in accs.items()})


def test_export_scalars_to_json(tmp_path):
    import json

    with fl.SummaryWriter(tmp_path) as w:
        w.add_scalars("loss", {"train": 1.5, "valid": 2.5}, 3, walltime=10.0)
        w.export_scalars_to_json(tmp_path / "all.json")
    exported = json.loads((tmp_path / "all.json").read_text())
    assert exported == {str(tmp_path / "loss_train"): [[10.0, 3, 1.5]],
                        str(tmp_path / "loss_valid"): [[10.0, 3, 2.5]]}


def test_global_summary_writer_counts_steps_per_tag_across_threads(tmp_path):
    import threading

    from tensorboardX import GlobalSummaryWriter as TbxGlobal

    def work(w, k):
        for _ in range(50):
            w.add_scalar("loss", float(k))
        w.add_text("who", str(k))

    accs = {}
    for name, make in (("tbx", TbxGlobal), ("ours", fl.GlobalSummaryWriter)):
        w = make(str(tmp_path / name))
        threads = [threading.Thread(target=work, args=(w, k)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        w.add_image("img", np.zeros((3, 2, 2)))
        w.close()
        accs[name] = load(tmp_path / name)
    assert_same({k: sorted(e.step for e in a.Scalars("loss")) for k, a in accs.items()})
    assert sorted(e.step for e in accs["ours"].Scalars("loss")) == list(range(200))
    assert [e.step for e in accs["ours"].Tensors("who/text_summary")] == [0, 1, 2, 3]
    assert [e.step for e in accs["ours"].Images("img")] == [0]


def test_torch_values_with_grad_or_unusual_dtypes_are_logged(tmp_path):
    weights = torch.randn(50, 3, requires_grad=True)
    loss = (weights**2).sum()
    with fl.SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", loss, 0)
        w.add_scalar("half", torch.tensor(0.5, dtype=torch.bfloat16), 0)
        w.add_histogram("w", weights, 0)
        w.add_histogram("bf16", weights.to(torch.bfloat16), 0)
        w.add_image("img", torch.rand(3, 4, 4, requires_grad=True), 0)
        w.add_embedding(weights, global_step=0)
        w.add_pr_curve("pr", torch.tensor([0, 1]), torch.rand(2, requires_grad=True), 0)
        w.add_audio("a", torch.zeros(10, requires_grad=True), 0, sample_rate=10)
        w.add_video("v", torch.rand(1, 2, 3, 4, 4, requires_grad=True), 0)
        w.add_mesh("m", weights.reshape(1, 50, 3), global_step=0)
    acc = load(tmp_path)
    assert acc.Scalars("loss")[0].value == pytest.approx(loss.item())
    assert acc.Scalars("half")[0].value == 0.5
    assert acc.Histograms("w")[0].histogram_value.num == 150
    assert acc.Histograms("bf16")[0].histogram_value.num == 150
    assert len(acc.Images("img")) == len(acc.Images("v")) == len(acc.Audio("a")) == 1
    np.testing.assert_allclose(fl.read_embeddings(tmp_path)["."][0].tensor, weights.detach())


def test_logging_through_file_writer_like_the_hparams_recipe(tmp_path):
    from torch.utils.tensorboard.summary import hparams

    exp, ssi, sei = hparams({"lr": 0.1}, {"acc": 0.5})
    for name in ("torch", "ours"):
        with WRITERS[name](str(tmp_path / name)) as w:
            for summary in (exp, ssi, sei):
                w.file_writer.add_summary(summary)
            w.add_scalar("acc", 0.5, 1)
            assert w.file_writer.get_logdir() == str(tmp_path / name)
    found = fl.read_hparams(tmp_path)
    assert found["torch"] == found["ours"]
    assert found["ours"].hparams == {"lr": 0.1} and found["ours"].metrics == {"acc": 0.5}
