"""Step builders: how a learner takes one meta-step in the trainer.

A learner declares its builder by name (`MetaLearner.step_builder`):
"gradient" (one `compute_gradients` and one optimiser step per batch of
tasks, distributed over replicas) for most, WarpGrad's offline and
continual schemes (`warpgrad_steps`) for the rest. A builder returns a
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
    @tf.function(jit_compile=jit_compile)
    def compiled_step(batch):
      tasks, seeds = batch
      gradients, metrics = gradients_fn(tasks, seeds)
      optimizer.apply(gradients, variables)
      return metrics
    return TrainStep(_called_directly(compiled_step), {})

  compute = tf.function(gradients_fn, jit_compile=jit_compile)

  def replica_step(tasks, seeds):
    gradients, metrics = compute(tasks, seeds)
    optimizer.apply(gradients, variables)  # sums across replicas
    return metrics

  @tf.function
  def train_step(batch):
    tasks, seeds = batch
    metrics = strategy.run(replica_step, args=(tasks, seeds))
    # Replicas hold equal numbers of tasks: the mean of their means.
    return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value,
                                  axis=None)
            for name, value in metrics.items()}
  return TrainStep(train_step, {})


def _called_directly(function):
  """Calls `function`'s concrete trace for each batch signature directly.

  Batches keep their shapes, so this skips tf.function's per-call dispatch
  (~80 us, 6% of a sinusoid step). A batch of other shapes gets a trace of
  its own.
  """
  traced = {}

  def call(batch):
    key = tuple((tuple(t.shape), t.dtype) for t in tf.nest.flatten(batch))
    if key not in traced:
      traced[key] = function.get_concrete_function(batch)
    return traced[key](batch)
  return call


def _builders():
  from kerasmeta.training import warpgrad_steps  # pylint: disable=g-import-not-at-top
  return {"gradient": gradient_step,
          "warpgrad_offline": warpgrad_steps.offline_step,
          "warpgrad_continual": warpgrad_steps.continual_step}


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
