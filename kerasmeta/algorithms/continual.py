# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Continual learning over task sequences: SGD, EWC and WarpGrad (appendix J).

A learner starts every task sequence from one fixed random initialisation
theta_0 (not meta-learned) and learns its sub-tasks one after the other by
online SGD, K = T n steps, step k on the batch D^k of sub-task t(k) = k // n
with the loss of eq. 18 (half the mean squared error). Three learners share
this loop:

  * SGD: plain;
  * EWC: the loss of every step adds the EWC penalty of each sub-task
    already learned (`kerasmeta.ewc`);
  * WarpGrad: a model with warp layers, whose warp weights phi are
    meta-learned across sequences with the warp objective of eq. 7, the
    meta loss of a parameterisation theta_k being eq. 19's weighted sum of
    the validation losses of sub-tasks 1..t(k).

Eq. 19 divides sub-task i's validation loss by the number of times it
appears in the meta-objective, n (T - i + 1) (1-based), as the text beside
it explains ("normalising on number of appearances"): summed over a
sequence's K parameterisations, every sub-task then carries weight 1.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import ewc
from kerasmeta import inner
from kerasmeta import sampling
from kerasmeta.algorithms import base
from kerasmeta.algorithms import warpgrad
from kerasmeta.tasks import continual_sine

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Metrics, Scalar, ScaleLoss, Seed, TaskBatch


def continual_weights(num_subtasks: int, steps_per_subtask: int) -> np.ndarray:
  """Eq. 19's weights, `[K, T]`: w[k, i] = 1 / (n (T - i)) for i <= k // n.

  (0-based sub-task i; 1-based this is n (T - i + 1).)
  """
  weights = np.zeros([num_subtasks * steps_per_subtask, num_subtasks])
  for k in range(weights.shape[0]):
    for i in range(k // steps_per_subtask + 1):
      weights[k, i] = 1.0 / (steps_per_subtask * (num_subtasks - i))
  return weights


def half_squared_error(y: tf.Tensor, predictions: tf.Tensor) -> tf.Tensor:
  """Eq. 18: 1 / (2 |D|) sum (h(x) - f(x))^2."""
  predictions = tf.cast(predictions, tf.float32)
  return 0.5 * tf.reduce_mean(tf.square(predictions - tf.cast(y, tf.float32)))


class ContinualLearner(base.ModelLearner):
  """Online learning over `TaskSequence`s, with optional EWC and warps.

  Args:
    model: the learner (with warp layers for WarpGrad); its adapted
      weights are the fixed initialisation theta_0.
    tasks: the `ContinualSineTasks` the sequences come from (T, n).
    learning_rate: alpha of the online SGD.
    ewc_strength: lambda of the EWC penalty (0: none).
    exact: eq. 7 (True) or eq. 8 for the warp objective.
    warp_samples: parameterisations theta_k per sequence in the warp
      objective, drawn without replacement (0: all K); the sum is rescaled
      by K / warp_samples to stay an unbiased estimate of eq. 15.
  """

  name = "continual"
  metric_names = ("final_loss", "warp_loss")

  def __init__(self, model: keras.Model,
               tasks: continual_sine.ContinualSineTasks,
               learning_rate: float = 0.001, ewc_strength: float = 0.0,
               exact: bool = True, warp_samples: int = 0) -> None:
    if learning_rate <= 0:
      raise ValueError(f"learning_rate must be > 0; received {learning_rate}.")
    if ewc_strength < 0:
      raise ValueError(f"ewc_strength must be >= 0; received {ewc_strength}.")
    super().__init__(model)
    self.tasks = tasks
    self.learning_rate = float(learning_rate)
    self.ewc_strength = float(ewc_strength)
    self.exact = bool(exact)
    self.warp_samples = int(warp_samples or 0)
    if not 0 <= self.warp_samples <= tasks.num_steps:
      raise ValueError(f"warp_samples must be in [0, {tasks.num_steps}]; "
                       f"received {warp_samples}.")
    self.weights = tf.constant(continual_weights(
        tasks.num_subtasks, tasks.steps_per_subtask), tf.float32)
    # traced `validation_curves`, by EWC use
    self._curve_functions: dict[bool, Any] = {}

  @property
  def trainable_variables(self) -> list[tf.Variable]:
    """phi: the warp weights (theta_0 is fixed)."""
    return list(self.roles.meta)

  def validation_losses(
      self, params: Sequence[tf.Tensor], sequence: continual_sine.TaskSequence,
      meta_values: Optional[Sequence[tf.Tensor]] = None) -> tf.Tensor:
    """`[T]`: the loss of every sub-task's validation points."""
    num_subtasks, num_val = sequence.val_x.shape[0], sequence.val_x.shape[1]
    flat = tf.reshape(sequence.val_x, [num_subtasks * num_val, 1])
    predictions = tf.reshape(self.predict(params, flat, meta_values=meta_values),
                             [num_subtasks, num_val])
    errors = tf.square(tf.cast(predictions, tf.float32)
                       - tf.reshape(sequence.val_y, [num_subtasks, num_val]))
    return 0.5 * tf.reduce_mean(errors, axis=1)

  # ------------------------------------------------------------ the loop
  def run(self, sequence: continual_sine.TaskSequence,
          learning_rate: Optional[Scalar] = None,
          ewc_strength: Optional[Scalar] = None, record: bool = True,
          keep_trajectory: bool = False,
          meta_values: Optional[Sequence[tf.Tensor]] = None) -> tuple:
    """Learns a sequence online from theta_0.

    Args:
      sequence: one (unbatched) `TaskSequence`.
      learning_rate: overrides the learner's.
      ewc_strength: overrides the learner's.
      record: record every sub-task's validation loss at every step.
      keep_trajectory: return theta_0 .. theta_K.
      meta_values: warp weights to use instead of the variables (e.g.
        stop-gradient copies).

    Returns:
      `(final params, validation losses [K + 1, T] or None, trajectory
      (one [K + 1, ...] tensor per param) or None)`.
    """
    learning_rate = self.learning_rate if learning_rate is None \
        else learning_rate
    strength = self.ewc_strength if ewc_strength is None else ewc_strength
    # A tensor strength (one trace for a whole grid) always computes the
    # Fisher; a Python 0 skips it.
    uses_ewc = tf.is_tensor(strength) or strength > 0
    steps = self.tasks.steps_per_subtask
    params = self.initial_values()
    anchors: list[list[tf.Tensor]] = []
    fishers: list[list[tf.Tensor]] = []
    records = [self.validation_losses(params, sequence,
                                      meta_values)[tf.newaxis]] \
        if record else []
    trajectory: Any = [[p[tf.newaxis]] for p in params] \
        if keep_trajectory else []
    for subtask in range(self.tasks.num_subtasks):
      penalty = _penalty(list(anchors), list(fishers), strength)

      def loss_at(values, step, penalty=penalty):
        prediction = self.predict(values, sequence.train_x[step],
                                  meta_values=meta_values)
        return half_squared_error(sequence.train_y[step], prediction) + \
            penalty(values)

      first = subtask * steps
      result = inner.adapt(
          lambda values, step, loss_at=loss_at, first=first: loss_at(
              values, first + step), params, inner.sgd(learning_rate), steps,
          step_loss=True, return_trajectory=record or keep_trajectory)
      params = result.params
      if record:
        records.append(tf.map_fn(
            lambda values: self.validation_losses(values, sequence,
                                                  meta_values),
            [t[1:] for t in result.trajectory],
            fn_output_signature=tf.float32))
      for whole, part in zip(trajectory, result.trajectory or []):
        if keep_trajectory:
          whole.append(part[1:])
      if uses_ewc and subtask < self.tasks.num_subtasks - 1:
        anchors.append([tf.stop_gradient(p) for p in params])
        fishers.append(self._fisher(params, sequence, subtask, meta_values))
    val_losses = tf.concat(records, 0) if record else None
    trajectory = [tf.concat(parts, 0) for parts in trajectory] \
        if keep_trajectory else None
    return params, val_losses, trajectory

  def validation_curves(self, sequences: continual_sine.TaskSequence,
                        learning_rate: Optional[float] = None,
                        ewc_strength: Optional[float] = None) -> np.ndarray:
    """`[sequences, K + 1, T]` numpy: `run`'s validation losses of each.

    The rates enter as tensors of one traced function per EWC use, so a
    grid search over them traces once.
    """
    learning_rate = self.learning_rate if learning_rate is None \
        else learning_rate
    ewc_strength = self.ewc_strength if ewc_strength is None \
        else ewc_strength
    uses_ewc = ewc_strength > 0
    if uses_ewc not in self._curve_functions:
      @tf.function
      def curves(sequences, learning_rate, ewc_strength):
        return tf.map_fn(
            lambda s: self.run(
                continual_sine.TaskSequence(*s), learning_rate=learning_rate,
                ewc_strength=ewc_strength if uses_ewc else 0.0)[1],
            tuple(sequences), fn_output_signature=tf.float32)
      self._curve_functions[uses_ewc] = curves
    return self._curve_functions[uses_ewc](
        sequences, tf.constant(learning_rate, tf.float32),
        tf.constant(ewc_strength, tf.float32)).numpy()

  def _fisher(self, params, sequence, subtask, meta_values):
    """EWC's Fisher at the end of a sub-task, from the data it saw."""
    steps = self.tasks.steps_per_subtask
    x = tf.reshape(sequence.train_x[subtask * steps:(subtask + 1) * steps],
                   [-1, 1])
    y = tf.reshape(sequence.train_y[subtask * steps:(subtask + 1) * steps],
                   [-1])
    def nll(values):
      predictions = self.predict(values, x, meta_values=meta_values)
      return 0.5 * tf.square(
          tf.reshape(tf.cast(predictions, tf.float32), [-1]) - y)
    return [tf.stop_gradient(f) for f in ewc.diagonal_fisher(
        nll, [tf.stop_gradient(p) for p in params])]

  # ------------------------------------------------------------ meta-learning
  def task_objective(self, sequence: continual_sine.TaskSequence,
                     seed: Seed) -> tuple[tf.Tensor, Metrics]:
    """Eq. 15 with eq. 19's meta loss, over one sequence's trajectory."""
    if not self.roles.meta:
      raise ValueError("This learner has no warp layers to meta-learn.")
    frozen = [tf.stop_gradient(w.value) for w in self.roles.meta]
    _, _, trajectory = self.run(sequence, record=False, keep_trajectory=True,
                                meta_values=frozen)
    num_steps = self.tasks.num_steps
    steps = tf.range(num_steps)
    scale = 1.0
    if self.warp_samples:
      steps = sampling.choose(seed, num_steps, self.warp_samples)
      scale = num_steps / self.warp_samples

    def at_step(step):
      theta = [t[step] for t in trajectory]
      task_loss = lambda values: half_squared_error(
          sequence.train_y[step], self.predict(values,
                                               sequence.train_x[step]))
      meta_loss = lambda values: tf.reduce_sum(
          self.weights[step] * self.validation_losses(values, sequence))
      value, _ = warpgrad.warp_objective(task_loss, meta_loss, theta,
                                         self.learning_rate, exact=self.exact)
      return value

    values = tf.map_fn(at_step, steps, fn_output_signature=tf.float32)
    objective = scale * tf.reduce_sum(values)
    final = tf.reduce_mean(self.validation_losses(
        [t[-1] for t in trajectory], sequence, frozen))
    return objective, {"final_loss": tf.stop_gradient(final),
                       "warp_loss": tf.stop_gradient(objective)}

  def compute_gradients(
      self, tasks: TaskBatch, seeds: tf.Tensor,
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> base.MetaGradients:
    """Gradients of the mean objective over a batch of sequences."""
    if not self.roles.meta:
      raise ValueError(f"Model {self.model.name!r} has no warp layers: "
                       "there is nothing to meta-learn.")
    return base.mapped_gradients(
        self.task_objective, tasks, seeds, self.metric_names,
        self.trainable_variables, global_batch_size, scale_loss)


def _penalty(anchors, fishers, strength):
  if not anchors:
    return lambda values: tf.zeros([], tf.float32)
  return lambda values: tf.cast(
      ewc.ewc_penalty(values, anchors, fishers, strength), tf.float32)

