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

from kerasmeta import distribute
from kerasmeta import experiment
from kerasmeta.training import logs
from kerasmeta.training import optimizers
from kerasmeta.training import precision
from kerasmeta.training import steps


class Interrupted(Exception):
  """Raised inside the training loop on SIGTERM, to checkpoint and exit."""


class Trainer:
  """Meta-trains the learner a config describes, in `workdir`.

  Args:
    config: an `ml_collections.ConfigDict` (see `apps/configs/`).
    workdir: where checkpoints, metrics and summaries go.
  """

  def __init__(self, config, workdir):
    self.config = experiment.validate_config(config)
    distribute.configure_cpu_devices(config.get("num_cpu_devices", 0))
    keras.utils.set_random_seed(config.seed)
    self.strategy = distribute.make_strategy(config.strategy,
                                             config.get("tpu_address"))
    # Under multi-worker training every worker checkpoints (saving is a
    # collective), but only the chief writes into the workdir itself.
    self.is_chief = distribute.is_chief(self.strategy)
    self.distributed = distribute.is_distributed(self.strategy)
    if not self.is_chief:
      workdir = os.path.join(
          workdir, f"worker_{self.strategy.cluster_resolver.task_id}")
    self.workdir = workdir
    tf.io.gfile.makedirs(workdir)  # local paths and gs:// alike
    self.tasks = experiment.task_distribution(config)
    with self.strategy.scope(), precision.mixed_precision(
        config.get("mixed_precision")):
      self.learner = experiment.build_learner(config)
      self.variables = self.learner.trainable_variables
      # Configs written before `outer_epsilon` existed trained with Keras'
      # default; they resume with it.
      self.optimizer = optimizers.make_outer_optimizer(
          self.learner, config.get("outer_optimizer", "adam"),
          config.outer_learning_rate,
          loss_scaling=config.get("mixed_precision") == "mixed_float16",
          epsilon=config.get("outer_epsilon", 1e-7))
      # Meta-steps taken (= batches consumed). Not the optimiser's
      # iteration count, which a loss-scaling optimiser does not advance on
      # the steps it skips.
      self.global_step = tf.Variable(0, dtype=tf.int64, trainable=False,
                                     name="global_step")
    self._step = 0
    built = steps.build_step(self.learner, self.optimizer, self.strategy,
                             config.meta_batch_size,
                             jit_compile=config.get("jit_compile", "auto"))
    self._train_step = built.run
    self.checkpoint = tf.train.Checkpoint(
        step=self.global_step, optimizer=self.optimizer,
        **self.learner.checkpoint_items(), **built.checkpoint_items)
    self.manager = tf.train.CheckpointManager(
        self.checkpoint, os.path.join(workdir, "checkpoints"),
        max_to_keep=config.get("max_checkpoints", 3))
    self._update_statistics = None
    if self.learner.updates_statistics:
      self._update_statistics = tf.function(self.learner.update_statistics)

  @property
  def step(self):
    """Meta-steps taken so far."""
    return self._step

  # ------------------------------------------------------------ the data
  def dataset(self, start_step):
    if self.config.meta_batch_size % self.strategy.num_replicas_in_sync:
      raise ValueError(
          f"meta_batch_size ({self.config.meta_batch_size}) must be a "
          f"multiple of the number of replicas "
          f"({self.strategy.num_replicas_in_sync}).")
    data = self.tasks.dataset(self.config.seed, self.config.meta_batch_size,
                              start_batch=start_step)
    # Every worker generates the same stream; each replica takes its slice
    # of every global batch.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = \
        tf.data.experimental.AutoShardPolicy.DATA
    if not self.distributed:
      return data  # no per-replica wrapping to pay for at every step
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
    """Trains until step `num_steps` (default: config.num_meta_steps).

    Returns:
      The metrics of the last logged step.
    """
    num_steps = self.config.num_meta_steps if num_steps is None else num_steps
    start = self.restore()
    self._write_config()
    metrics_log = logs.MetricsLog(os.path.join(self.workdir, "metrics.jsonl"),
                             resume_step=start)
    writer = tf.summary.create_file_writer(
        os.path.join(self.workdir, "tensorboard"))
    log_every = max(1, self.config.get("log_every", 100))
    checkpoint_every = max(1, self.config.get("checkpoint_every", 1000))
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


def _install_sigterm_handler():
  def handler(signum, frame):
    raise Interrupted(f"signal {signum}")
  try:
    return signal.signal(signal.SIGTERM, handler)
  except ValueError:  # not the main thread
    return signal.getsignal(signal.SIGTERM)


