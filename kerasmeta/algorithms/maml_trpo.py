# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""MAML's TRPO outer step for meta-RL (Finn et al. 2017, section 5.3).

MAML's navigation results were meta-trained with TRPO, not a first-order
optimiser (cbfinn/maml_rl, `MAMLTRPO` with rllab's
`ConjugateGradientOptimizer`): the meta-gradient g of the post-adaptation
surrogate is preconditioned by the Fisher matrix F of the mean KL between
the post-adaptation policies before and after the step,

  x = F^-1 g (conjugate gradients on Fisher-vector products),
  step = sqrt(2 delta / x^T F x) x,

then a backtracking line search shrinks the step by `backtrack_ratio` until
the surrogate improves and the mean KL stays within delta (`max_kl`); with
no such step the weights stay. The KL is that of the adapted policies: it
depends on theta_0 through the inner step, so its Fisher-vector products
differentiate through the adaptation (third derivatives of the policy's
log-probabilities). The KL is averaged over the live post-adaptation steps
of every task, as rllab averages over its samples; the Fisher-vector
products add `cg_damping * v` (rllab's `reg_coeff`).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, TYPE_CHECKING

import tensorflow as tf

from kerasmeta.algorithms import base
from kerasmeta.algorithms import policy_gradient_maml
from kerasmeta.envs import base as envs_base
from kerasmeta.rl import policies

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Metrics, Nest, TaskBatch


def conjugate_gradient(matrix_vector: Callable[[tf.Tensor], tf.Tensor],
                       vector: tf.Tensor, iterations: int,
                       residual_tolerance: float = 1e-10) -> tf.Tensor:
  """x with A x = b for a symmetric positive-definite A, by `iterations`
  steps of conjugate gradients (rllab's `cg`), in the graph.

  Args:
    matrix_vector: `p -> A p` on flat vectors.
    vector: b, a flat vector.
    iterations: the most conjugate-gradient steps.
    residual_tolerance: stops once r^T r falls below it.
  """
  def body(index, x, residual, direction, residual_norm):
    product = matrix_vector(direction)
    step = residual_norm / tf.tensordot(direction, product, 1)
    x += step * direction
    residual -= step * product
    new_norm = tf.tensordot(residual, residual, 1)
    direction = residual + new_norm / residual_norm * direction
    return index + 1, x, residual, direction, new_norm

  def condition(index, x, residual, direction, residual_norm):
    del x, residual, direction
    return tf.logical_and(index < iterations,
                          residual_norm >= residual_tolerance)

  initial = (tf.constant(0), tf.zeros_like(vector), vector, vector,
             tf.tensordot(vector, vector, 1))
  return tf.while_loop(condition, body, initial)[1]


def _flat(tensors):
  return tf.concat([tf.reshape(t, [-1]) for t in tensors], 0)


def _unflat(vector, like):
  sizes = [v.shape.num_elements() for v in like]
  return [tf.reshape(part, v.shape)
          for part, v in zip(tf.split(vector, sizes), like)]


class TRPOPolicyGradientMAML(policy_gradient_maml.PolicyGradientMAML):
  """`PolicyGradientMAML` meta-trained by MAML's TRPO step (the module).

  The trainer's optimiser is not used: `train_step` moves the weights
  itself, on the episodes it samples once per meta-step.

  Args:
    model: as `PolicyGradientMAML`'s.
    environment: as `PolicyGradientMAML`'s.
    max_kl: delta, the mean KL's bound (maml_rl: 0.01).
    cg_iterations: conjugate-gradient steps (rllab: 10).
    cg_damping: added to the Fisher matrix's diagonal (rllab: 1e-5).
    backtrack_ratio: the line search's shrink factor (rllab: 0.8).
    max_backtracks: the line search's most tries (rllab: 15).
    **kwargs: `PolicyGradientMAML`'s (outer_epochs must stay 1).
  """

  name = "maml_trpo"
  metric_names = ("return_before", "return_after", "outer_kl",
                  "backtracks")
  compiles_with_xla = "never"  # while loops that assign the weights
  distributes = False  # the line search evaluates the whole batch

  def __init__(self, model: keras.Model, environment: envs_base.Environment,
               max_kl: float = 0.01, cg_iterations: int = 10,
               cg_damping: float = 1e-5, backtrack_ratio: float = 0.8,
               max_backtracks: int = 15, **kwargs: Any) -> None:
    if kwargs.get("outer_epochs", 1) != 1:
      raise ValueError("TRPO takes one step per batch of episodes; received "
                       f"outer_epochs={kwargs['outer_epochs']}.")
    super().__init__(model, environment, **kwargs)
    if not max_kl > 0 or not 0 < backtrack_ratio < 1 or cg_damping < 0 \
        or int(cg_iterations) < 1 or int(max_backtracks) < 1:
      raise ValueError(
          f"Expected max_kl > 0, 0 < backtrack_ratio < 1, cg_damping >= 0 "
          f"and at least one conjugate-gradient step and backtrack; "
          f"received max_kl={max_kl}, backtrack_ratio={backtrack_ratio}, "
          f"cg_damping={cg_damping}, cg_iterations={cg_iterations}, "
          f"max_backtracks={max_backtracks}.")
    self.max_kl, self.cg_damping = float(max_kl), float(cg_damping)
    self.cg_iterations = int(cg_iterations)
    self.backtrack_ratio = float(backtrack_ratio)
    self.max_backtracks = int(max_backtracks)

  def post_update_outputs(self, tasks: TaskBatch, seeds: tf.Tensor,
                          recorded: Nest) -> tf.Tensor:
    """The adapted policies' outputs on the recorded post-adaptation
    observations, [tasks, episodes, horizon, 2 * action_size]: the inner
    steps replayed on the recorded inner episodes, from the current
    weights (differentiable in them)."""
    dtype = tf.as_dtype(self.roles.adapted[0].dtype)
    episodes, horizon = self.num_episodes, self.environment.horizon
    size = 2 * self.environment.action_size

    def one(elements):
      task, seed, (paths, references, _) = elements
      result = self.task_objective(envs_base.EnvironmentTask(*task), seed,
                                   paths=paths, references=references)
      return self.policy_outputs(result.adapted, paths[-1].observations)

    return tf.map_fn(one, (tuple(tasks), seeds, recorded),
                     fn_output_signature=tf.TensorSpec(
                         [episodes, horizon, size], dtype))

  def mean_kl(self, old_outputs: tf.Tensor, new_outputs: tf.Tensor,
              alive: tf.Tensor) -> tf.Tensor:
    """The KL of old and new post-adaptation policies, averaged over the
    live steps of every task's episodes."""
    return policies.mean_kl(old_outputs, new_outputs, alive)

  def train_step(
      self, state: dict, batch: tuple[TaskBatch, tf.Tensor],
      optimizer: Optional[keras.optimizers.Optimizer],
      context: base.StepContext = base.StepContext()) -> tuple[dict, Metrics]:
    """One TRPO step on one batch of episodes (the module)."""
    del optimizer  # TRPO moves the weights itself
    tasks, seeds = batch
    variables = self.trainable_variables
    recorded = self.sample_episodes(tasks, seeds)
    alive = recorded[0][-1].alive
    old_outputs = tf.stop_gradient(
        self.post_update_outputs(tasks, seeds, recorded))
    objective = lambda: self.batch_objective(
        tasks, seeds, recorded=recorded,
        global_batch_size=context.global_batch_size)
    with tf.GradientTape() as tape:
      loss_before, metrics = objective()
    gradients = base.gradients(tape, loss_before, variables)
    metrics = base.check_gradients(gradients, metrics)

    def fisher_vector(vector):
      with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
          kl = self.mean_kl(old_outputs, self.post_update_outputs(
              tasks, seeds, recorded), alive)
        kl_gradients = inner.gradient(kl, variables)
        dot = tf.add_n([tf.reduce_sum(g * v) for g, v in zip(
            kl_gradients, _unflat(vector, variables))])
      return _flat(outer.gradient(dot, variables)) + self.cg_damping * vector

    # Traced once and called twice (in the conjugate-gradient loop and for
    # the curvature): its second-order graph is most of the step's trace.
    fisher_vector = tf.function(fisher_vector, autograph=False)
    ascent = -_flat(gradients)
    direction = conjugate_gradient(fisher_vector, ascent, self.cg_iterations)
    curvature = tf.tensordot(direction, fisher_vector(direction), 1)
    full_step = tf.sqrt(2.0 * self.max_kl / (curvature + 1e-8)) * direction
    start = [v * 1.0 for v in variables]  # copies, not the variables' buffers
    loss_after, kl_after, tries = self._line_search(
        start, full_step, loss_before, objective,
        lambda: self.mean_kl(old_outputs, self.post_update_outputs(
            tasks, seeds, recorded), alive))
    return state, {**metrics, "outer_kl": tf.cast(kl_after, tf.float32),
                   "backtracks": tf.cast(tries, tf.float32)}

  def _line_search(self, start, full_step, loss_before, objective, kl):
    """Backtracks from `start + full_step`; returns the accepted step's
    loss and KL and the tries taken (the weights stay at `start`, KL 0,
    where no try improves within the bound)."""
    variables = self.trainable_variables
    steps = _unflat(full_step, variables)

    def attempt(index):
      fraction = tf.pow(tf.cast(self.backtrack_ratio, full_step.dtype),
                        tf.cast(index, full_step.dtype))
      for variable, origin, step in zip(variables, start, steps):
        variable.assign(origin + fraction * step)
      loss = objective()[0]
      divergence = kl()
      accepted = tf.logical_and(
          tf.logical_and(loss < loss_before, divergence <= self.max_kl),
          tf.math.is_finite(loss))
      return loss, divergence, accepted

    def body(index, loss, divergence, accepted):
      del loss, divergence, accepted
      loss, divergence, accepted = attempt(index)
      return index + 1, loss, divergence, accepted

    def condition(index, loss, divergence, accepted):
      del loss, divergence
      return tf.logical_and(index < self.max_backtracks,
                            tf.logical_not(accepted))

    zero = tf.zeros([], loss_before.dtype)
    tries, loss, divergence, accepted = tf.while_loop(
        condition, body, (tf.constant(0), loss_before, zero,
                          tf.constant(False)))
    with tf.control_dependencies([tries, loss, divergence, accepted]):
      for variable, origin in zip(variables, start):
        variable.assign(tf.where(accepted, variable, origin))
    return (tf.where(accepted, loss, loss_before),
            tf.where(accepted, divergence, zero), tries)

