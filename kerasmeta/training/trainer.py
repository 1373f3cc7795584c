"""The meta-trainer: strategy, compiled meta-step, checkpoints and logs.

A run lives in a workdir:

  workdir/config.json        the config it was started with
  workdir/checkpoints/       tf.train.CheckpointManager checkpoints
  workdir/metrics.jsonl      one JSON line per logged step
  workdir/tensorboard/       TensorBoard summaries

Resuming is exact: the checkpoint holds the weights, the optimiser's slots
and its step counter; the task stream and every random draw are pure
functions of (seed, step), so the resumed run sees what an uninterrupted run
would have seen.
"""

import os
import signal
import time

from absl import logging
import keras
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta import distribute
from kerasmeta import experiment
from kerasmeta.training import logs
from kerasmeta.training import optimizers
from kerasmeta.training import precision
from kerasmeta.training import steps


class Interrupted(Exception):
  """Raised inside the training loop on SIGTERM, to checkpoint and exit."""


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
    config: the `ConfigDict` the run was built from, written to
      `config.json` (the apps rebuild a workdir's learner from it); see
      `from_config`.
  """

  def __init__(self, learner, tasks, workdir, *, meta_batch_size,
               optimizer=None, num_meta_steps=None, seed=None, strategy=None,
               log_every=100, checkpoint_every=1000, max_checkpoints=3,
               jit_compile="auto", config=None):
    if not isinstance(learner, algorithms.MetaLearner):
      raise TypeError(f"Trainer trains a kerasmeta MetaLearner; received "
                      f"{type(learner).__name__}.")
    if int(meta_batch_size) < 1:
      raise ValueError(f"meta_batch_size must be >= 1; received "
                       f"{meta_batch_size}.")
    self.learner, self.tasks, self.config = learner, tasks, config
    self.meta_batch_size = int(meta_batch_size)
    self.num_meta_steps = num_meta_steps
    if seed is not None and isinstance(tasks, tf.data.Dataset):
      raise ValueError("seed seeds a task distribution's stream; a "
                       "tf.data.Dataset brings its own order: pass seed=None.")
    self.seed = 0 if seed is None else seed
    self.log_every = max(1, int(log_every))
    self.checkpoint_every = max(1, int(checkpoint_every))
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
    self.variables = learner.trainable_variables
    with self.strategy.scope():
      self.optimizer = optimizer or optimizers.make_outer_optimizer(
          learner, "adam", 1e-3)
      _check_optimizer(self.optimizer, learner)
      # Meta-steps taken (= batches consumed). Not the optimiser's
      # iteration count, which a loss-scaling optimiser does not advance on
      # the steps it skips.
      self.global_step = tf.Variable(0, dtype=tf.int64, trainable=False,
                                     name="global_step")
    self._step = 0
    built = steps.build_step(learner, self.optimizer, self.strategy,
                             self.meta_batch_size, jit_compile=jit_compile)
    self._train_step = built.run
    self.checkpoint = tf.train.Checkpoint(
        step=self.global_step, optimizer=self.optimizer,
        **learner.checkpoint_items(), **built.checkpoint_items)
    self.manager = tf.train.CheckpointManager(
        self.checkpoint, os.path.join(workdir, "checkpoints"),
        max_to_keep=max_checkpoints)
    self._update_statistics = None
    if learner.updates_statistics:
      self._update_statistics = tf.function(learner.update_statistics)

  @classmethod
  def from_config(cls, config, workdir):
    """The trainer of an experiment config (see `kerasmeta/apps/configs/`)."""
    config = experiment.validate_config(config)
    distribute.configure_cpu_devices(config.get("num_cpu_devices", 0))
    keras.utils.set_random_seed(config.seed)
    strategy = distribute.make_strategy(config.strategy,
                                        config.get("tpu_address"))
    with strategy.scope(), precision.mixed_precision(
        config.get("mixed_precision")):
      learner = experiment.build_learner(config)
      # Configs written before `outer_epsilon` existed trained with Keras'
      # default; they resume with it.
      optimizer = optimizers.make_outer_optimizer(
          learner, config.get("outer_optimizer", "adam"),
          config.outer_learning_rate,
          loss_scaling=config.get("mixed_precision") == "mixed_float16",
          epsilon=config.get("outer_epsilon", 1e-7))
    return cls(learner, experiment.task_distribution(config), workdir,
               meta_batch_size=config.meta_batch_size, optimizer=optimizer,
               num_meta_steps=config.num_meta_steps, seed=config.seed,
               strategy=strategy, log_every=config.get("log_every", 100),
               checkpoint_every=config.get("checkpoint_every", 1000),
               max_checkpoints=config.get("max_checkpoints", 3),
               jit_compile=config.get("jit_compile", "auto"), config=config)

  @property
  def step(self):
    """Meta-steps taken so far."""
    return self._step

  # ------------------------------------------------------------ the data
  def dataset(self, start_step):
    """The batches from meta-step `start_step` on (distributed if need be)."""
    if self.meta_batch_size % self.strategy.num_replicas_in_sync:
      raise ValueError(
          f"meta_batch_size ({self.meta_batch_size}) must be a multiple of "
          f"the number of replicas ({self.strategy.num_replicas_in_sync}).")
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
  def restore(self):
    """Restores the latest checkpoint, if any. Returns the step."""
    path = self.manager.latest_checkpoint
    if path:
      self.checkpoint.restore(path).assert_existing_objects_matched()
      self._step = int(self.global_step.numpy())
      logging.info("Restored %s at step %d.", path, self.step)
    return self.step

  def save(self):
    self.global_step.assign(self._step)
    path = self.manager.save(checkpoint_number=self._step)
    logging.info("Saved checkpoint %s.", path)
    return path

  def train(self, num_steps=None):
    """Trains until meta-step `num_steps` (default: `num_meta_steps`).

    Returns:
      The metrics of the last logged step.
    """
    num_steps = self.num_meta_steps if num_steps is None else num_steps
    if num_steps is None:
      raise ValueError("Give train() a number of steps, or the Trainer "
                       "num_meta_steps.")
    start = self.restore()
    if self.config is not None:
      self._write_config()
    metrics_log = logs.MetricsLog(
        os.path.join(self.workdir, "metrics.jsonl"), resume_step=start)
    writer = tf.summary.create_file_writer(
        os.path.join(self.workdir, "tensorboard"))
    log_every, checkpoint_every = self.log_every, self.checkpoint_every
    progress = logs.Progress(num_steps, start)
    last = {}
    iterator = iter(self.dataset(start))
    # Batch-norm running statistics come from the first replica's tasks.
    first_replica = (
        (lambda v: self.strategy.experimental_local_results(v)[0])
        if self.distributed else (lambda v: v))
    previous_handler = _install_sigterm_handler()
    pending, tick = [], time.perf_counter()
    try:
      for step in range(start + 1, num_steps + 1):
        batch = next(iterator)
        pending.append(self._train_step(batch))
        if self._update_statistics is not None:
          self._update_statistics(*tf.nest.map_structure(first_replica,
                                                         batch))
        self._step = step
        if step % log_every == 0 or step == num_steps:
          now = time.perf_counter()
          # Reading metrics waits for the device: do it once per log line.
          last = {name: float(tf.add_n([m[name] for m in pending]))
                  / len(pending) for name in pending[0]}
          last["steps_per_second"] = len(pending) / max(now - tick, 1e-9)
          metrics_log.write(step, last)
          with writer.as_default(step=step):
            for name, value in last.items():
              tf.summary.scalar(name, value)
          progress.update(step, last)
          pending, tick = [], now
        else:
          progress.tick(step)
        if step % checkpoint_every == 0 and step != num_steps:
          self.save()
    except (KeyboardInterrupt, Interrupted):
      logging.warning("Interrupted at step %d: saving a checkpoint.",
                      self.step)
      self.save()
      raise
    finally:
      signal.signal(signal.SIGTERM, previous_handler)
      progress.close()
      writer.flush()
    if self.manager.latest_checkpoint is None or \
        not self.manager.latest_checkpoint.endswith(f"-{self.step}"):
      self.save()
    return last

  def _write_config(self):
    with tf.io.gfile.GFile(os.path.join(self.workdir, "config.json"),
                           "w") as f:
      f.write(experiment.config_to_json(self.config))


def _check_optimizer(optimizer, learner):
  """Refuses one optimiser for a learner that asks for scaled groups."""
  scales = {scale for scale, variables in learner.variable_groups()
            if variables}
  if scales != {1.0} and not isinstance(optimizer,
                                        optimizers.OptimizerGroups):
    raise ValueError(
        f"{type(learner).__name__} steps its variable groups with learning "
        f"rate scales {sorted(scales)} (variable_groups); pass optimizer="
        "None or km.training.make_outer_optimizer(learner, ...), which "
        "gives each group its own optimiser.")
  if not isinstance(optimizer, optimizers.OptimizerGroups) and \
      not optimizer.built:
    optimizer.build(learner.trainable_variables)


def _install_sigterm_handler():
  def handler(signum, frame):
    raise Interrupted(f"signal {signum}")
  try:
    return signal.signal(signal.SIGTERM, handler)
  except ValueError:  # not the main thread
    return signal.getsignal(signal.SIGTERM)


