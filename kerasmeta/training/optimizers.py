# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The outer optimiser: by name, one per variable group.

Adam's epsilon defaults to the papers' reference value (TF1's
`AdamOptimizer`, 1e-8, added to the uncorrected sqrt(v) as Keras 3 adds
it): Keras' own default, 1e-7, damps the tiny early gradients of T
matrices, mask logits and warps (~1e-6 with 0.01-scale initial kernels).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import OuterOptimizer, Variables
  from kerasmeta.algorithms import base

REFERENCE_ADAM_EPSILON = 1e-8

OPTIMIZERS = ("adam", "sgd")


class OptimizerGroups(tf.Module):
  """One optimiser per group of variables, applied as one.

  `apply(gradients, variables)` hands each variable's gradient to its
  group's optimiser; every optimiser keeps its own slots and step count
  (Adam's bias correction stays right when one group steps more often).
  """

  def __init__(self, optimizers: Sequence[keras.optimizers.Optimizer],
               variable_groups: Sequence[Variables]) -> None:
    super().__init__(name="optimizer_groups")
    self.optimizers = list(optimizers)
    self._group = {id(v): index for index, variables in
                   enumerate(variable_groups) for v in variables}

  @property
  def iterations(self) -> keras.Variable:
    return self.optimizers[0].iterations

  def apply(self, gradients: Sequence[tf.Tensor], variables: Variables) -> None:
    grouped: list[tuple[list, list]] = [([], []) for _ in self.optimizers]
    for gradient, variable in zip(gradients, variables):
      grads, group_variables = grouped[self._group[id(variable)]]
      grads.append(gradient)
      group_variables.append(variable)
    for optimizer, (grads, group_variables) in zip(self.optimizers, grouped):
      if group_variables:
        optimizer.apply(grads, group_variables)


def make_outer_optimizer(
    learner: base.MetaLearner, name: str, learning_rate: float,
    loss_scaling: bool = False, epsilon: float = REFERENCE_ADAM_EPSILON,
    global_clipnorm: Optional[float] = None) -> OuterOptimizer:
  """The outer optimiser of `learner`, built for its variables.

  A learner may ask for several variable groups with their own learning
  rate scales (`variable_groups`: WarpGrad's theta_0 steps with lambda
  beta, eq. 9 and algorithms 1-3); each group then gets an optimiser of its
  own.
  """
  groups = [(scale, list(variables))
            for scale, variables in learner.variable_groups() if variables]
  if loss_scaling and len(groups) > 1:
    raise ValueError("mixed_float16 (loss scaling) takes one variable group; "
                     f"{type(learner).__name__} has {len(groups)}.")
  optimizers = []
  for scale, variables in groups:
    optimizer = make_optimizer(name, learning_rate * scale, epsilon,
                               global_clipnorm)
    if loss_scaling:
      optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    optimizer.build(variables)
    optimizers.append(optimizer)
  if len(optimizers) == 1:
    return optimizers[0]
  return OptimizerGroups(optimizers, [v for _, v in groups])


def make_optimizer(
    name: str, learning_rate: Any, epsilon: float = REFERENCE_ADAM_EPSILON,
    global_clipnorm: Optional[float] = None) -> keras.optimizers.Optimizer:
  """The outer optimiser: "adam" (default) or "sgd" (e.g. Reptile's).

  Args:
    name: "adam" or "sgd".
    learning_rate: beta, a positive float.
    epsilon: Adam's epsilon (unused by SGD).
    global_clipnorm: None, or the global norm gradients are clipped to.
  """
  if name not in OPTIMIZERS:
    raise ValueError(f"outer_optimizer must be one of {OPTIMIZERS}; "
                     f"received {name!r}.")
  if not learning_rate > 0:  # NaN included
    raise ValueError(f"The outer learning rate must be > 0; received "
                     f"{learning_rate}.")
  if global_clipnorm is not None and not global_clipnorm > 0:
    raise ValueError(f"The gradient clipping norm must be > 0; received "
                     f"{global_clipnorm}.")
  if name == "adam":
    return keras.optimizers.Adam(learning_rate, epsilon=epsilon,
                                 global_clipnorm=global_clipnorm)
  return keras.optimizers.SGD(learning_rate, global_clipnorm=global_clipnorm)


def check_optimizer(optimizer: OuterOptimizer,
                    learner: base.MetaLearner) -> None:
  """Refuses one optimiser for a learner that asks for scaled groups."""
  scales = {scale for scale, variables in learner.variable_groups()
            if variables}
  if scales != {1.0} and not isinstance(optimizer, OptimizerGroups):
    raise ValueError(
        f"{type(learner).__name__} steps its variable groups with learning "
        f"rate scales {sorted(scales)} (variable_groups); pass optimizer="
        "None or km.training.make_outer_optimizer(learner, ...), which "
        "gives each group its own optimiser.")
  each = optimizer.optimizers if isinstance(
      optimizer, OptimizerGroups) else [optimizer]
  for one in each:
    rate = one.learning_rate
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
      continue
    rate = float(rate.numpy() if hasattr(rate, "numpy") else rate)
    if not rate >= 0 or rate == float("inf"):  # NaN included
      raise ValueError(f"The outer learning rate must be finite and >= 0; "
                       f"received {rate}.")
  if not isinstance(optimizer, OptimizerGroups) and not optimizer.built:
    optimizer.build(learner.trainable_variables)
