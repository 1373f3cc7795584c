# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""WarpGrad with an explicit warp of the parameters (appendix D, figure 5).

The task learner's parameters gamma live in W; an explicit warp Omega maps a
representation theta in P to them, and gradient descent runs on theta:

  theta_{k+1} = theta_k - alpha grad_theta f(gamma(theta_k)),
  gamma(theta) = gamma_0 + Omega(theta) - Omega(gamma_0),   theta_0 = gamma_0,

so both optimisers start from the same point gamma_0 of W, and each step in
P is a step in W preconditioned by the metric `G^-1 = DOmega DOmega^T`
(eqs. 3-4; the offset leaves DOmega unchanged). Omega is meta-learned with
the warp objective of eq. 7 (or 8) over trajectory points theta_k held
constant, accumulated online as in algorithm 1.

The objective `f(task, gamma)` is any function of points [..., d]; the
synthetic experiment uses `kerasmeta.tasks.surfaces.surface_value`.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import functional
from kerasmeta import inner
from kerasmeta import sampling
from kerasmeta.algorithms import base
from kerasmeta.algorithms import warpgrad

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import (IntLike, Metrics, Scalar, ScaleLoss, Seed,
                                 TaskBatch)


class ExplicitWarpGrad(base.ModelLearner):
  """Meta-learns an explicit warp `Omega: R^d -> R^d` (its weights are phi).

  Args:
    warp_model: a built Keras model mapping [points, d] to [points, d]; all
      its trainable weights are meta-learned.
    objective_fn: `(task, points [..., d]) -> values [...]` to minimise.
    num_inner_steps: gradient steps per trajectory (K).
    inner_learning_rate: alpha.
    exact: eq. 7 (True) or eq. 8 (False).
    warp_samples: trajectory points theta_k per initialisation in the warp
      objective (drawn without replacement from steps 0..K-1); 0 takes all.
  """

  name = "explicit_warp"
  metric_names = ("initial_loss", "final_loss", "warp_loss")

  def __init__(self, warp_model: keras.Model,
               objective_fn: Callable[[Any, tf.Tensor], tf.Tensor],
               num_inner_steps: int = 100, inner_learning_rate: float = 0.1,
               exact: bool = True, warp_samples: int = 0) -> None:
    if int(num_inner_steps) < 1:
      raise ValueError(f"num_inner_steps must be >= 1; received "
                       f"{num_inner_steps}.")
    if not warp_model.trainable_weights:
      raise ValueError(f"Warp model {warp_model.name!r} has no weights.")
    if warp_samples and not 1 <= int(warp_samples) <= int(num_inner_steps):
      raise ValueError(f"warp_samples must be in [0, num_inner_steps]; "
                       f"received {warp_samples}.")
    super().__init__(warp_model, functional.WeightRoles(
        adapted=[], meta=list(warp_model.trainable_weights),
        state=list(warp_model.non_trainable_weights)))
    self.objective_fn = objective_fn
    self.num_inner_steps = int(num_inner_steps)
    self.inner_learning_rate = float(inner_learning_rate)
    self.exact = bool(exact)
    self.warp_samples = int(warp_samples or 0)

  @property
  def trainable_variables(self) -> list[tf.Variable]:
    return list(self.model.trainable_variables)

  # ------------------------------------------------------------ the warp
  def warp(self, theta: tf.Tensor, start: tf.Tensor) -> tf.Tensor:
    """gamma(theta) for representations `theta` started at `start`."""
    return start + self.model(theta) - self.model(start)

  def _sum_loss(self, task, start, warped=True):
    """`[theta] -> sum over points of f(gamma(theta))` (per-point grads)."""
    def loss(params):
      points = self.warp(params[0], start) if warped else params[0]
      return tf.reduce_sum(self.objective_fn(task, points))
    return loss

  def descend(self, task: Any, starts: tf.Tensor,
              num_steps: Optional[IntLike] = None,
              learning_rate: Optional[Scalar] = None,
              warped: bool = True) -> tuple[tf.Tensor, tf.Tensor]:
    """Descends from `starts` [n, d]; returns the W trajectory [K + 1, n, d].

    With `warped`, gradient descent runs in P and the trajectory is mapped
    to W through gamma; without, it is plain gradient descent in W.

    Returns:
      `(trajectory in W, trajectory in P)`; the two are equal unwarped.
    """
    num_steps = self.num_inner_steps if num_steps is None else num_steps
    learning_rate = learning_rate or self.inner_learning_rate
    starts = tf.convert_to_tensor(starts)
    (path,) = inner.adapt(
        self._sum_loss(task, starts, warped), [starts],
        inner.sgd(learning_rate, first_order=True), num_steps,
        return_trajectory=True).trajectory
    path = tf.stop_gradient(path)
    if not warped:
      return path, path
    flat = tf.reshape(path, [-1, path.shape[-1]])
    repeated = tf.reshape(tf.broadcast_to(starts, tf.shape(path)),
                          tf.shape(flat))
    return tf.reshape(self.warp(flat, repeated), tf.shape(path)), path

  # ------------------------------------------------------------ meta-learning
  def task_objective(self, task: Any, seed: Seed) -> tuple[tf.Tensor, Metrics]:
    """The warp objective of one task over its trajectories' points."""
    starts = task.inits
    _, path = self.descend(task, starts)  # [K + 1, n, d]
    steps = tf.range(self.num_inner_steps)
    if self.warp_samples:
      steps = sampling.choose(seed, self.num_inner_steps, self.warp_samples)
    thetas = tf.gather(path, steps)  # [m, n, d]
    flat = tf.reshape(thetas, [-1, thetas.shape[-1]])
    repeated = tf.reshape(tf.broadcast_to(starts, tf.shape(thetas)),
                          tf.shape(flat))
    count = tf.cast(tf.shape(flat)[0], flat.dtype)
    task_loss = self._sum_loss(task, repeated)
    meta_loss = lambda params: task_loss(params) / count
    value, _ = warpgrad.warp_objective(
        task_loss, meta_loss, [flat], self.inner_learning_rate,
        exact=self.exact)
    final = tf.reduce_mean(self.objective_fn(
        task, self.warp(path[-1], starts)))
    return value, {
        "initial_loss": tf.reduce_mean(self.objective_fn(task, starts)),
        "final_loss": tf.stop_gradient(final),
        "warp_loss": tf.stop_gradient(value)}

  def compute_gradients(
      self, tasks: TaskBatch, seeds: tf.Tensor,
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> base.MetaGradients:
    """Gradients of the mean warp objective over a batch of tasks."""
    return base.mapped_gradients(
        self.task_objective, tasks, seeds, self.metric_names,
        self.trainable_variables, global_batch_size, scale_loss,
        dtype=tasks.inits.dtype)
