# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The learners that adapt a Keras model to each task by gradient steps.

`GradientLearner` holds the model, its loss and the inner loop; an
algorithm subclass writes one objective, `objective(mapper, task, seed)`,
which runs on either task mapper (`task_mappers`): one task at a time on
any model, or all tasks at once on the fast path. The evaluator and the
exporter call `adapt`, `predict`, `initial_values` and `loss_fn`.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, TYPE_CHECKING, Union

import keras
import tensorflow as tf

from kerasmeta import batched
from kerasmeta import functional
from kerasmeta import inner
from kerasmeta import losses as losses_lib
from kerasmeta import sampling
from kerasmeta.algorithms import base
from kerasmeta.algorithms import task_mappers
from kerasmeta.tasks import base as tasks_base

if TYPE_CHECKING:
  from kerasmeta._typing import (Adapted, IntLike, LearningRate, Mapper,
                                 Metrics, Nest, Scalar, ScaleLoss, Seed,
                                 TaskBatch)

BATCH_NORM_MODES = ("task", "running")


class GradientLearner(base.ModelLearner):
  """Base class: a model, its loss and an inner loop of gradient steps.

  Args:
    model: a built Keras 3 model; its adapted weights are the initialisation
      the outer loop learns, its meta weights are learned directly.
    loss: a loss name (see `kerasmeta.losses`) or `(y_true, y_pred) -> loss`.
    num_inner_steps: inner steps during meta-training.
    inner_learning_rate: the inner step size alpha.
    first_order: stop the gradient through the inner gradients.
    training: the `training` flag the model's layers see during
      meta-training (True: batch-norm uses each task's batch statistics, as
      in the MAML reference).
    vectorize: run a replica's tasks together on the fast path: "auto"
      where the model and algorithm allow it, True to require it, False for
      the general path (`stateless_call` mapped over tasks).
    unroll_inner_steps: write the inner steps out instead of a bounded
      `tf.while_loop` when their number is a Python int up to this bound
      (XLA fuses across unrolled steps; the graph grows with them). 0 always
      loops.
    batch_norm: "task" (default): batch-norm layers normalise with each
      task's batch statistics, during meta-training and after it, as the
      MAML reference does (transductive). "running": meta-training does the
      same and also keeps running averages of the adapted networks'
      query-batch statistics (`update_statistics`, called by the trainer
      after each meta-step); adaptation and prediction outside
      meta-training then normalise with those running statistics.
    inner_batch_size: None: every inner step uses the whole support set.
      An int: step k uses that many support examples drawn at random
      (without class balance) from the task's seed and k, as many-step
      protocols do (Omniglot alphabets: 100 steps of 20).
    inner_loss_scale: multiplies the inner loss's gradient (so the inner
      step is that of `inner_loss_scale * loss`); the metrics still report
      the loss itself. The MAML and MT-net reference code sums the
      classification loss over the N*K support examples and divides by K,
      N times the mean loss kerasmeta takes: `inner_loss_scale=N`
      reproduces its steps at its alpha (the classification configs of the
      papers' settings set it to `config.ways`).
  """

  metric_names: tuple[str, ...] = ("support_loss", "query_loss")
  # Whether the objective is written for both task mappers.
  supports_fast_path = False

  def __init__(self, model: keras.Model,
               loss: Union[str, Callable[..., tf.Tensor]] = "mse",
               num_inner_steps: int = 1, inner_learning_rate: float = 0.01,
               first_order: bool = False, training: bool = True,
               vectorize: Union[bool, str] = "auto",
               unroll_inner_steps: int = 5, batch_norm: str = "task",
               inner_batch_size: Optional[int] = None,
               inner_loss_scale: float = 1.0) -> None:
    if int(num_inner_steps) < 0:
      raise ValueError(
          f"num_inner_steps must be >= 0; received {num_inner_steps}.")
    if not inner_learning_rate >= 0:  # NaN included
      raise ValueError(
          f"inner_learning_rate must be >= 0; received {inner_learning_rate}.")
    if batch_norm not in BATCH_NORM_MODES:
      raise ValueError(f"batch_norm must be one of {BATCH_NORM_MODES}; "
                       f"received {batch_norm!r}.")
    if inner_batch_size is not None and int(inner_batch_size) < 1:
      raise ValueError(f"inner_batch_size must be >= 1; received "
                       f"{inner_batch_size}.")
    if not (0 < float(inner_loss_scale) < float("inf")):
      raise ValueError(f"inner_loss_scale must be positive and finite; "
                       f"received {inner_loss_scale}.")
    if vectorize not in (True, False, "auto"):
      raise ValueError(f"vectorize must be True, False or 'auto'; received "
                       f"{vectorize!r}.")
    super().__init__(model)
    self.loss_fn = losses_lib.get(loss)
    self.num_inner_steps = int(num_inner_steps)
    self.inner_learning_rate = float(inner_learning_rate)
    self.first_order = bool(first_order)
    self.meta_training_flag = training
    self.batch_norm = batch_norm
    self.inner_batch_size = int(inner_batch_size) if inner_batch_size \
        else None
    self.unroll_inner_steps = int(unroll_inner_steps)
    self.inner_loss_scale = float(inner_loss_scale)
    if not self.roles.adapted:
      raise ValueError(f"Model {model.name!r} has no adapted weights: every "
                       "trainable weight is meta, so there is nothing to adapt.")
    self.mask_specs = functional.mask_specs(model, self.roles.adapted)
    possible = (self.supports_fast_path and batched.supports(model)
                and self.inner_batch_size is None)
    if vectorize is True and not possible:
      raise ValueError(
          f"vectorize=True, but {type(self).__name__} on model "
          f"{model.name!r} has no fast path (it needs a Sequential of Dense, "
          "TDense and activations, an algorithm with a fast path, and no "
          "inner_batch_size).")
    self.uses_fast_path = bool(vectorize) and possible

  # ------------------------------------------------------------ interface
  @property  # overrides MetaLearner's attribute: read-only here
  def updates_statistics(self) -> bool:  # type: ignore[override]
    return self.batch_norm == "running" and bool(self.roles.state)

  @property  # overrides ModelLearner's attribute: read-only here
  def inference_training(self) -> bool:  # type: ignore[override]
    """The `training` flag outside meta-training (see `batch_norm`)."""
    return False if self.batch_norm == "running" else \
        self.meta_training_flag

  @property
  def extra_variables(self) -> list[tf.Variable]:
    """Meta variables the algorithm owns besides the model's."""
    return []

  @property
  def trainable_variables(self) -> list[tf.Variable]:
    """What the outer optimiser trains: the model's and the algorithm's."""
    return list(self.model.trainable_variables) + list(self.extra_variables)

  def predict(self, adapted: Adapted, x: Nest, training: Optional[bool] = None,
              meta_values: Optional[Sequence[tf.Tensor]] = None) -> Nest:
    """The model's outputs on `x` with `adapted` values for adapted weights.

    Args:
      adapted: what `adapt` returned, or its `params`.
      x: the inputs.
      training: the layers' flag (default: the one outside meta-training).
      meta_values: replaces the meta weights (see `call_with_weights`).
    """
    training = self.inference_training if training is None else training
    return super().predict(adapted, x, training, meta_values)

  def adapted_model(self, adapted: Adapted) -> keras.Model:
    """A Keras model (a clone of `model`) holding the `adapted` values.

    Args:
      adapted: what `adapt` returned, or its `params` (one tensor per
        adapted weight).

    Returns:
      A new `keras.Model`, the model's meta and state weights copied, its
      adapted weights set to `adapted`; saved and served like any model.
    """
    adapted = list(base.adapted_params(adapted))
    if len(adapted) != len(self.roles.adapted):
      raise ValueError(f"Expected {len(self.roles.adapted)} adapted values; "
                       f"received {len(adapted)}.")
    clone = keras.models.clone_model(self.model)
    clone.set_weights(self.model.get_weights())
    position = {id(weight): index
                for index, weight in enumerate(self.model.weights)}
    for weight, value in zip(self.roles.adapted, adapted):
      clone.weights[position[id(weight)]].assign(value)
    return clone

  # ------------------------------------------------------------ inner loop
  def learning_rates(self,
                     learning_rate: Optional[Scalar] = None) -> LearningRate:
    """The inner step size(s): alpha, or `learning_rate` where given."""
    return self.inner_learning_rate if learning_rate is None else \
        learning_rate

  def inner_momentum(self) -> Optional[Scalar]:
    """The inner loop's heavy-ball momentum; None for plain SGD."""
    return None

  def loss_scaling(self) -> Optional[inner.GradientTransform]:
    """`scale(inner_loss_scale)`, the first link of every inner chain; None
    where the scale is 1."""
    if self.inner_loss_scale == 1.0:
      return None
    return inner.scale(self.inner_loss_scale)

  def inner_transform(
      self, mapper: Mapper, seed: Optional[Seed], deterministic: bool = False,
      learning_rate: Optional[Scalar] = None,
      first_order: Optional[bool] = None) -> inner.GradientTransform:
    """The inner update: `chain(stop_gradient, loss scale, masks, momentum,
    -alpha)`.

    Args:
      mapper: the task mapper (it makes the mask sampler).
      seed: the task's seed (`[tasks, 2]` on the fast path).
      deterministic: masks at their most probable value.
      learning_rate: overrides alpha (see `learning_rates`).
      first_order: overrides `first_order`.
    """
    first_order = self.first_order if first_order is None else first_order
    masks = None
    if any(self.mask_specs):
      masks = inner.mask_gradients(
          mapper.masks(inner.GradientMasks(self.mask_specs, deterministic)),
          seed)
    momentum = self.inner_momentum()
    return inner.chain(
        inner.stop_gradient() if first_order else None, self.loss_scaling(),
        masks, inner.heavy_ball(momentum) if momentum is not None else None,
        inner.scale_by_learning_rate(self.learning_rates(learning_rate)))

  def support_loss_fn(
      self, mapper: Mapper, task: Any, seed: Optional[Seed] = None,
      meta_values: Optional[Sequence[tf.Tensor]] = None) -> Callable:
    """The inner loop's loss: `params -> loss` on the whole support set, or
    with `inner_batch_size`, `(params, step) -> loss` on step's mini-batch.
    """
    if self.inner_batch_size is None:
      return lambda params: mapper.loss(
          task.support_y, mapper.predict(params, task.support_x, meta_values))
    seed = tf.zeros([2], tf.int32) if seed is None else seed
    size = min(self.inner_batch_size, int(task.support_x.shape[0]))

    def loss(params, step):
      chosen = sampling.choose(
          sampling.fold_in(seed, 1000 + step),
          tf.shape(task.support_x)[0], size)
      return mapper.loss(
          tf.gather(task.support_y, chosen),
          mapper.predict(params, tf.gather(task.support_x, chosen),
                         meta_values))
    return loss

  def adapt_with(self, mapper: Mapper, task: Any, seed: Optional[Seed],
                 num_steps: Optional[IntLike] = None,
                 deterministic: bool = False, return_trajectory: bool = False,
                 return_state_trajectory: bool = False,
                 max_steps: Optional[int] = None,
                 learning_rate: Optional[Scalar] = None,
                 meta_values: Optional[Sequence[tf.Tensor]] = None,
                 first_order: Optional[bool] = None) -> inner.AdaptResult:
    """Adapts to `task` through `mapper`; returns an `inner.AdaptResult`."""
    num_steps = self.num_inner_steps if num_steps is None else num_steps
    return inner.adapt(
        self.support_loss_fn(mapper, task, seed, meta_values),
        mapper.initial_values(task), self.inner_transform(
            mapper, seed, deterministic, learning_rate, first_order),
        num_steps, max_steps=max_steps, unroll=self._unroll(num_steps),
        return_trajectory=return_trajectory,
        return_state_trajectory=return_state_trajectory,
        step_loss=self.inner_batch_size is not None)

  def adapt(self, task: Any, support_y: Optional[Any] = None, *,
            seed: Optional[Seed] = None, num_steps: Optional[IntLike] = None,
            deterministic: bool = False, return_trajectory: bool = False,
            max_steps: Optional[int] = None,
            learning_rate: Optional[Scalar] = None) -> inner.AdaptResult:
    """Adapts the model to one task's support set (outside meta-training).

    `learner.adapt(support_x, support_y)` with plain arrays, or
    `learner.adapt(task, seed=seed)` with a `Task`.

    Args:
      task: the support inputs (then `support_y` holds their targets), a
        single (unbatched) `Task` (its query fields are not read), or a
        `(support_x, support_y)` pair.
      support_y: the support targets, where `task` is the support inputs.
      seed: stateless seed of the task's mask samples, int32 [2] (default:
        zeros; a learner without masks reads none).
      num_steps: inner steps (default: `num_inner_steps`); a tensor needs
        `max_steps`.
      deterministic: masks at their most probable value instead of sampled.
      return_trajectory: also record every step's values.
      max_steps: static bound for a tensor `num_steps`.
      learning_rate: overrides the inner learning rate.

    Returns:
      An `inner.AdaptResult`.
    """
    task = tasks_base.as_task(task, support_y)
    mapper = task_mappers.MappedTasks(self, self.inference_training)
    return self.adapt_with(mapper, task, seed, num_steps, deterministic,
                           return_trajectory, max_steps=max_steps,
                           learning_rate=learning_rate)

  def support_loss_before(self, mapper: Mapper, task: Any,
                          result: inner.AdaptResult) -> tf.Tensor:
    """The support loss before adaptation (a metric; no gradient)."""
    if self.num_inner_steps > 0:
      return tf.stop_gradient(result.losses[0])
    initial = mapper.initial_values(task)
    return tf.stop_gradient(mapper.loss(
        task.support_y, mapper.predict(initial, task.support_x)))

  def _unroll(self, num_steps):
    return isinstance(num_steps, int) and num_steps <= self.unroll_inner_steps

  # ------------------------------------------------------------ outer loop
  def objective(self, mapper: Mapper, task: Any,
                seed: Optional[Seed]) -> tuple[tf.Tensor, Metrics]:
    """The differentiable meta-objective of a task and its metrics.

    Args:
      mapper: `MappedTasks` (task and seed are one task's) or, where
        `supports_fast_path`, `BatchedTasks` (the whole batch).
      task: the task(s).
      seed: the seed(s).

    Returns:
      `(objective, metrics)`: a scalar (or `[tasks]`) and a dict of them
      for `metric_names`.
    """
    raise NotImplementedError(
        f"{type(self).__name__} does not define its objective.")

  def task_objective(self, task: Any,
                     seed: Optional[Seed] = None) -> tuple[tf.Tensor, Metrics]:
    """`objective` of one task on the general path (as meta-training sees
    it): `(scalar objective, metrics)`."""
    mapper = task_mappers.MappedTasks(self, self.meta_training_flag)
    return self.objective(mapper, task, seed)

  def mapper(self, training: Optional[bool] = None) -> Mapper:
    """The task mapper of meta-training (the fast path where possible)."""
    training = self.meta_training_flag if training is None else training
    if self.uses_fast_path:
      return task_mappers.BatchedTasks(self, training)
    return task_mappers.MappedTasks(self, training)

  def compute_gradients(
      self, tasks: TaskBatch, seeds: Optional[tf.Tensor],
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> base.MetaGradients:
    base.validate_tasks(tasks)
    if seeds is None and any(self.mask_specs):
      raise ValueError(f"{type(self).__name__} on model {self.model.name!r} "
                       "samples MT-net masks: pass seeds (int32 [tasks, 2]).")
    seeds = _checked_seeds(seeds, tasks)
    variables = self.trainable_variables
    with tf.GradientTape() as tape:
      values, metrics = self.mapper().run(
          self.objective, tasks, seeds, self.metric_names,
          tf.as_dtype(self.roles.adapted[0].dtype))
      total = base.mean_over_tasks(values, global_batch_size, scale_loss)
    return base.MetaGradients(
        base.gradients(tape, total, variables),
        {name: tf.reduce_mean(value) for name, value in metrics.items()})

  def update_statistics(self, tasks: TaskBatch, seeds: tf.Tensor) -> None:
    """Moves batch-norm running statistics towards a batch's (running mode).

    Adapts the batch's first task and runs its query set through the
    adapted network in training mode; batch-norm layers fold that batch's
    statistics into their moving averages (their momentum).
    """
    if not self.updates_statistics:
      return
    task = type(tasks)(*[t[0] for t in tasks])
    mapper = task_mappers.MappedTasks(self, self.meta_training_flag)
    result = self.adapt_with(mapper, task, seeds[0])
    _, state = functional.call_with_weights(
        self.model, result.params, task.query_x, training=True,
        roles=self.roles, return_state=True)
    for variable, value in zip(self.model.non_trainable_variables, state):
      variable.assign(tf.stop_gradient(value))


def _checked_seeds(seeds, tasks):
  """`seeds` as int32 [tasks, 2], or a clear error; None: zeros."""
  num_tasks = tasks.support_x.shape[0]
  if seeds is None:
    return tf.zeros([num_tasks if num_tasks is not None else
                     tf.shape(tasks.support_x)[0], 2], tf.int32)
  seeds = tf.convert_to_tensor(seeds)
  if seeds.shape.rank != 2 or seeds.shape[1] not in (2, None) or (
      num_tasks is not None and seeds.shape[0] not in (num_tasks, None)):
    raise ValueError(f"seeds must be int32 of shape [tasks, 2] = "
                     f"[{num_tasks}, 2]; received shape {seeds.shape}.")
  return tf.cast(seeds, tf.int32)
