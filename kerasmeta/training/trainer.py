# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The meta-trainer: strategy, compiled meta-step, checkpoints and logs.

A run lives in a workdir:

  workdir/config.json          the config (of the latest start)
  workdir/config_history.jsonl every config a start of the run used
  workdir/checkpoints/         tf.train.CheckpointManager checkpoints
  workdir/metrics.jsonl        one JSON line per logged step
  workdir/tensorboard/         TensorBoard summaries
  workdir/lock                 held while a trainer runs (`workdir.Lock`)

Nothing already written is lost: a second trainer on the workdir is
refused; the newest checkpoint that restores is found from the files
themselves (one that does not is moved to `checkpoints/unreadable/`); a
workdir with history is never started afresh unless `restart=True`, which
moves that history into `previous-<time>/`; a resumed config may change
only how long and how the run executes (`workdir.RESUMABLE_FIELDS`); a
non-finite loss, gradient or weight stops the run with an error naming the
step, before any checkpoint of it is written.

Resuming is exact: the checkpoint holds the weights, the optimiser's slots
and its step counter; the task stream and every random draw are pure
functions of (seed, step), so the resumed run sees what an uninterrupted run
would have seen.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Callable, Optional, TYPE_CHECKING, Union

from absl import logging
import keras
import tensorflow as tf

from kerasmeta import distribute
from kerasmeta import experiments
from kerasmeta.training import guards
from kerasmeta.training.guards import NonFiniteError  # re-exported
from kerasmeta.training import logs
from kerasmeta.training import optimizers
from kerasmeta import precision
from kerasmeta.training import selection
from kerasmeta.training import signals
from kerasmeta.training import steps
from kerasmeta import workdir as workdir_lib

if TYPE_CHECKING:
  from kerasmeta._typing import Config, JitCompile, OuterOptimizer
  from kerasmeta.algorithms import base


class Trainer:
  """Meta-trains a learner on a task stream, in `workdir`.

  ```python
  trainer = km.training.Trainer(learner, km.SinusoidTasks(shots=10),
                                "/tmp/run", meta_batch_size=4)
  trainer.train(2000)  # re-running resumes from the latest checkpoint
  ```

  Args:
    learner: a `MetaLearner`, built under `strategy.scope()`.
    tasks: a task distribution (`dataset(seed, batch_size, start_batch)`
      gives the batches of `(tasks, seeds)`, a pure function of the seed and
      the batch index, so resuming is exact), or a `tf.data.Dataset` of such
      batches (resuming skips the batches already used).
    workdir: where checkpoints, metrics and summaries go.
    meta_batch_size: tasks per meta-step over all replicas.
    optimizer: the outer optimiser, built for the learner's variables; None:
      Adam 1e-3 (epsilon 1e-8), one per variable group.
    num_meta_steps: `train()`'s default number of steps.
    seed: the task distribution's stream seed (default 0; not for a
      dataset, which brings its own order).
    strategy: a `tf.distribute.Strategy` (None: the current one).
    log_every: meta-steps per metrics line.
    checkpoint_every: meta-steps per checkpoint.
    max_checkpoints: checkpoints kept.
    jit_compile: XLA for the step: "auto", True or False.
    steps_per_call: meta-steps per compiled call where the tasks are made
      in the graph (`steps.makes_tasks_in_graph`): "auto" sizes calls to
      about half a second each (at most 1,000 steps), an int fixes the
      most; calls never cross a log line, a checkpoint or the end.
      Other learners and task streams take one step per call, fed by
      `tf.data`.
    config: the `ConfigDict` the run was built from, written to
      `config.json` (the apps rebuild a workdir's learner from it); see
      `from_config`. A workdir's stored config pins what a resumed run may
      change.
    restart: start afresh even where the workdir holds a run: its
      checkpoints, metrics, summaries and config move to
      `workdir/previous-<time>/` first.
    validate: None, or `learner -> float` (higher is better), run at every
      checkpoint: the best-scoring checkpoint is also kept in
      `checkpoints/best/` with its step and score in
      `checkpoints/best.json` (the papers' checkpoint picked by
      meta-validation accuracy; `restore_best`).
  """

  def __init__(
      self, learner: base.MetaLearner, tasks: Any, workdir: str, *,
      meta_batch_size: int, optimizer: Optional[OuterOptimizer] = None,
      num_meta_steps: Optional[int] = None, seed: Optional[int] = None,
      strategy: Optional[tf.distribute.Strategy] = None, log_every: int = 100,
      checkpoint_every: int = 1000, max_checkpoints: int = 3,
      jit_compile: JitCompile = "auto", restart: bool = False,
      steps_per_call: Union[int, str] = "auto", config: Optional[Config] = None,
      validate: Optional[Callable[[base.MetaLearner], float]] = None) -> None:
    guards.check_arguments(
        learner, tasks, meta_batch_size=meta_batch_size, seed=seed,
        log_every=log_every, checkpoint_every=checkpoint_every,
        max_checkpoints=max_checkpoints, num_meta_steps=num_meta_steps,
        steps_per_call=steps_per_call)
    self.learner, self.tasks, self.config = learner, tasks, config
    self.meta_batch_size = int(meta_batch_size)
    self.num_meta_steps = num_meta_steps
    self.seed = 0 if seed is None else seed
    self.steps_per_call = steps_per_call
    self.log_every = int(log_every)
    self.checkpoint_every = int(checkpoint_every)
    self.max_checkpoints = int(max_checkpoints)
    self.restart = bool(restart)
    self.strategy = strategy or tf.distribute.get_strategy()
    # Under multi-worker training every worker checkpoints (saving is a
    # collective), but only the chief writes into the workdir itself.
    self.is_chief = distribute.is_chief(self.strategy)
    self.distributed = distribute.is_distributed(self.strategy)
    if not self.is_chief:
      workdir = os.path.join(
          workdir, f"worker_{self.strategy.cluster_resolver.task_id}")
    self.workdir = workdir
    tf.io.gfile.makedirs(workdir)  # local paths and gs:// alike
    if self.meta_batch_size % self.strategy.num_replicas_in_sync:
      raise ValueError(
          f"meta_batch_size ({self.meta_batch_size}) must be a multiple of "
          f"the number of replicas ({self.strategy.num_replicas_in_sync}).")
    self.variables = learner.trainable_variables
    with self.strategy.scope():
      self.optimizer = optimizer or optimizers.make_outer_optimizer(
          learner, "adam", 1e-3)
      optimizers.check_optimizer(self.optimizer, learner)
      # Meta-steps taken (= batches consumed). Not the optimiser's
      # iteration count, which a loss-scaling optimiser does not advance on
      # the steps it skips.
      self.global_step = tf.Variable(0, dtype=tf.int64, trainable=False,
                                     name="global_step")
    self._step = 0
    self.restored_from: Optional[str] = None  # the checkpoint restored
    state = self._build_steps(jit_compile)
    self.checkpoint = tf.train.Checkpoint(
        step=self.global_step, optimizer=self.optimizer,
        **learner.checkpoint_items(), **state.checkpoint_items())
    self.checkpoint_dir = os.path.join(workdir, "checkpoints")
    self.manager = self._manager()
    self.selection = selection.BestCheckpoint(
        self.checkpoint, self.checkpoint_dir, validate)
    self._update_statistics = None
    if learner.updates_statistics:
      self._update_statistics = tf.function(learner.update_statistics)

  def _build_steps(self, jit_compile):
    """The learner's step, and its multi-step call where the tasks are made
    in the graph; returns the learner's `TrainState` they share."""
    built = steps.build_step(self.learner, self.optimizer, self.strategy,
                             self.meta_batch_size, jit_compile=jit_compile)
    self._train_step = built.run
    self._steps = None
    if steps.makes_tasks_in_graph(
        self.learner, self.tasks, self.strategy,
        steps.resolve_jit_compile(self.learner, jit_compile)):
      self._steps = steps.build_multi_step(
          self.learner, self.optimizer, self.strategy, self.meta_batch_size,
          self.tasks, self.seed, jit_compile=jit_compile, state=built.state,
          max_steps=(min(self.log_every, self.checkpoint_every,
                         steps.MAX_STEPS_PER_CALL)
                     if self.steps_per_call == "auto"
                     else self.steps_per_call))
    return built.state

  def _manager(self):
    # Reads the checkpoint list as it is on disk now.
    return tf.train.CheckpointManager(self.checkpoint, self.checkpoint_dir,
                                      max_to_keep=self.max_checkpoints)

  @classmethod
  def from_config(cls, config: Config, workdir: str,
                  restart: bool = False) -> Trainer:
    """The trainer of an experiment config (see `kerasmeta/apps/configs/`)."""
    config = experiments.validate_config(config)
    distribute.configure_cpu_devices(config.get("num_cpu_devices", 0))
    keras.utils.set_random_seed(config.seed)
    strategy = distribute.make_strategy(config.strategy,
                                        config.get("tpu_address"))
    with strategy.scope(), precision.mixed_precision(
        config.get("mixed_precision")):
      learner = experiments.build_learner(config)
      # Configs written before `outer_epsilon` existed trained with Keras'
      # default; they resume with it.
      optimizer = optimizers.make_outer_optimizer(
          learner, config.get("outer_optimizer", "adam"),
          config.outer_learning_rate,
          loss_scaling=config.get("mixed_precision") == "mixed_float16",
          epsilon=config.get("outer_epsilon", 1e-7),
          global_clipnorm=config.get("outer_clipnorm") or None)
    tasks = experiments.task_distribution(config)
    experiments.check_data(config)
    validate = None
    if config.get("select_checkpoint"):
      validate = experiments.checkpoint_selector(config)
    return cls(learner, tasks, workdir,
               meta_batch_size=config.meta_batch_size, optimizer=optimizer,
               num_meta_steps=config.num_meta_steps, seed=config.seed,
               strategy=strategy, log_every=config.get("log_every", 100),
               checkpoint_every=config.get("checkpoint_every", 1000),
               max_checkpoints=config.get("max_checkpoints", 3),
               jit_compile=config.get("jit_compile", "auto"),
               steps_per_call=config.get("steps_per_call", 0) or "auto",
               config=config, restart=restart, validate=validate)

  @property
  def step(self) -> int:
    """Meta-steps taken so far."""
    return self._step

  # ------------------------------------------------------------ the data
  def dataset(self, start_step: int) -> tf.data.Dataset:
    """The batches from meta-step `start_step` on (distributed if need be)."""
    if isinstance(self.tasks, tf.data.Dataset):
      data = self.tasks.skip(start_step)
    else:
      data = self.tasks.dataset(self.seed, self.meta_batch_size,
                                start_batch=start_step)
    if not self.distributed:
      return data  # no per-replica wrapping to pay for at every step
    # Every worker generates the same stream; each replica takes its slice
    # of every global batch.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = \
        tf.data.experimental.AutoShardPolicy.DATA
    return self.strategy.experimental_distribute_dataset(
        data.with_options(options))

  # ------------------------------------------------------------ the loop
  def restore(self, read_only: bool = False) -> int:
    """Restores the newest checkpoint that restores, if any. Returns the
    step.

    Args:
      read_only: move and write nothing in the workdir (an evaluation,
        perhaps beside a live trainer; `workdir.restore_newest`).

    Raises:
      workdir.WorkdirError: the workdir holds a run but no checkpoint of it
        restores (nothing is started over it without `restart`).
    """
    path, _ = workdir_lib.restore_newest(
        self.checkpoint, self.checkpoint_dir, verify=self._check_weights,
        read_only=read_only)
    self.restored_from = path
    self.manager = self._manager()
    if path is None:
      # Metrics of steps a checkpoint should have been written for: the
      # checkpoints are gone, and starting afresh would overwrite the run.
      # (Metrics of a run killed before its first checkpoint are not lost:
      # the run writes them again, identically.)
      logged = logs.logged_steps(os.path.join(self.workdir, "metrics.jsonl"))
      if logged and max(logged) >= self.checkpoint_every:
        raise workdir_lib.WorkdirError(
            f"Workdir {self.workdir} holds metrics up to step "
            f"{max(logged)} but no checkpoint: starting afresh would "
            "overwrite that run. Use another workdir, or restart=True "
            "(--restart) to move it aside first.")
      self._step = 0
      return 0
    self._step = int(self.global_step.numpy())
    logging.info("Restored %s at step %d.", path, self.step)
    return self.step

  def save(self, validate: bool = True) -> str:
    """Saves a checkpoint of the current step (its weights checked first),
    and with `validate` (and a `validate` function) scores it."""
    self._check_weights()
    self.global_step.assign(self._step)
    path = self.manager.save(checkpoint_number=self._step)
    logging.info("Saved checkpoint %s.", path)
    if validate and self.selection.validate is not None:
      try:
        self.selection.consider(self.learner, self._step)
      except FloatingPointError as error:
        raise NonFiniteError(str(error)) from None
    return path

  def _score_if_unscored(self, start, num_steps):
    """Scores the restored checkpoint if validation may choose it and the
    run stopped before scoring it (between its save and its score)."""
    if self.selection.validate is None or start == 0:
      return
    if start % self.checkpoint_every and start != num_steps:
      return  # a checkpoint of an interruption: not a candidate
    try:
      self.selection.consider(self.learner, start)
    except FloatingPointError as error:
      raise NonFiniteError(str(error)) from None

  def best(self) -> Optional[dict[str, Any]]:
    """`{"step", "score", "path"}` of the best validated checkpoint, or
    None (no `validate`, or none validated yet)."""
    return self.selection.record()

  def restore_best(self) -> dict[str, Any]:
    """Restores the best validated checkpoint; returns its record.

    Raises:
      FileNotFoundError: no checkpoint was validated.
    """
    best = self.selection.restore()
    self._step = int(self.global_step.numpy())
    return best

  def _check_weights(self):
    """Raises `NonFiniteError` if a trained variable is not finite."""
    for variable in self.variables:
      if not bool(tf.reduce_all(tf.math.is_finite(variable))):
        raise NonFiniteError(
            f"Weight {variable.name} is not finite at step {self._step}; "
            "no checkpoint of it is written.")

  def _check_metrics(self, pending, first_step):
    """`guards.pending_metrics` of the pending steps (raising
    `NonFiniteError` on the first non-finite one)."""
    return guards.pending_metrics(pending, first_step,
                                  self.manager.latest_checkpoint)

  def train(self,
            num_steps: Optional[int] = None) -> Optional[dict[str, float]]:
    """Trains until meta-step `num_steps` (default: `num_meta_steps`).

    Returns:
      The metrics of the last logged step.

    Raises:
      workdir.WorkdirError: the workdir is in use, holds a run that cannot
        be resumed, or was trained with other settings.
      NonFiniteError: a loss, gradient or weight stopped being finite.
      Interrupted / KeyboardInterrupt: SIGTERM or Ctrl-C, after the call
        running then and a checkpoint of its last step (a second signal
        stops at once, unsaved).
    """
    num_steps = self.num_meta_steps if num_steps is None else num_steps
    if num_steps is None:
      raise ValueError("Give train() a number of steps, or the Trainer "
                       "num_meta_steps.")
    with workdir_lib.Lock(self.workdir):
      if self.restart:
        self.restart = False  # once: a later train() call resumes
        moved_to = workdir_lib.set_aside(self.workdir)
        if moved_to:
          logging.warning("restart: moved the previous run to %s.", moved_to)
      start = self.restore()
      if self.config is not None:
        self._record_config(start)
      self._score_if_unscored(start, num_steps)
      try:
        return self._train(start, num_steps)
      except (tf.errors.ResourceExhaustedError, tf.errors.UnknownError,
              OSError) as error:
        if not workdir_lib.is_full_disk(error):
          raise
        raise workdir_lib.WorkdirError(
            f"No space left on the device of {self.workdir} at step "
            f"{self.step}; the newest whole checkpoint is "
            f"{self.manager.latest_checkpoint}. Free some space and re-run "
            "to resume from it.") from None

  def _warn_if_too_big(self, batch):
    guards.warn_if_too_big(self.learner, batch)

  def _batch_shapes(self):
    """The shapes of a batch where the tasks are made in the graph: one
    task's sampler traced (nothing computed), a task axis in front."""
    if self._steps is None:
      return None
    one = tf.function(self.tasks.sample, autograph=False).get_concrete_function(
        tf.TensorSpec([2], tf.int64)).structured_outputs
    return (tf.nest.map_structure(
        lambda t: tf.TensorSpec([self.meta_batch_size, *t.shape], t.dtype),
        one), None)

  def _next_call(self, step, num_steps, call_sizes):
    """Meta-steps of the next multi-step call: up to the next log line,
    checkpoint or the end, and at most `call_sizes`' current size."""
    boundary = min(num_steps,
                   (step // self.log_every + 1) * self.log_every,
                   (step // self.checkpoint_every + 1) * self.checkpoint_every)
    return max(1, min(boundary - step, call_sizes.size))

  def _train(self, start, num_steps):
    events = os.path.join(self.workdir, "tensorboard")
    metrics_log = logs.MetricsLog(
        os.path.join(self.workdir, "metrics.jsonl"), resume_step=start,
        log_every=self.log_every, events_dir=events)
    writer = tf.summary.create_file_writer(events)
    progress = logs.Progress(num_steps, start)
    call = self._calls(start, num_steps)
    pending, tick, last, step = [], time.perf_counter(), {}, start
    # A signal is answered between calls, once their steps are counted.
    with signals.StopRequests() as stop:
      try:
        while step < num_steps:
          entry = call(step)
          pending.append(entry)
          step += entry[1] or 1
          self._step = step
          if step % self.log_every == 0 or step == num_steps:
            # Reading metrics waits for the device: once per log line.
            last = self._log(pending, tick, metrics_log, writer)
            progress.update(step, last)
            pending, tick = [], time.perf_counter()
          else:
            progress.tick(step)
          if step % self.checkpoint_every == 0 and step != num_steps:
            self._check_metrics(pending, self._pending_first(pending))
            self.save()
          if stop.received is not None:
            self._save_on_stop(pending)
            stop.raise_if_received()
      finally:
        progress.close()
        writer.flush()
    if not self._saved_this_step():
      self.save()
    return last

  def _calls(self, start, num_steps):
    """`step -> (metrics, count)`: the next call from meta-step `step`
    (count None: one step fed by `tf.data`, scalar metrics)."""
    if self._steps is not None:
      call_sizes = steps.CallSizes(self._steps.max_steps,
                                   fixed=self.steps_per_call != "auto")
      if not self.distributed:
        self._warn_if_too_big(self._batch_shapes())

      def multi_step_call(step):
        count = self._next_call(step, num_steps, call_sizes)
        began = time.perf_counter()
        metrics = self._steps.run(tf.constant(step, tf.int64),
                                  tf.constant(count, tf.int32))
        call_sizes.update(count, time.perf_counter() - began)
        return metrics, count
      return multi_step_call
    iterator = iter(self.dataset(start))
    # Batch-norm running statistics come from the first replica's tasks.
    first_replica = (
        (lambda v: self.strategy.experimental_local_results(v)[0])
        if self.distributed else (lambda v: v))

    def one_step_call(step):
      batch = next(iterator)
      if step == start and not self.distributed:
        self._warn_if_too_big(batch)
      metrics = self._train_step(batch)
      if self._update_statistics is not None:
        self._update_statistics(*tf.nest.map_structure(first_replica, batch))
      return metrics, None
    return one_step_call

  def _log(self, pending, tick, metrics_log, writer):
    """Writes the metrics line of the pending steps; returns it."""
    values = self._check_metrics(pending, self._pending_first(pending))
    steps_done = len(next(iter(values.values()))) if values else 0
    line = {name: float(column.sum()) / len(column)
            for name, column in values.items()
            if name != steps.NONFINITE_GRADIENTS}
    line["steps_per_second"] = steps_done / max(
        time.perf_counter() - tick, 1e-9)
    metrics_log.write(self._step, line)
    with writer.as_default(step=self._step):
      for name, value in line.items():
        tf.summary.scalar(name, value)
    return line

  def _saved_this_step(self):
    latest = self.manager.latest_checkpoint
    return latest is not None and latest.endswith(f"-{self._step}")

  def _save_on_stop(self, pending):
    """Saves the step a signal stopped the run at (not scored: exit fast),
    unless its loss, gradient or weights are not finite."""
    try:
      self._check_metrics(pending, self._pending_first(pending))
      logging.warning("Interrupted at step %d: saving a checkpoint.",
                      self.step)
      if not self._saved_this_step():
        self.save(validate=False)
    except NonFiniteError as error:
      logging.error("Interrupted at step %d; not saved: %s", self.step,
                    error)

  def _pending_first(self, pending):
    """The step of the first pending entry's first meta-step."""
    return self._step - sum(count or 1 for _, count in pending) + 1

  def _record_config(self, start):
    """Checks the config against the workdir's and records it.

    A resumed run may change only `workdir.RESUMABLE_FIELDS`; every start
    appends its config to `config_history.jsonl`.
    """
    path = os.path.join(self.workdir, "config.json")
    as_json = lambda config: json.loads(experiments.config_to_json(config))
    new = as_json(self.config)
    history = os.path.join(self.workdir, "config_history.jsonl")
    if tf.io.gfile.exists(path):  # compared as both are written
      workdir_lib.check_config(as_json(experiments.load_config(self.workdir)),
                               new)
    else:  # config.json lost: the history still says what was trained
      stored = workdir_lib.last_recorded_config(history)
      if stored is not None:
        logging.warning("%s is missing; comparing with the last config of "
                        "%s.", path, history)
        workdir_lib.check_config(as_json(experiments.config_from_json(
            json.dumps(stored))), new)
    logs.append_line(history, json.dumps(
        {"step": start, "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
         "config": new}, sort_keys=True))
    logs.write_atomically(path, experiments.config_to_json(self.config))
