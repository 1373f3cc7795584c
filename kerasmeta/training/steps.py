"""Step builders: how a learner takes one meta-step in the trainer.

A learner declares its builder by name (`MetaLearner.step_builder`):
"gradient" (one `compute_gradients` and one optimiser step per batch of
tasks, distributed over replicas) for most, WarpGrad's offline and
continual schemes (`warpgrad_steps`), truncated BPTT (`bptt_steps`) and
meta-RL's several outer epochs per batch of episodes (`policy_steps`) for
the rest. A builder returns a
`TrainStep`: the step, and what the checkpoint must save besides the
learner and the optimiser to resume it exactly.
"""

from typing import Any, Callable, NamedTuple

import keras
import tensorflow as tf

from kerasmeta import distribute
from kerasmeta.training import precision


# A metric the gradient step adds: 1 where a gradient entry is not finite
# (the trainer stops on it, and leaves it out of the logs).
NONFINITE_GRADIENTS = "_nonfinite_gradients"


def with_gradient_check(gradients, metrics):
  """`metrics` with `NONFINITE_GRADIENTS`: one reduction per gradient,
  inside the compiled step."""
  finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(gradient))
                          for gradient in gradients if gradient is not None])
  return {**metrics,
          NONFINITE_GRADIENTS: 1.0 - tf.cast(finite, tf.float32)}


class TrainStep(NamedTuple):
  """A built meta-step.

  Attributes:
    run: `batch -> {metric: scalar}`, metrics as means over the batch.
    checkpoint_items: `{name: trackable}` the step's own state.
  """
  run: Callable[[Any], dict]
  checkpoint_items: dict


def gradient_step(learner, optimizer, strategy, global_batch_size,
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
      "auto" (see `precision.resolve_jit_compile`).

  Returns:
    A `TrainStep`.
  """
  variables = learner.trainable_variables
  jit_compile = precision.resolve_jit_compile(jit_compile, learner.model)
  scale_loss = optimizer.scale_loss if isinstance(
      optimizer, keras.optimizers.LossScaleOptimizer) else None

  def gradients_fn(tasks, seeds):
    gradients, metrics = learner.compute_gradients(
        tasks, seeds, global_batch_size=global_batch_size,
        scale_loss=scale_loss)
    if scale_loss is not None:
      # Loss scaling overflows on purpose now and then; its optimiser
      # skips those steps.
      return gradients, metrics
    return gradients, with_gradient_check(gradients, metrics)

  if not distribute.is_distributed(strategy):
    # No distribution: one XLA cluster holds the whole step, the optimiser's
    # update included, and nothing wraps it.
    @tf.function(jit_compile=jit_compile, autograph=False)
    def compiled_step(batch):
      tasks, seeds = batch
      gradients, metrics = gradients_fn(tasks, seeds)
      optimizer.apply(gradients, variables)
      return metrics
    return TrainStep(_called_directly(compiled_step), {})

  compute = tf.function(gradients_fn, jit_compile=jit_compile,
                        autograph=False)

  def replica_step(tasks, seeds):
    gradients, metrics = compute(tasks, seeds)
    optimizer.apply(gradients, variables)  # sums across replicas
    return metrics

  @tf.function(autograph=False)
  def train_step(batch):
    tasks, seeds = batch
    metrics = strategy.run(replica_step, args=(tasks, seeds))
    # Replicas hold equal numbers of tasks: the mean of their means.
    return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value,
                                  axis=None)
            for name, value in metrics.items()}
  return TrainStep(train_step, {})


class MultiStep(NamedTuple):
  """Several meta-steps in one compiled call, their tasks made in the graph.

  Attributes:
    run: `(first_batch, num_steps) -> {metric: float32 [max_steps]}`: takes
      meta-steps on batches `first_batch .. first_batch + num_steps - 1` of
      the task stream (int64 and int32 scalars, so one trace serves every
      call); entry i of each metric is step i's mean over tasks (entries
      from `num_steps` on are zero).
    max_steps: the most meta-steps one call takes.
    checkpoint_items: `{name: trackable}` the steps' own state.
  """
  run: Callable[[Any, Any], dict]
  max_steps: int
  checkpoint_items: dict


def makes_tasks_in_graph(learner, tasks, strategy, jit_compile):
  """Whether `gradient_steps` can run `learner` on `tasks`.

  The learner takes plain gradient steps, the distribution makes its
  batches in the graph (a `tasks.base.TaskStream`, not a `tf.data.Dataset`)
  and compiles with XLA where the steps do (`jit_compile`, resolved), and
  statistics updates (batch norm's running averages) stay on one device.
  """
  from kerasmeta.tasks import base as tasks_base  # pylint: disable=g-import-not-at-top
  return (learner.step_builder == "gradient"
          and isinstance(tasks, tasks_base.TaskStream)
          and (tasks.compiles_with_xla or not jit_compile)
          and not (learner.updates_statistics
                   and distribute.is_distributed(strategy)))


def gradient_steps(learner, optimizer, strategy, global_batch_size, tasks,
                   seed, max_steps, jit_compile=True):
  """`gradient_step`, several times per call, on tasks made in the graph.

  One call runs a bounded loop of meta-steps: each makes its batch of the
  stream (`tasks.batch(seed, batch_index, global_batch_size)`; under a
  distribution strategy each replica makes its own slice of it), computes
  the meta-gradients and applies them. Without distribution the whole loop
  is one XLA computation (when `jit_compile`); with it, the loop calls
  `strategy.run` once per step, as Keras' `steps_per_execution` does. The
  batches are those `tasks.dataset(seed, global_batch_size)` yields (their
  random draws bit for bit, `kerasmeta.sampling`), so the weights are those
  of one step per call on that dataset.

  Args:
    learner: a `MetaLearner` built under `strategy.scope()` whose
      `step_builder` is "gradient".
    optimizer: a Keras optimiser built for `learner.trainable_variables`.
    strategy: a `tf.distribute.Strategy`.
    global_batch_size: tasks per meta-step over all replicas.
    tasks: a distribution with `batch` (`tasks.base.TaskStream`).
    seed: the stream's seed.
    max_steps: the most meta-steps per call.
    jit_compile: True, False or "auto" (`precision.resolve_jit_compile`).

  Returns:
    A `MultiStep`.
  """
  jit_compile = precision.resolve_jit_compile(jit_compile, learner.model)
  if not makes_tasks_in_graph(learner, tasks, strategy, jit_compile):
    raise ValueError(
        f"{type(learner).__name__} (step builder {learner.step_builder!r}) "
        f"on {type(tasks).__name__} cannot take its steps with tasks made "
        f"in the graph (jit_compile={jit_compile}); use build_step.")
  max_steps = int(max_steps)
  if max_steps < 1:
    raise ValueError(f"max_steps must be >= 1; received {max_steps}.")
  variables = learner.trainable_variables
  scale_loss = optimizer.scale_loss if isinstance(
      optimizer, keras.optimizers.LossScaleOptimizer) else None
  names = tuple(learner.metric_names) + (
      () if scale_loss is not None else (NONFINITE_GRADIENTS,))
  replicas = strategy.num_replicas_in_sync
  if global_batch_size % replicas:
    raise ValueError(
        f"meta_batch_size ({global_batch_size}) must be a multiple of the "
        f"number of replicas ({replicas}).")
  per_replica = global_batch_size // replicas

  def gradients_fn(batch_index, replica):
    batch, seeds = tasks.batch(seed, batch_index, global_batch_size,
                               first=replica * per_replica,
                               count=per_replica)
    gradients, metrics = learner.compute_gradients(
        batch, seeds, global_batch_size=global_batch_size,
        scale_loss=scale_loss)
    if scale_loss is None:
      metrics = with_gradient_check(gradients, metrics)
    return gradients, metrics, (batch, seeds)

  def record(buffers, index, metrics):
    return {name: tf.tensor_scatter_nd_update(
        buffers[name], [[index]], [tf.cast(metrics[name], tf.float32)])
            for name in names}

  empty = lambda: {name: tf.zeros([max_steps]) for name in names}

  if not distribute.is_distributed(strategy):
    def one_step(first_batch, index, buffers):
      gradients, metrics, batch = gradients_fn(
          first_batch + tf.cast(index, tf.int64), 0)
      optimizer.apply(gradients, variables)
      if learner.updates_statistics:
        learner.update_statistics(*batch)
      return record(buffers, index, metrics)

    @tf.function(jit_compile=jit_compile, autograph=False)
    def run(first_batch, num_steps):
      return _loop(first_batch, num_steps, max_steps, one_step, empty())
    return MultiStep(_called_directly(run), max_steps, {})

  compute = tf.function(lambda batch_index, replica: gradients_fn(
      batch_index, replica)[:2], jit_compile=jit_compile, autograph=False)

  def replica_step(batch_index):
    replica = tf.get_static_value(
        tf.distribute.get_replica_context().replica_id_in_sync_group)
    if replica is None:  # TPUs give a tensor
      replica = tf.distribute.get_replica_context().replica_id_in_sync_group
    gradients, metrics = compute(batch_index, replica)
    optimizer.apply(gradients, variables)  # sums across replicas
    return metrics

  def distributed_step(first_batch, index, buffers):
    metrics = strategy.run(
        replica_step, args=(first_batch + tf.cast(index, tf.int64),))
    # Replicas hold equal numbers of tasks: the mean of their means.
    return record(buffers, index, {
        name: strategy.reduce(tf.distribute.ReduceOp.MEAN, metrics[name],
                              axis=None) for name in names})

  @tf.function(autograph=False)
  def run(first_batch, num_steps):
    return _loop(first_batch, num_steps, max_steps, distributed_step,
                 empty())
  return MultiStep(run, max_steps, {})


def _loop(first_batch, num_steps, max_steps, step_fn, buffers):
  """`buffers = step_fn(first_batch, index, buffers)` for index <
  min(num_steps, max_steps).

  A while loop on a counter, not over `tf.range`: XLA would take a range's
  bound as a compile-time constant and compile once per call size. Written
  out rather than left to autograph: the step functions are traced with
  autograph off, whose conversion of the learners' code took most of a
  trace (seconds) and which kerasmeta's code does not need.
  """
  def body(index, buffers):
    return index + 1, step_fn(first_batch, index, buffers)
  limit = tf.minimum(num_steps, max_steps)
  _, buffers = tf.while_loop(lambda index, _: index < limit, body,
                             (tf.constant(0), buffers))
  return buffers


def _called_directly(function):
  """Calls `function`'s concrete trace for each argument signature directly.

  Arguments keep their shapes, so this skips tf.function's per-call
  dispatch (~80 us, 6% of a sinusoid step). Arguments of other shapes get
  a trace of their own.
  """
  traced = {}

  def call(*args):
    key = tuple((tuple(t.shape), t.dtype) for t in tf.nest.flatten(args))
    if key not in traced:
      traced[key] = function.get_concrete_function(*args)
    return traced[key](*args)
  return call


def _builders():
  from kerasmeta.training import bptt_steps  # pylint: disable=g-import-not-at-top
  from kerasmeta.training import policy_steps  # pylint: disable=g-import-not-at-top
  from kerasmeta.training import warpgrad_steps  # pylint: disable=g-import-not-at-top
  return {"gradient": gradient_step,
          "truncated_bptt": bptt_steps.truncated_bptt_step,
          "policy_epochs": policy_steps.policy_epochs_step,
          "warpgrad_offline": warpgrad_steps.offline_step,
          "warpgrad_continual": warpgrad_steps.continual_step,
          "warp_interval": warpgrad_steps.interval_step}


def build_step(learner, optimizer, strategy, global_batch_size,
               jit_compile="auto"):
  """The `TrainStep` of `learner.step_builder`."""
  builders = _builders()
  if learner.step_builder not in builders:
    raise ValueError(f"{type(learner).__name__} asks for step builder "
                     f"{learner.step_builder!r}; known: {sorted(builders)}.")
  return builders[learner.step_builder](learner, optimizer, strategy,
                                        global_batch_size,
                                        jit_compile=jit_compile)


def make_train_step(learner, optimizer, strategy=None, global_batch_size=None,
                    jit_compile="auto"):
  """The compiled meta-step of `learner`, as a callable `batch -> metrics`.

  Args:
    learner: a `MetaLearner`.
    optimizer: its outer optimiser, built for its variables.
    strategy: a `tf.distribute.Strategy` (None: the default strategy).
    global_batch_size: tasks per meta-step over all replicas (None: each
      batch's own number of tasks).
    jit_compile: True, False or "auto".
  """
  strategy = strategy or tf.distribute.get_strategy()
  run = build_step(learner, optimizer, strategy, global_batch_size,
                   jit_compile).run

  def step(batch):
    metrics = run(batch)
    metrics.pop(NONFINITE_GRADIENTS, None)  # the trainer's check
    return metrics
  return step


# The most meta-steps an automatic call takes: calls stop at log lines and
# checkpoints anyway, and each call carries a metrics buffer this long.
MAX_STEPS_PER_CALL = 1000


class CallSizes:
  """Meta-steps per multi-step call: about `_SECONDS_PER_CALL` each, so
  progress, Ctrl-C and SIGTERM are answered within a second, however slow
  the step (or `maximum` each, when `fixed`).

  The first call takes one step (it compiles); the size then follows the
  measured time per step.
  """

  SECONDS_PER_CALL = 0.5

  def __init__(self, maximum, fixed=False):
    self.maximum, self.fixed = maximum, fixed
    self.size = maximum if fixed else 1
    self._calls = 0

  def update(self, count, seconds):
    self._calls += 1
    if self.fixed or self._calls < 2:  # the first call compiled
      return
    per_step = max(seconds / count, 1e-7)
    self.size = int(min(self.maximum,
                        max(1, self.SECONDS_PER_CALL / per_step)))
