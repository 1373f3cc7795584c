"""The declared interface of every meta-learner, and helpers to write one.

The trainer, the evaluator and the exporter call meta-learners only
through `MetaLearner`; they never probe a learner for optional methods.
"""

import abc
from typing import NamedTuple

import tensorflow as tf

from kerasmeta import functional
from kerasmeta import inner
from kerasmeta.tasks import base as tasks_base


class MetaGradients(NamedTuple):
  """What `MetaLearner.compute_gradients` returns.

  Attributes:
    gradients: one tensor per variable of `trainable_variables`, in order.
    metrics: `{name: float32 scalar}` for every name of `metric_names`,
      each the mean over the tasks of the call.
  """
  gradients: list
  metrics: dict


class MetaLearner(abc.ABC):
  """A meta-learner: variables the outer loop trains, and their gradients.

  A complete minimal subclass (a meta-learned constant prediction):

  ```python
  class MeanRegressor(km.algorithms.MetaLearner):
    name = "mean_regressor"
    metric_names = ("query_loss",)

    def __init__(self):
      self.value = tf.Variable(0.0)

    @property
    def trainable_variables(self):
      return [self.value]

    def checkpoint_items(self):
      return {"value": self.value}

    def compute_gradients(self, tasks, seeds, global_batch_size=None,
                          scale_loss=None):
      with tf.GradientTape() as tape:
        losses = tf.reduce_mean(
            tf.square(tasks.query_y - self.value), axis=[1, 2])
        objective = km.algorithms.mean_over_tasks(
            losses, global_batch_size, scale_loss)
      return km.algorithms.MetaGradients(
          tape.gradient(objective, [self.value]),
          {"query_loss": tf.reduce_mean(losses)})
  ```

  What the trainer may call: `trainable_variables`, `variable_groups()`,
  `checkpoint_items()`, `compute_gradients(...)` (inside its compiled
  step), `step_builder` (which step builder of `kerasmeta.training.steps`
  trains the learner), `updates_statistics` and `update_statistics(...)`.
  Learners that adapt a model to a task (`GradientLearner`) add what the
  evaluator and the exporter call: `adapt`, `predict`, `initial_values`,
  `loss_fn`.

  Attributes:
    model: the Keras model the learner meta-trains (None for learners
      without one); the trainer reads it to choose XLA (`jit_compile`).
    name: the learner's name in configs and logs.
    metric_names: the metrics `compute_gradients` returns.
    step_builder: "gradient" (one `compute_gradients` and one optimiser
      step per batch of tasks) or the name of another training scheme
      (WarpGrad's "warpgrad_offline" and "warpgrad_continual").
    updates_statistics: whether the trainer calls `update_statistics` after
      every meta-step.
    uses_fast_path: whether the learner runs a batch of tasks at once (a
      task axis on the adapted weights); the evaluator then adapts all its
      tasks together.
    num_inner_steps: inner steps per task in a meta-step (0 for learners
      without an inner loop); the trainer's memory estimate reads it.
  """

  model = None
  name = "meta_learner"
  metric_names = ()
  step_builder = "gradient"
  updates_statistics = False
  uses_fast_path = False
  num_inner_steps = 0

  @property
  @abc.abstractmethod
  def trainable_variables(self):
    """The variables the outer optimiser trains."""

  @abc.abstractmethod
  def checkpoint_items(self):
    """`{name: trackable}`: what a checkpoint saves to resume exactly."""

  @abc.abstractmethod
  def compute_gradients(self, tasks, seeds, global_batch_size=None,
                        scale_loss=None):
    """Gradients of the mean task objective for `trainable_variables`.

    Args:
      tasks: a batch of tasks (this replica's), tensors with a task axis.
      seeds: int32 [tasks, 2], one stateless seed per task.
      global_batch_size: the number of tasks over all replicas; the
        objective is summed over this replica's tasks and divided by it, so
        that summing gradients across replicas (as Keras optimisers do)
        averages over all tasks. None: this call's number of tasks.
      scale_loss: multiplies the objective before differentiation (a
        `keras.optimizers.LossScaleOptimizer`'s `scale_loss`).

    Returns:
      A `MetaGradients`, metrics as means over this call's tasks.
    """

  def variable_groups(self):
    """`[(learning-rate scale, variables)]`: one outer optimiser per group."""
    return [(1.0, list(self.trainable_variables))]

  def update_statistics(self, tasks, seeds):
    """Updates non-trained state after a meta-step (`updates_statistics`)."""
    del tasks, seeds


class ModelLearner(MetaLearner):
  """A meta-learner around one Keras model, its weights split by role.

  Gives what every such learner shares: the model's checkpoint, theta_0
  (`initial_values`) and the model evaluated with given adapted values
  (`predict`).

  Args:
    model: a built Keras 3 model.
    roles: its `functional.WeightRoles` (default: as its layers declare).

  Attributes:
    inference_training: the layers' `training` flag outside meta-training
      (when evaluating and serving); the exporter refuses a model whose
      batch-norm would then normalise a request with its own statistics.
  """

  inference_training = False

  def __init__(self, model, roles=None):
    self.model = model
    self.roles = roles or functional.weight_roles(model)

  def checkpoint_items(self):
    return {"model": self.model}

  def initial_values(self):
    """The adapted weights' current values: theta_0."""
    return functional.current_values(self.roles.adapted)

  def predict(self, adapted, x, training=False, meta_values=None):
    """The model's outputs on `x` with `adapted` values for adapted weights.

    `adapted` is what `adapt` returned (an `AdaptResult`) or its `params`;
    `meta_values` replaces the meta weights (see `call_with_weights`).
    """
    adapted = adapted_params(adapted)
    return functional.call_with_weights(self.model, adapted, x,
                                        training=training, roles=self.roles,
                                        meta_values=meta_values)


def adapted_params(adapted):
  """The adapted values of an `AdaptResult`, or `adapted` itself."""
  return adapted.params if isinstance(adapted, inner.AdaptResult) else adapted


def mean_over_tasks(values, global_batch_size=None, scale_loss=None):
  """The sum of per-task `values` over `global_batch_size` (default: their
  number), times the loss scale: what a replica differentiates."""
  denominator = global_batch_size or tf.shape(values)[0]
  total = tf.reduce_sum(values) / tf.cast(denominator, values.dtype)
  return total if scale_loss is None else scale_loss(total)


def map_tasks(fn, tasks, seeds, metric_names, dtype=tf.float32,
              parallel_iterations=None):
  """Maps `fn(task, seed) -> (scalar, {name: scalar})` over a task batch.

  Tasks run through `tf.map_fn` (a loop the graph holds once, whatever the
  batch size), which nests second-order gradients and compiles under XLA.
  Each task comes in the batch's own type (`Task`, `TaskSequence`, ...).

  Returns:
    `(values, metrics)`: a [tasks] tensor of `dtype` and a dict of float32
    [tasks] tensors.
  """
  task_type = type(tasks)

  def per_task(elements):
    task, seed = elements
    value, metrics = fn(task_type(*task), seed)
    return tf.cast(value, dtype), {name: tf.cast(metrics[name], tf.float32)
                                   for name in metric_names}

  signature = (tf.TensorSpec([], dtype),
               {name: tf.TensorSpec([], tf.float32) for name in metric_names})
  return tf.map_fn(
      per_task, (tuple(tasks), seeds), fn_output_signature=signature,
      parallel_iterations=parallel_iterations or seeds.shape[0] or 10)


def mapped_gradients(objective_fn, tasks, seeds, metric_names, variables,
                     global_batch_size=None, scale_loss=None,
                     dtype=tf.float32):
  """`compute_gradients` of a learner whose objective is mapped over tasks.

  Returns:
    A `MetaGradients` of the mean objective, metrics as means over tasks.
  """
  with tf.GradientTape() as tape:
    values, metrics = map_tasks(objective_fn, tasks, seeds, metric_names,
                                dtype=dtype)
    total = mean_over_tasks(values, global_batch_size, scale_loss)
  return MetaGradients(gradients(tape, total, variables), {
      name: tf.reduce_mean(value) for name, value in metrics.items()})


def gradients(tape, target, variables):
  """`tape.gradient` with zeros (of each variable's dtype) where unconnected.

  (`UnconnectedGradients.ZERO` trips over Keras 3 variables, whose `dtype`
  is a string.)
  """
  grads = tape.gradient(target, variables)
  return [tf.zeros(v.shape, tf.as_dtype(v.dtype)) if g is None else g
          for g, v in zip(grads, variables)]


def validate_tasks(tasks):
  """Raises a clear error for a batch that is not a batched `Task`."""
  tasks_base.validate_task(tasks, batched=True)
