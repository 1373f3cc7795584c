# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Leap (Flennerhag et al. 2019): shorten the length of adaptation paths.

Each task's adaptation from theta_0 traces a path through
`vartheta_k = (theta_k, L(theta_k))`. Leap minimises its length (WarpGrad
eq. 10), pulling each `vartheta_{k-1}` towards a fixed `sg[vartheta_k]`,
with the Jacobian of theta_{k-1} with respect to theta_0 taken as the
identity. The gradient is WarpGrad's eq. 13:

  grad C(theta_0) = - sum_k (dL_k grad L(theta_{k-1}) + dtheta_k)
                        / ||vartheta_k - vartheta_{k-1}||_2

with `dL_k = L(theta_k) - L(theta_{k-1})`, `dtheta_k = theta_k -
theta_{k-1}`. `leap_objective` is a surrogate whose gradient is exactly
that: `theta_{k-1}` enters as `theta_0 + sg[theta_{k-1} - theta_0]`.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta.algorithms import gradient_learner
from kerasmeta.algorithms import maml

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import LossFn, Mapper, Metrics, Seed


def leap_objective(loss_fn: LossFn, initial: Sequence[tf.Tensor],
                   trajectory: Sequence[tf.Tensor], use_loss: bool = True,
                   epsilon: float = 1e-12) -> tf.Tensor:
  """The Leap path length, differentiable in theta_0 as eq. 13 prescribes.

  Args:
    loss_fn: `params -> task loss` (the loss whose surface the path lies
      on; WarpGrad: the task loss with the warp held fixed).
    initial: theta_0, a list of tensors (gradients flow to them).
    trajectory: one [K + 1, ...] tensor per param, theta_0 .. theta_K.
    use_loss: include the loss in vartheta (eq. 10); False measures the
      path in parameter space alone (the "simplified Leap" of the WarpGrad
      code).
    epsilon: keeps the norm's gradient finite for a zero-length segment.

  Returns:
    A scalar: the sum of the K segment lengths.
  """
  trajectory = [tf.stop_gradient(t) for t in trajectory]
  num_points = tf.shape(trajectory[0])[0]

  def point(index):
    # theta_index, tied to theta_0 with an identity Jacobian.
    return [start + tf.stop_gradient(path[index] - start)
            for start, path in zip(initial, trajectory)]

  tied = [tf.stop_gradient(path[:-1]) - tf.stop_gradient(start) + start
          for start, path in zip(initial, trajectory)]
  # sum_k ||sg[theta_k] - theta_{k-1}||^2, with the gradient through theta_0.
  squared = tf.add_n([
      tf.reduce_sum(tf.square(tf.stop_gradient(path[1:]) - previous),
                    axis=tf.range(1, tf.rank(path)))
      for path, previous in zip(trajectory, tied)])
  if use_loss:
    dtype = trajectory[0].dtype
    losses = tf.map_fn(lambda index: tf.cast(loss_fn(point(index)), dtype),
                       tf.range(num_points), fn_output_signature=dtype)
    squared += tf.square(tf.stop_gradient(losses[1:]) - losses[:-1])
  return tf.reduce_sum(tf.sqrt(squared + epsilon))


class Leap(gradient_learner.GradientLearner):
  """Leap through the `MetaLearner` interface.

  Args:
    model: as `GradientLearner`.
    **kwargs: as `GradientLearner` (the inner loop is first order: no
      gradient flows through it).
    use_loss: include the loss in the path (eq. 10).
  """

  name = "leap"

  def __init__(self, model: keras.Model, use_loss: bool = True,
               **kwargs: Any) -> None:
    maml.force_first_order(type(self).__name__, kwargs)
    super().__init__(model, **kwargs)
    self.use_loss = bool(use_loss)

  def objective(self, mapper: Mapper, task: Any,
                seed: Optional[Seed]) -> tuple[tf.Tensor, Metrics]:
    initial = mapper.initial_values(task)
    result = self.adapt_with(mapper, task, seed, return_trajectory=True)
    # The path's loss with the meta weights held fixed: Leap trains theta_0.
    frozen = [tf.stop_gradient(w.value) for w in self.roles.meta]
    objective = leap_objective(
        lambda params: mapper.loss(task.support_y, mapper.predict(
            params, task.support_x, meta_values=frozen)), initial,
        result.trajectory, use_loss=self.use_loss)
    adapted = [tf.stop_gradient(a) for a in result.params]
    query_loss = mapper.loss(task.query_y,
                             mapper.predict(adapted, task.query_x))
    return objective, {
        "support_loss": self.support_loss_before(mapper, task, result),
        "query_loss": tf.stop_gradient(query_loss)}
