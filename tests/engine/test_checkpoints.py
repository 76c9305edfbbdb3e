"""Checkpoints in TensorFlow's format V2: TensorFlow's files restore here, ours are what it
writes (`scripts/tf_checkpoints.py check` has TensorFlow restore ours), damage is DataLossError."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboard.compat.proto import meta_graph_pb2

import flowlog as fl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from tf_checkpoints import model, values  # the same model TensorFlow saved

FIXTURE = Path(__file__).parent / "data" / "tf_checkpoint"


@pytest.fixture
def tf_dir(tmp_path):
    """A copy of the checkpoint TensorFlow wrote (model.ckpt-7) and the values it printed."""
    shutil.copytree(FIXTURE, tmp_path / "ckpt")
    return tmp_path / "ckpt"


def test_a_checkpoint_tensorflow_wrote_restores_with_its_values(tf_dir):
    model(fl)
    prefix = fl.train.latest_checkpoint(str(tf_dir))
    assert prefix == str(tf_dir / "model.ckpt-7")
    with fl.Session() as sess:
        fl.train.Saver().restore(sess, prefix)
        assert values(fl, sess) == json.loads((tf_dir / "values.json").read_text())


def test_checkpoint_readers_list_and_load_tensorflows_variables(tf_dir):
    names = dict(fl.train.list_variables(str(tf_dir)))
    assert names["weight"] == [2, 3] and names["global_step"] == [] and "weight/Adam_1" in names
    assert fl.train.load_variable(str(tf_dir), "global_step") == 7
    reader = fl.train.NewCheckpointReader(str(tf_dir / "model.ckpt-7"))
    assert reader.has_tensor("vector") and not reader.has_tensor("nothing")
    assert reader.get_tensor("vector").dtype == np.float64
    assert reader.get_variable_to_dtype_map()["global_step"] == fl.int64
    state = fl.train.get_checkpoint_state(str(tf_dir))
    assert list(state.all_model_checkpoint_paths) == [str(tf_dir / "model.ckpt-7")]


@pytest.mark.parametrize("damage", ["truncate index", "flip data", "drop data"])
def test_a_damaged_checkpoint_is_data_loss_naming_the_file(tf_dir, damage):
    prefix = tf_dir / "model.ckpt-7"
    index, data = Path(f"{prefix}.index"), Path(f"{prefix}.data-00000-of-00001")
    if damage == "truncate index":
        index.write_bytes(index.read_bytes()[:-20])
        named = index.name
    elif damage == "flip data":
        blob = bytearray(data.read_bytes())
        blob[5] ^= 0xFF
        data.write_bytes(bytes(blob))
        named = data.name
    else:
        data.unlink()
        named = data.name
    model(fl)
    with fl.Session() as sess, pytest.raises(fl.errors.DataLossError, match=named):
        fl.train.Saver().restore(sess, str(prefix))


def test_saving_writes_what_tensorflow_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train = model(fl)
    saver = fl.train.Saver(max_to_keep=2)
    where = Path("not", "made", "yet")  # made, as TensorFlow's V2 writer does
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        for step in range(3):
            sess.run(train)
            saver.save(sess, str(where / "model.ckpt"), global_step=step)
        saved = values(fl, sess)
    files = sorted(p.name for p in where.iterdir())
    assert files == ["checkpoint", *(f"model.ckpt-{s}.{ext}" for s in (1, 2)
                                      for ext in ("data-00000-of-00001", "index", "meta"))]
    # relative to the directory, as TensorFlow writes paths that were given relative
    assert (where / "checkpoint").read_text() == (
        'model_checkpoint_path: "model.ckpt-2"\n'
        'all_model_checkpoint_paths: "model.ckpt-1"\n'
        'all_model_checkpoint_paths: "model.ckpt-2"\n')
    meta = meta_graph_pb2.MetaGraphDef.FromString((where / "model.ckpt-2.meta").read_bytes())
    assert {"weight", "layer/bias", "global_step"} <= {n.name for n in meta.graph_def.node}
    fl.reset_default_graph()
    model(fl)
    with fl.Session() as sess:
        fl.train.Saver().restore(sess, fl.train.latest_checkpoint(str(where)))
        assert values(fl, sess) == saved


def test_checkpoints_of_earlier_flowlog_still_restore(tmp_path):
    w = fl.Variable([1.0, 2.0], name="w")
    np.savez(tmp_path / "old.npz", w=np.array([3.0, 4.0], np.float32))
    with fl.Session() as sess:
        fl.train.Saver().restore(sess, str(tmp_path / "old"))
        assert sess.run(w).tolist() == [3.0, 4.0]


def test_keep_checkpoint_every_n_hours_keeps_old_ones_beyond_max_to_keep(tmp_path):
    w = fl.Variable(1.0, name="w")
    saver = fl.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1e-9)
    with fl.Session() as sess:
        sess.run(w.initializer)
        for step in range(3):
            saver.save(sess, str(tmp_path / "m"), global_step=step)
    assert sorted(p.name for p in tmp_path.glob("*.index")) == [f"m-{s}.index" for s in range(3)]
    assert saver.last_checkpoints == [str(tmp_path / "m-2")]
