# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Elastic weight consolidation (Kirkpatrick et al. 2017), the baseline.

After learning task A to theta*_A, learning task B minimises

  L(theta) = L_B(theta) + sum_i lambda / 2 F_i (theta_i - theta*_A,i)^2

with F the diagonal of the Fisher information at theta*_A
(Kirkpatrick et al. 2017, eq. 3). The Fisher is the empirical
one: the mean over A's examples of the squared per-example gradient of the
negative log-likelihood (for a unit-variance Gaussian, the squared gradient
of half the squared error). With several earlier tasks, one penalty per
task is summed.
"""

from __future__ import annotations

from typing import Callable, Sequence, TYPE_CHECKING

import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import Scalar


def diagonal_fisher(per_example_nll_fn: Callable[[list[tf.Tensor]], tf.Tensor],
                    params: Sequence[tf.Tensor]) -> list[tf.Tensor]:
  """The empirical diagonal Fisher information at `params`.

  Args:
    per_example_nll_fn: `params -> [examples]` negative log-likelihoods.
    params: a list of tensors.

  Returns:
    One tensor per param: the mean of the squared per-example gradients.
  """
  params = [tf.convert_to_tensor(p) for p in params]
  with tf.GradientTape() as tape:
    tape.watch(params)
    losses = per_example_nll_fn(params)
  jacobians = tape.jacobian(losses, params)  # each [examples, ...]
  return [tf.reduce_mean(tf.square(j), axis=0) for j in jacobians]


def ewc_penalty(params: Sequence[tf.Tensor],
                anchors: Sequence[Sequence[tf.Tensor]],
                fishers: Sequence[Sequence[tf.Tensor]],
                strength: Scalar) -> tf.Tensor:
  """`sum_tasks sum_i strength / 2 F_i (theta_i - theta*_i)^2`.

  Args:
    params: theta, a list of tensors.
    anchors: one list like `params` per earlier task (theta*).
    fishers: one list like `params` per earlier task (F).
    strength: lambda.
  """
  total = tf.zeros([], params[0].dtype)
  for anchor, fisher in zip(anchors, fishers):
    for theta, star, f in zip(params, anchor, fisher):
      total += tf.reduce_sum(f * tf.square(theta - star))
  return 0.5 * tf.cast(strength, total.dtype) * total
