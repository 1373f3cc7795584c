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

import contextlib
import json
import os
import signal
import sys
import time

from absl import logging
import keras
import tensorflow as tf

from kerasmeta import distribute
from kerasmeta import experiment


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
    with self.strategy.scope(), mixed_precision(
        config.get("mixed_precision")):
      self.learner = experiment.build_learner(config)
      self.variables = self.learner.trainable_variables
      self.optimizer = make_outer_optimizer(
          self.learner, config.get("outer_optimizer", "adam"),
          config.outer_learning_rate,
          loss_scaling=config.get("mixed_precision") == "mixed_float16")
      # Meta-steps taken (= batches consumed). Not the optimiser's
      # iteration count, which a loss-scaling optimiser does not advance on
      # the steps it skips.
      self.global_step = tf.Variable(0, dtype=tf.int64, trainable=False,
                                     name="global_step")
    self._step = 0
    self.checkpoint = tf.train.Checkpoint(
        step=self.global_step, optimizer=self.optimizer,
        **self.learner.checkpoint_items())
    self.manager = tf.train.CheckpointManager(
        self.checkpoint, os.path.join(workdir, "checkpoints"),
        max_to_keep=config.get("max_checkpoints", 3))
    self._train_step = self._make_train_step()
    self._update_statistics = None
    if getattr(self.learner, "batch_norm", "task") == "running":
      self._update_statistics = tf.function(self.learner.update_statistics)

  @property
  def step(self):
    """Meta-steps taken so far."""
    return self._step

  # ------------------------------------------------------------ the step
  def _make_train_step(self):
    custom = getattr(self.learner, "make_train_step", None)
    if custom is not None:
      # Algorithms with steps of their own (offline / continual WarpGrad).
      step = custom(self.optimizer, self.strategy, self.config.meta_batch_size)
      if step is not None:
        return step
    return make_train_step(self.learner, self.optimizer, self.strategy,
                           self.config.meta_batch_size,
                           jit_compile=self.config.get("jit_compile", "auto"))

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
    metrics_log = MetricsLog(os.path.join(self.workdir, "metrics.jsonl"),
                             resume_step=start)
    writer = tf.summary.create_file_writer(
        os.path.join(self.workdir, "tensorboard"))
    log_every = max(1, self.config.get("log_every", 100))
    checkpoint_every = max(1, self.config.get("checkpoint_every", 1000))
    progress = Progress(num_steps, start)
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


OPTIMIZERS = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}


class OptimizerGroups(tf.Module):
  """One optimiser per group of variables, applied as one.

  `apply(gradients, variables)` hands each variable's gradient to its
  group's optimiser; every optimiser keeps its own slots and step count
  (Adam's bias correction stays right when one group steps more often).
  """

  def __init__(self, optimizers, variable_groups):
    super().__init__(name="optimizer_groups")
    self.optimizers = list(optimizers)
    self._group = {id(v): index for index, variables in
                   enumerate(variable_groups) for v in variables}

  @property
  def iterations(self):
    return self.optimizers[0].iterations

  def apply(self, gradients, variables):
    grouped = [([], []) for _ in self.optimizers]
    for gradient, variable in zip(gradients, variables):
      grads, group_variables = grouped[self._group[id(variable)]]
      grads.append(gradient)
      group_variables.append(variable)
    for optimizer, (grads, group_variables) in zip(self.optimizers, grouped):
      if group_variables:
        optimizer.apply(grads, group_variables)


def make_outer_optimizer(learner, name, learning_rate, loss_scaling=False):
  """The outer optimiser of `learner`, built for its variables.

  A learner may ask for several variable groups with their own learning
  rate scales (`variable_groups`: WarpGrad's theta_0 steps with lambda
  beta, eq. 9 and algorithms 1-3); each group then gets an optimiser of its
  own.
  """
  groups = getattr(learner, "variable_groups", None)
  groups = groups() if groups else [(1.0, learner.trainable_variables)]
  groups = [(scale, list(variables)) for scale, variables in groups
            if variables]
  if loss_scaling and len(groups) > 1:
    raise ValueError("mixed_float16 (loss scaling) takes one variable group; "
                     f"{type(learner).__name__} has {len(groups)}.")
  optimizers = []
  for scale, variables in groups:
    optimizer = make_optimizer(name, learning_rate * scale)
    if loss_scaling:
      optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    optimizer.build(variables)
    optimizers.append(optimizer)
  if len(optimizers) == 1:
    return optimizers[0]
  return OptimizerGroups(optimizers, [v for _, v in groups])


def make_optimizer(name, learning_rate):
  """The outer optimiser: "adam" (default) or "sgd" (e.g. Reptile's)."""
  if name not in OPTIMIZERS:
    raise ValueError(f"outer_optimizer must be one of {sorted(OPTIMIZERS)}; "
                     f"received {name!r}.")
  return OPTIMIZERS[name](learning_rate)


MIXED_PRECISION_POLICIES = (None, "", "mixed_bfloat16", "mixed_float16")


@contextlib.contextmanager
def mixed_precision(policy):
  """Builds the model under a Keras dtype policy, then restores the old one.

  Variables stay float32; layers compute in bfloat16 or float16 (the latter
  with loss scaling, see `Trainer`); losses are computed in float32.
  """
  if policy not in MIXED_PRECISION_POLICIES:
    raise ValueError(f"mixed_precision must be one of "
                     f"{MIXED_PRECISION_POLICIES}; received {policy!r}.")
  if not policy:
    yield
    return
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy(policy)
  try:
    yield
  finally:
    keras.config.set_dtype_policy(previous)


def resolve_jit_compile(jit_compile, model):
  """Whether to use XLA: "on" / "off" as given, "auto" where it is faster.

  XLA speeds up dense learners several times on CPU, but its CPU
  second-order convolution gradients are an order of magnitude slower than
  TensorFlow's own kernels (benchmarks/README.md), so "auto" turns it off
  for convolutional models when no GPU or TPU is present.
  """
  if isinstance(jit_compile, str):
    jit_compile = {"true": True, "on": True, "false": False,
                   "off": False}.get(jit_compile.lower(), jit_compile)
  if jit_compile in (True, False):
    return bool(jit_compile)
  if jit_compile != "auto":
    raise ValueError(f"jit_compile must be 'auto', 'on' or 'off' (or a "
                     f"bool); received {jit_compile!r}.")
  has_conv = any(isinstance(layer, keras.layers.Conv2D)
                 for layer in model._flatten_layers())  # pylint: disable=protected-access
  accelerated = bool(tf.config.list_logical_devices("GPU")
                     or tf.config.list_logical_devices("TPU"))
  return accelerated or not has_conv


def make_train_step(learner, optimizer, strategy, global_batch_size,
                    jit_compile=True):
  """A compiled meta-step: `batch -> metrics averaged over tasks`.

  Each replica computes the gradients of its tasks (XLA-compiled when
  `jit_compile`), scaled by the global task count, and applies them with
  the Keras optimiser, which sums them across replicas.

  Args:
    learner: a `MetaLearner` built under `strategy.scope()`.
    optimizer: a Keras optimiser built for `learner.trainable_variables`.
    strategy: a `tf.distribute.Strategy`.
    global_batch_size: tasks per meta-step over all replicas.
    jit_compile: compile the gradient computation with XLA: True, False or
      "auto" (see `resolve_jit_compile`).

  Returns:
    A callable taking a `(tasks, seeds)` batch (distributed or not) and
    returning the metrics.
  """
  variables = learner.trainable_variables
  jit_compile = resolve_jit_compile(jit_compile, learner.model)

  scale_loss = optimizer.scale_loss if isinstance(
      optimizer, keras.optimizers.LossScaleOptimizer) else None

  def gradients_fn(tasks, seeds):
    return learner.compute_gradients(tasks, seeds,
                                     global_batch_size=global_batch_size,
                                     scale_loss=scale_loss)

  def scaled(metrics):
    return {name: value / global_batch_size for name, value in metrics.items()}

  if not distribute.is_distributed(strategy):
    # No distribution: one XLA cluster holds the whole step, the optimiser's
    # update included, and nothing wraps it.
    @tf.function(jit_compile=jit_compile)
    def compiled_step(batch):
      tasks, seeds = batch
      gradients, metrics = gradients_fn(tasks, seeds)
      optimizer.apply(gradients, variables)
      return scaled(metrics)

    # Batches keep their shapes, so the traced function is called directly:
    # it skips tf.function's per-call dispatch (~80 us, 6% of a sinusoid
    # step). A batch of other shapes gets a trace of its own.
    traced = {}

    def train_step(batch):
      key = tuple((tuple(t.shape), t.dtype) for t in tf.nest.flatten(batch))
      if key not in traced:
        traced[key] = compiled_step.get_concrete_function(batch)
      return traced[key](batch)
    return train_step

  compute = tf.function(gradients_fn, jit_compile=jit_compile)

  def replica_step(tasks, seeds):
    gradients, metrics = compute(tasks, seeds)
    optimizer.apply(gradients, variables)  # sums across replicas
    return metrics

  @tf.function
  def train_step(batch):
    tasks, seeds = batch
    metrics = strategy.run(replica_step, args=(tasks, seeds))
    return scaled({name: strategy.reduce(tf.distribute.ReduceOp.SUM, value,
                                         axis=None)
                   for name, value in metrics.items()})

  return train_step


def _install_sigterm_handler():
  def handler(signum, frame):
    raise Interrupted(f"signal {signum}")
  try:
    return signal.signal(signal.SIGTERM, handler)
  except ValueError:  # not the main thread
    return signal.getsignal(signal.SIGTERM)


class MetricsLog:
  """Appends one JSON line per logged step to `metrics.jsonl`.

  On resume, lines past the restored step (written by a run that was killed
  after its last checkpoint) are dropped, so the file reads as one run.
  """

  def __init__(self, path, resume_step=0):
    self.path = path
    self.lines = []
    if tf.io.gfile.exists(path):
      with tf.io.gfile.GFile(path) as f:
        kept = [line for line in f
                if line.strip() and json.loads(line)["step"] <= resume_step]
      with tf.io.gfile.GFile(path, "w") as f:
        f.write("".join(kept))
      self.lines = kept

  def write(self, step, metrics):
    # Object stores (gs://) cannot append: there the file is rewritten
    # whole; a local file is appended to.
    line = json.dumps({"step": step, **metrics}) + "\n"
    if "://" in self.path:
      self.lines.append(line)
      with tf.io.gfile.GFile(self.path, "w") as f:
        f.write("".join(self.lines))
    else:
      with open(self.path, "a") as f:
        f.write(line)


class Progress:
  """A one-line progress bar on a terminal; silent log lines otherwise."""

  def __init__(self, total, start):
    self.total, self.start = total, start
    self.began = self.drawn = time.perf_counter()
    self.interactive = sys.stderr.isatty()
    self.metrics = {}

  def tick(self, step):
    """Redraws the bar (at most 5 times a second) between logged steps."""
    if self.interactive and time.perf_counter() - self.drawn > 0.2:
      self.update(step, self.metrics)

  def update(self, step, metrics):
    self.metrics, self.drawn = metrics, time.perf_counter()
    done = step - self.start
    elapsed = time.perf_counter() - self.began
    remaining = elapsed / max(done, 1) * (self.total - step)
    shown = " ".join(f"{k}={v:.4g}" for k, v in metrics.items())
    line = (f"step {step}/{self.total} {shown} "
            f"[{_clock(elapsed)} elapsed, {_clock(remaining)} left]")
    if self.interactive:
      width = 30
      filled = int(width * step / max(self.total, 1))
      sys.stderr.write(f"\r[{'=' * filled}{'.' * (width - filled)}] {line}")
      sys.stderr.flush()
    else:
      logging.info(line)

  def close(self):
    if self.interactive:
      sys.stderr.write("\n")


def _clock(seconds):
  seconds = int(seconds)
  return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
