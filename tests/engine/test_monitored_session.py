"""`tf.train.MonitoredTrainingSession` and its hooks: stopping, restoring, saving, NaN checks."""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

import flowlog as fl


def _model():
    step = fl.train.get_or_create_global_step()
    w = fl.Variable(2.0, name="w")
    loss = fl.square(w, name="loss")
    return loss, fl.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)


def test_stop_at_step_saves_and_a_new_session_resumes(tmp_path):
    with fl.Graph().as_default() as g:
        _, train = _model()
        hooks = [fl.train.StopAtStepHook(num_steps=7)]
        with fl.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), hooks=hooks,
                                               save_checkpoint_steps=3) as sess:
            runs = 0
            while not sess.should_stop():
                sess.run(train)
                runs += 1
            with pytest.raises(RuntimeError, match="finalized"):
                fl.constant(1.0)
        assert runs == 7 and g.finalized
    saved = sorted(int(p.rsplit("-", 1)[1][:-6]) for p in glob.glob(f"{tmp_path}/*.index"))
    assert saved == [0, 3, 6, 7]
    assert os.path.exists(tmp_path / "graph.pbtxt")
    with fl.Graph().as_default():
        _, train = _model()
        with fl.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path)) as sess:
            assert sess.run(fl.train.get_global_step()) == 7
            assert sess.run("w:0") == pytest.approx(2.0 * 0.8 ** 7, rel=1e-6)


def test_running_out_of_data_ends_the_loop_and_saves_the_last_step(tmp_path):
    with fl.Graph().as_default():
        step = fl.train.get_or_create_global_step()
        batch = fl.data.Dataset.from_tensor_slices(np.arange(5.0)).make_one_shot_iterator()
        with fl.control_dependencies([batch.get_next()]):
            train = fl.assign_add(step, 1)
        with fl.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path)) as sess:
            while not sess.should_stop():
                sess.run(train)
        assert sess.should_stop()
    assert fl.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-5")


def test_nan_loss_stops_training_with_tensorflows_error():
    with fl.Graph().as_default():
        x = fl.Variable(np.nan)  # a model that diverged
        loss = x * 2.0
        step = fl.train.get_or_create_global_step()
        train = fl.assign_add(step, 1)
        hook = fl.train.NanTensorHook(loss)
        with pytest.raises(fl.train.NanLossDuringTrainingError, match="NaN loss"), \
                fl.train.MonitoredTrainingSession(hooks=[hook]) as sess:
            sess.run(train)


def test_hooks_see_what_they_asked_for_and_logging_hooks_log(capfd):
    seen = []

    class Collect(fl.train.SessionRunHook):
        def before_run(self, run_context):
            return fl.train.SessionRunArgs({"w": "w:0"}, feed_dict={"lr:0": 0.5})

        def after_run(self, run_context, run_values):
            seen.append(round(float(run_values.results["w"]), 4))
            if len(seen) == 3:
                run_context.request_stop()

    with fl.Graph().as_default():
        w = fl.Variable(1.0, name="w")
        rate = fl.placeholder_with_default(0.1, [], name="lr")
        train = fl.assign_sub(w, rate)
        log = fl.train.LoggingTensorHook({"weight": w}, every_n_iter=2)
        verbosity = fl.logging.get_verbosity()
        fl.logging.set_verbosity(fl.logging.INFO)
        try:
            with fl.train.MonitoredSession(hooks=[Collect(), log]) as sess:
                while not sess.should_stop():
                    sess.run(train)
        finally:
            fl.logging.set_verbosity(verbosity)
    assert seen == [0.5, 0.0, -0.5]  # a variable fetched is its value after the run's update
    logged = [x for x in capfd.readouterr().err.splitlines() if "weight" in x]
    assert [x.split("weight")[1] for x in logged] == [" = 0.5", " = -0.5"]  # every second run
