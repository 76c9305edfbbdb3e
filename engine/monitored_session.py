"""`tf.train.MonitoredTrainingSession` (its hooks are in session_hooks.py), as TensorFlow's own
examples train:
    with tf.train.MonitoredTrainingSession(checkpoint_dir=d, hooks=[StopAtStepHook(last_step=n)])
            as sess:
        while not sess.should_stop():
            sess.run(train_op)

On entry the graph is finalized, the latest checkpoint in `checkpoint_dir` restored (else the
variables initialized); each `run` asks every hook's `before_run` for more to fetch and hands
the results to its `after_run`; a hook may request a stop. Leaving the block (or running out
of data: `OutOfRangeError`) ends the hooks, so the last checkpoint is saved.
"""
from __future__ import annotations

from flowlog.engine import errors
from flowlog.engine.framework import get_default_graph
from flowlog.engine.saver import Saver, get_checkpoint_state, latest_checkpoint
from flowlog.engine.session import Session
from flowlog.engine.session_hooks import (
    CheckpointSaverHook,
    SessionRunArgs,
    SessionRunContext,
    SessionRunValues,
    StepCounterHook,
    SummarySaverHook,
)
from flowlog.engine.summary import merge_all
from flowlog.engine.variables import global_variables_initializer, local_variables_initializer


class Scaffold:
    """What a monitored session needs made before the graph is finalized: the init ops, the
    summary op and the Saver."""

    def __init__(self, init_op=None, init_feed_dict=None, init_fn=None, ready_op=None,
                 ready_for_local_init_op=None, local_init_op=None, summary_op=None,
                 saver=None, copy_from_scaffold=None):
        self.init_op, self.init_feed_dict, self.init_fn = init_op, init_feed_dict, init_fn
        self.local_init_op, self.summary_op, self.saver = local_init_op, summary_op, saver

    def finalize(self) -> None:
        graph = get_default_graph()
        if self.init_op is None:
            self.init_op = global_variables_initializer()
        if self.local_init_op is None:
            self.local_init_op = local_variables_initializer()
        if self.summary_op is None:
            self.summary_op = merge_all()
        if self.saver is None and graph.get_collection("variables"):
            self.saver = Saver()
        graph.finalize()


class MonitoredSession:
    """A Session that restores or initializes itself and runs hooks around each `run`."""

    def __init__(self, hooks=(), scaffold=None, checkpoint_dir=None, config=None):
        self._hooks = list(hooks)
        self._scaffold = scaffold or Scaffold()
        for hook in self._hooks:
            hook.begin()
        self._scaffold.finalize()
        self._sess = Session(config=config)
        state = get_checkpoint_state(checkpoint_dir) if checkpoint_dir else None
        found = latest_checkpoint(checkpoint_dir) if state else None
        if found and self._scaffold.saver is not None:
            self._scaffold.saver.restore(self._sess, found)
            self._scaffold.saver.recover_last_checkpoints(state.all_model_checkpoint_paths)
        else:
            self._sess.run(self._scaffold.init_op, self._scaffold.init_feed_dict)
            if self._scaffold.init_fn is not None:
                self._scaffold.init_fn(self._scaffold, self._sess)
        self._sess.run(self._scaffold.local_init_op)
        for hook in self._hooks:
            hook.after_create_session(self._sess, None)
        self._stop = False

    @property
    def graph(self):
        return self._sess.graph

    def should_stop(self) -> bool:
        return self._stop

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """`fetches` run with what the hooks ask for; their `after_run` sees the results."""
        if self._stop:
            raise RuntimeError("Run called even after should_stop requested.")
        context = SessionRunContext(SessionRunArgs(fetches, feed_dict, options), self._sess)
        asked = [hook.before_run(context) for hook in self._hooks]
        feeds = dict(feed_dict or {})
        for args in asked:
            for key, value in ((args.feed_dict or {}) if args else {}).items():
                if key in feeds:
                    raise RuntimeError(f"Same tensor is fed by two hooks: {key}")
                feeds[key] = value
        extra = [args.fetches if args else [] for args in asked]
        try:
            results, extra_results = self._sess.run([fetches, extra], feeds, options,
                                                    run_metadata)
        except errors.OutOfRangeError:
            self._stop = True
            raise
        for hook, args, value in zip(self._hooks, asked, extra_results):
            hook.after_run(context, SessionRunValues(value if args else None, options,
                                                     run_metadata))
        self._stop = self._stop or context.stop_requested
        return results

    def close(self, ended_well: bool = True) -> None:
        if ended_well:
            for hook in self._hooks:
                hook.end(self._sess)
        self._sess.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        ended_well = exc_type in (None, errors.OutOfRangeError, StopIteration)
        self.close(ended_well)
        return ended_well and exc_type is not None  # running out of data ends the loop


USE_DEFAULT = object()


def MonitoredTrainingSession(master="", is_chief=True, checkpoint_dir=None, scaffold=None,
                             hooks=None, chief_only_hooks=None,
                             save_checkpoint_secs=USE_DEFAULT, save_summaries_steps=USE_DEFAULT,
                             save_summaries_secs=USE_DEFAULT, config=None,
                             stop_grace_period_secs=120, log_step_count_steps=100,
                             max_wait_secs=7200, save_checkpoint_steps=USE_DEFAULT,
                             summary_dir=None) -> MonitoredSession:
    """A MonitoredSession with TF's standard hooks when `checkpoint_dir` is given: a
    checkpoint every 600 s (or `save_checkpoint_steps`), summaries every 100 steps and the
    step rate, all written to `checkpoint_dir`."""
    scaffold = scaffold or Scaffold()
    all_hooks = list(hooks or []) + list(chief_only_hooks or [])
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(StepCounterHook(log_step_count_steps, summary_dir))
        steps = 100 if save_summaries_steps is USE_DEFAULT and \
            save_summaries_secs is USE_DEFAULT else \
            (None if save_summaries_steps is USE_DEFAULT else save_summaries_steps)
        secs = None if save_summaries_secs is USE_DEFAULT else save_summaries_secs
        if steps or secs:
            all_hooks.append(SummarySaverHook(steps or None, None if steps else secs,
                                              summary_dir, scaffold=scaffold))
    if checkpoint_dir:
        if save_checkpoint_secs is USE_DEFAULT and save_checkpoint_steps is USE_DEFAULT:
            save_checkpoint_secs, save_checkpoint_steps = 600, None
        elif save_checkpoint_secs is USE_DEFAULT:
            save_checkpoint_secs = None
        elif save_checkpoint_steps is USE_DEFAULT:
            save_checkpoint_steps = None
        if save_checkpoint_steps or save_checkpoint_secs:
            all_hooks.append(CheckpointSaverHook(
                checkpoint_dir, save_secs=None if save_checkpoint_steps else
                save_checkpoint_secs, save_steps=save_checkpoint_steps or None,
                scaffold=scaffold))
    return MonitoredSession(all_hooks, scaffold, checkpoint_dir, config)


__all__ = ["MonitoredSession", "MonitoredTrainingSession", "Scaffold"]
