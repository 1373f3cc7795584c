# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The declared interface of every meta-learner, and helpers to write one.

The trainer, the evaluator and the exporter call meta-learners only
through `MetaLearner`; they never probe a learner for optional methods.
"""

from __future__ import annotations

import abc
import inspect
from typing import Any, Callable, NamedTuple, Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import functional
from kerasmeta import inner
from kerasmeta.tasks import base as tasks_base

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import (Adapted, Metrics, Nest, ScaleLoss, Seed,
                                 TaskBatch, TaskObjective, Variables)


class MetaGradients(NamedTuple):
  """What `MetaLearner.compute_gradients` returns.

  Attributes:
    gradients: one tensor per variable of `trainable_variables`, in order.
    metrics: `{name: float32 scalar}` for every name of `metric_names`,
      each the mean over the tasks of the call.
  """
  gradients: list
  metrics: dict


# A metric the default `train_step` adds: 1 where a gradient entry is not
# finite (the trainer stops on it, and leaves it out of the logs).
NONFINITE_GRADIENTS = "_nonfinite_gradients"

# Every member of `MetaLearner` the trainer may read (the class docstring's
# list); a test walks the trainer with a learner that records its reads.
TRAINER_MEMBERS = frozenset({
    "trainable_variables", "variable_groups", "checkpoint_items",
    "compute_gradients", "train_state", "train_step", "update_statistics",
    "model", "name", "metric_names", "compiles_with_xla", "distributes",
    "updates_statistics", "uses_fast_path", "num_inner_steps"})

# How much of a learner's `train_step` XLA may compile (`compiles_with_xla`).
XLA_MODES = ("step", "gradients", "never")


def check_gradients(gradients: Sequence[Optional[tf.Tensor]],
                    metrics: Metrics) -> Metrics:
  """`metrics` with `NONFINITE_GRADIENTS`: one reduction per gradient,
  inside the compiled step."""
  finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(gradient))
                          for gradient in gradients if gradient is not None])
  return {**metrics,
          NONFINITE_GRADIENTS: 1.0 - tf.cast(finite, tf.float32)}


class StepContext(NamedTuple):
  """How the trainer runs a learner's `train_step`.

  Attributes:
    global_batch_size: tasks per meta-step over all replicas (None: each
      batch's own number of tasks). Objectives are summed over a replica's
      tasks and divided by it (`mean_over_tasks`).
    scale_loss: a `keras.optimizers.LossScaleOptimizer`'s `scale_loss`, or
      None.
    jit_compile: whether XLA compiles the step's gradient computation.
    distributed: whether the step runs in the replicas of a distribution
      strategy (`optimizer.apply` then sums gradients across them).
    compile: `fn -> fn`: compiles a part of the step with XLA where the
      trainer does not compile the whole step (the identity where it does,
      or where `jit_compile` is False).
  """
  global_batch_size: Optional[int] = None
  scale_loss: Optional[Callable] = None
  jit_compile: bool = False
  distributed: bool = False
  compile: Callable = lambda fn: fn


def _arguments(init, args, kwargs):
  """`{name: value}` of a call of `init`, defaults included and `**kwargs`
  spread; None where the call does not bind (the constructor raises)."""
  try:
    bound = inspect.signature(init).bind(None, *args, **kwargs)
  except TypeError:
    return None
  bound.apply_defaults()
  arguments = {}
  parameters = list(inspect.signature(init).parameters.values())
  for parameter in parameters[1:]:
    value = bound.arguments.get(parameter.name)
    if parameter.kind == parameter.VAR_POSITIONAL:
      if value:
        return None
    elif parameter.kind == parameter.VAR_KEYWORD:
      arguments.update(value or {})
    else:
      arguments[parameter.name] = value
  return arguments


def _is_setting(value):
  """Whether `value` is a plain value a config holds."""
  if value is None or isinstance(value, (bool, int, float, str)):
    return True
  if isinstance(value, (list, tuple)):
    return all(_is_setting(item) for item in value)
  if isinstance(value, dict):
    return all(isinstance(key, str) and _is_setting(item)
               for key, item in value.items())
  return False


class MetaLearner(abc.ABC):
  """A meta-learner: the variables the outer loop trains, and its meta-step.

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

  That is all a learner that takes one gradient step per batch of tasks
  needs: the default `train_step` computes its gradients, checks them and
  applies them. A learner with another training scheme (several outer
  steps per batch, truncated backpropagation through time, warp updates
  every few steps) overrides `train_step`, and keeps whatever must persist
  from one meta-step to the next in its `train_state`: the trainer holds
  that state in variables, checkpoints it, and hands it back at the next
  step.

  Outside meta-training every learner that adapts to one task declares
  the same two calls: `adapt(task, ...) -> inner.AdaptResult` and
  `predict(adapted, x)`.

  What the trainer calls, and nothing else: `trainable_variables`,
  `variable_groups()`, `checkpoint_items()`, `train_state(batch_size)`,
  `train_step(...)` (inside its compiled call), `update_statistics(...)`
  (where `updates_statistics`), and the attributes below.

  Attributes:
    model: the Keras model the learner meta-trains (None for learners
      without one); the trainer reads it to choose XLA (`jit_compile`).
    name: the learner's name in configs and logs.
    metric_names: the metrics `train_step` returns (besides
      `NONFINITE_GRADIENTS`).
    compiles_with_xla: how much of `train_step` XLA may compile: "step"
      (all of it, the optimiser's update included), "gradients" (only what
      the step passes through `context.compile`) or "never" (the trainer
      refuses `jit_compile=True`).
    distributes: whether `train_step` runs in the replicas of a
      distribution strategy (a learner whose state lives on one device
      does not; the trainer refuses a strategy with several replicas).
    updates_statistics: whether the trainer calls `update_statistics` after
      every meta-step.
    uses_fast_path: whether the learner runs a batch of tasks at once (a
      task axis on the adapted weights); the evaluator then adapts all its
      tasks together.
    num_inner_steps: inner steps per task in a meta-step (0 for learners
      without an inner loop); the trainer's memory estimate reads it.
  """

  def __new__(cls, *args, **kwargs):
    # As Keras 3's operations do: record the constructor's arguments, from
    # which `get_config` gives the ones that are settings.
    instance = super().__new__(cls)
    instance._constructor_arguments = _arguments(cls.__init__, args, kwargs)
    return instance

  def get_config(self) -> dict:
    """The learner's settings: the constructor's arguments that are plain
    values (numbers, strings, booleans, None, and lists, tuples and dicts of
    them), as given. The objects it is built around (the model, an
    environment, problems, a loss function) are not settings: pass them
    to `from_config` again.

    Raises:
      ValueError: the constructor took arguments it cannot name (a subclass
        whose `__init__` takes `*args`).
    """
    arguments = self.__dict__.get("_constructor_arguments")
    if arguments is None:
      raise ValueError(f"{type(self).__name__}'s constructor arguments "
                       "were not recorded (positional *args).")
    return {name: value for name, value in arguments.items()
            if _is_setting(value)}

  def constructor_objects(self) -> list[str]:
    """The names of the constructor's arguments that are not settings (the
    model, an environment, a loss function): what `get_config` leaves out
    and `from_config` must be given again."""
    arguments = self.__dict__.get("_constructor_arguments") or {}
    return sorted(name for name, value in arguments.items()
                  if not _is_setting(value))

  @classmethod
  def from_config(cls, config: dict, **objects: Any) -> MetaLearner:
    """The learner of `config` (`get_config`'s), built around `objects`:
    `MAML.from_config(config, model=model)`."""
    return cls(**objects, **config)

  model: Optional[keras.Model] = None
  name = "meta_learner"
  metric_names: tuple[str, ...] = ()
  compiles_with_xla = "step"
  distributes = True
  updates_statistics = False
  uses_fast_path = False
  num_inner_steps = 0

  @property
  @abc.abstractmethod
  def trainable_variables(self) -> list[tf.Variable]:
    """The variables the outer optimiser trains."""

  @abc.abstractmethod
  def checkpoint_items(self) -> dict[str, Any]:
    """`{name: trackable}`: what a checkpoint saves to resume exactly
    (besides `train_state`, which the trainer saves)."""

  @abc.abstractmethod
  def compute_gradients(
      self, tasks: TaskBatch, seeds: tf.Tensor,
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> MetaGradients:
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

  def train_state(self, batch_size: Optional[int]) -> dict:
    """`{name: tensors}`: the initial values of what persists from one
    meta-step to the next (none by default).

    Args:
      batch_size: tasks per meta-step (a learner may keep one state per
        task of the batch).
    """
    del batch_size
    return {}

  def train_step(self, state: dict, batch: tuple[TaskBatch, tf.Tensor],
                 optimizer: keras.optimizers.Optimizer,
                 context: StepContext = StepContext()) -> tuple[dict, Metrics]:
    """One meta-step: `(state, batch) -> (new state, metrics)`.

    The default computes `compute_gradients` (through `context.compile`),
    adds `NONFINITE_GRADIENTS` (unless losses are scaled, whose optimiser
    skips overflowing steps on purpose) and applies the gradients.

    Args:
      state: what `train_state` made, as the previous step left it.
      batch: `(tasks, seeds)` of this replica.
      optimizer: the outer optimiser (`apply(gradients, variables)`),
        built for `trainable_variables`.
      context: how the step runs (`StepContext`).

    Returns:
      `(state, metrics)`: the new state (the same structure) and
      `{name: scalar}` for `metric_names`, means over the batch's tasks.
    """
    tasks, seeds = batch
    compute = context.compile(lambda tasks, seeds: tuple(
        self.compute_gradients(tasks, seeds,
                               global_batch_size=context.global_batch_size,
                               scale_loss=context.scale_loss)))
    gradients, metrics = compute(tasks, seeds)
    if context.scale_loss is None:
      metrics = check_gradients(gradients, metrics)
    optimizer.apply(gradients, self.trainable_variables)
    return state, metrics

  def adapt(self, task: Any, support_y: Optional[Any] = None, *,
            seed: Optional[Seed] = None,
            num_steps: Optional[int] = None) -> inner.AdaptResult:
    """Adapts to one task: what every learner that adapts offers.

    One call for every family (gradient learners, LEO, policy gradients,
    the learned optimiser); families differ in what the result's `params`
    hold and in their own keyword options, not in the call. Evaluators and
    exporters call it; the trainer never does.

    Args:
      task: the support set: a single (unbatched) `Task`, a
        `(support_x, support_y)` pair, or the support inputs (then
        `support_y` holds their targets); an environment task for policies,
        a problem for the learned optimiser.
      support_y: the support targets, where `task` is the support inputs.
      seed: int32 [2], the stateless seed of the adaptation's draws.
      num_steps: inner steps (default: the learner's trained number).

    Returns:
      An `inner.AdaptResult`: `params` (the adapted state `predict` reads),
      `losses` (the loss before each step), and the family's `details`.
    """
    raise NotImplementedError(
        f"{type(self).__name__} has no one-task adapt: it adapts by its "
        f"own means (a recurrent state, a task sequence, a warped descent); "
        f"received adapt({type(task).__name__}).")

  def predict(self, adapted: Any, x: Nest) -> Nest:
    """The outputs on `x` of what `adapt` returned (`adapted`)."""
    raise NotImplementedError(
        f"{type(self).__name__} has no predictions of an adapted state; "
        f"read the `params` of what adapt returned.")

  def variable_groups(self) -> list[tuple[float, list[tf.Variable]]]:
    """`[(learning-rate scale, variables)]`: one outer optimiser per group."""
    return [(1.0, list(self.trainable_variables))]

  def update_statistics(self, tasks: TaskBatch, seeds: tf.Tensor) -> None:
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
  model: keras.Model  # set by __init__: never None here

  def __init__(self, model: keras.Model,
               roles: Optional[functional.WeightRoles] = None) -> None:
    self.model = model
    self.roles = roles or functional.weight_roles(model)

  def checkpoint_items(self) -> dict[str, Any]:
    return {"model": self.model}

  def initial_values(self) -> list[tf.Tensor]:
    """The adapted weights' current values: theta_0."""
    return functional.current_values(self.roles.adapted)

  def predict(self, adapted: Adapted, x: Nest, training: bool = False,
              meta_values: Optional[Sequence[tf.Tensor]] = None) -> Nest:
    """The model's outputs on `x` with `adapted` values for adapted weights.

    `adapted` is what `adapt` returned (an `AdaptResult`) or its `params`;
    `meta_values` replaces the meta weights (see `call_with_weights`).
    """
    adapted = adapted_params(adapted)
    return functional.call_with_weights(self.model, adapted, x,
                                        training=training, roles=self.roles,
                                        meta_values=meta_values)


def adapted_params(adapted: Adapted) -> Sequence[tf.Tensor]:
  """The adapted values of an `AdaptResult`, or `adapted` itself."""
  return adapted.params if isinstance(adapted, inner.AdaptResult) else adapted


def mean_over_tasks(values: tf.Tensor, global_batch_size: Optional[int] = None,
                    scale_loss: Optional[ScaleLoss] = None) -> tf.Tensor:
  """The sum of per-task `values` over `global_batch_size` (default: their
  number), times the loss scale: what a replica differentiates."""
  denominator = global_batch_size or tf.shape(values)[0]
  total = tf.reduce_sum(values) / tf.cast(denominator, values.dtype)
  return total if scale_loss is None else scale_loss(total)


def map_tasks(
    fn: TaskObjective, tasks: TaskBatch, seeds: tf.Tensor,
    metric_names: Sequence[str], dtype: tf.DType = tf.float32,
    parallel_iterations: Optional[int] = None) -> tuple[tf.Tensor, Metrics]:
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


def mapped_gradients(objective_fn: TaskObjective, tasks: TaskBatch,
                     seeds: tf.Tensor, metric_names: Sequence[str],
                     variables: Variables,
                     global_batch_size: Optional[int] = None,
                     scale_loss: Optional[ScaleLoss] = None,
                     dtype: tf.DType = tf.float32) -> MetaGradients:
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


def gradients(tape: tf.GradientTape, target: tf.Tensor,
              variables: Variables) -> list[tf.Tensor]:
  """`tape.gradient` with zeros (of each variable's dtype) where unconnected.

  (`UnconnectedGradients.ZERO` trips over Keras 3 variables, whose `dtype`
  is a string.)
  """
  grads = tape.gradient(target, variables)
  return [tf.zeros(v.shape, tf.as_dtype(v.dtype)) if g is None else g
          for g, v in zip(grads, variables)]


def validate_tasks(tasks: TaskBatch) -> None:
  """Raises a clear error for a batch that is not a batched `Task`."""
  tasks_base.validate_task(tasks, batched=True)
