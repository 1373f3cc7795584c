# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Task mappers: how one objective runs over a batch of tasks.

A `GradientLearner` writes its objective once, as a function of a mapper,
a task and a seed, using the mapper for everything that depends on how the
tasks are laid out: the initial values, the model's forward pass, the
loss, the mask sampler and per-task reductions.

* `MappedTasks` (the general path) runs the objective on one task at a
  time, through `tf.map_fn`, with any Keras model via `stateless_call`.
* `BatchedTasks` (the fast path) runs it once on the whole batch: adapted
  values carry a leading task axis, the forward pass is batched math
  (`kerasmeta.batched`), and losses are `[tasks]` vectors. The inner loop
  follows the gradient of their sum, which is every task's own gradient.

Both return per-task objective values and metrics, so the meta-gradient and
the metrics are the same on either path (the tests check it).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import batched
from kerasmeta import functional
from kerasmeta import inner
from kerasmeta.algorithms import base

if TYPE_CHECKING:
  from kerasmeta._typing import Metrics, Nest, TaskBatch
  from kerasmeta.algorithms import gradient_learner


class MappedTasks:
  """The general path: one task at a time.

  Args:
    learner: a `GradientLearner`.
    training: the `training` flag the model's layers see.
  """

  task_axis = False

  def __init__(self, learner: gradient_learner.GradientLearner,
               training: bool) -> None:
    self.learner = learner
    self.training = training

  def initial_values(self, task: Any) -> list[tf.Tensor]:
    del task
    return self.learner.initial_values()

  def predict(self, params: Sequence[tf.Tensor], x: Nest,
              meta_values: Optional[Sequence[tf.Tensor]] = None) -> Nest:
    return functional.call_with_weights(
        self.learner.model, params, x, training=self.training,
        roles=self.learner.roles, meta_values=meta_values)

  def loss(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    return self.learner.loss_fn(y_true, y_pred)

  def masks(self, masks: inner.GradientMasks) -> inner.GradientMasks:
    return masks

  def sum_per_task(self, value: tf.Tensor) -> tf.Tensor:
    """The sum over every axis (one task)."""
    return tf.reduce_sum(value)

  def run(self, objective: Callable[..., tuple[tf.Tensor, Metrics]],
          tasks: TaskBatch, seeds: tf.Tensor, metric_names: Sequence[str],
          dtype: tf.DType) -> tuple[tf.Tensor, Metrics]:
    """`(values [tasks], {name: [tasks]})` of `objective(self, task, seed)`."""
    return base.map_tasks(lambda task, seed: objective(self, task, seed),
                          tasks, seeds, metric_names, dtype=dtype)


class BatchedTasks:
  """The fast path: all tasks at once, with a task axis on adapted values.

  Args:
    learner: a `GradientLearner` whose model `batched.supports`.
    training: unused by the supported layers (Dense, TDense, activations).
  """

  task_axis = True

  def __init__(self, learner: gradient_learner.GradientLearner,
               training: bool) -> None:
    self.learner = learner
    self.training = training
    self.model = batched.BatchedModel(learner.model, learner.roles.adapted)

  def initial_values(self, tasks: Any) -> list[tf.Tensor]:
    return batched.tile_for_tasks(self.learner.initial_values(),
                                  tf.shape(tasks.support_x)[0])

  def predict(self, params: Sequence[tf.Tensor], x: Nest,
              meta_values: Optional[Sequence[tf.Tensor]] = None) -> Nest:
    if meta_values is not None:
      raise ValueError("The fast path reads meta weights from their "
                       "variables; use the general path for meta_values.")
    return self.model(params, x)

  def loss(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    return self.learner.loss_fn.per_task(y_true, y_pred)

  def masks(self, masks: inner.GradientMasks) -> inner.BatchedGradientMasks:
    return inner.BatchedGradientMasks(masks)

  def sum_per_task(self, value: tf.Tensor) -> tf.Tensor:
    """The sum over every axis but the task axis."""
    rank = value.shape.rank
    return tf.reduce_sum(value, axis=list(range(1, rank)))

  def run(self, objective: Callable[..., tuple[tf.Tensor, Metrics]],
          tasks: TaskBatch, seeds: tf.Tensor, metric_names: Sequence[str],
          dtype: tf.DType) -> tuple[tf.Tensor, Metrics]:
    values, metrics = objective(self, tasks, seeds)
    return tf.cast(values, dtype), {
        name: tf.cast(metrics[name], tf.float32) for name in metric_names}
