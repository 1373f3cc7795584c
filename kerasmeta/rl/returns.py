# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Returns, the linear feature baseline and advantages (GAE), masked.

As MAML's reference code computes them for every batch of episodes of a
task (cbfinn/maml_rl: rllab's `LinearFeatureBaseline` and its sampler's
`process_samples`): the baseline is fitted by ridge regression to the
discounted returns of the very episodes it then serves, the advantages are
generalised advantage estimates (lambda = 1: returns minus baseline), and
they are centred and scaled to unit variance over the batch. All of it is
a constant of the policy's parameters: the estimators differentiate only
log-probabilities.
"""

from __future__ import annotations

from typing import Any, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import precision

if TYPE_CHECKING:
  from kerasmeta.rl import rollouts


def _reverse_discounted_sum(values, alive, factor):
  """`out_t = values_t + factor * out_{t+1}` along the last axis, masked."""
  values = values * alive
  reversed_values = tf.reverse(tf.transpose(values), [0])
  sums = tf.scan(lambda carry, value: value + factor * carry,
                 reversed_values, initializer=tf.zeros_like(values[..., 0]))
  return tf.transpose(tf.reverse(sums, [0])) * alive


def discounted_returns(rewards: tf.Tensor, alive: tf.Tensor,
                       discount: float) -> tf.Tensor:
  """G_t = sum_{l >= 0} discount^l r_{t+l} within each episode, [N, T]."""
  return _reverse_discounted_sum(rewards, alive, discount)


def baseline_features(observations: tf.Tensor, alive: tf.Tensor,
                      time_scale: float = 100.0) -> tf.Tensor:
  """rllab's linear-baseline features of each step, [N, T, 2 * obs + 4].

  The observation clipped to +-10, its square, t / 100 and its square and
  cube, and 1 (the reference divides the step index by 100 whatever the
  horizon: `time_scale`).
  """
  observations = tf.clip_by_value(observations, -10.0, 10.0)
  steps = tf.shape(observations)[1]
  time = tf.cast(tf.range(steps), observations.dtype) / time_scale
  time = tf.broadcast_to(time[None, :, None],
                         tf.concat([tf.shape(observations)[:2], [1]], 0))
  features = tf.concat([observations, tf.square(observations), time,
                        time**2, time**3, tf.ones_like(time)], axis=-1)
  # The time features' broadcast hides the width from static shapes.
  features = tf.ensure_shape(features,
                             [None, None, 2 * observations.shape[-1] + 4])
  return features * alive[..., None]


def fit_linear_baseline(features: tf.Tensor, returns: tf.Tensor,
                        alive: tf.Tensor,
                        regularizer: float = 1e-5) -> tf.Tensor:
  """Ridge regression of returns on features over the live steps.

  Solves `(X^T X + regularizer I) c = X^T y` in float64, the reference's
  normal equations (rllab's `LinearFeatureBaseline`, which maml_rl uses).
  The reference retries with 10x the regularizer, up to five tries, where
  the solve gives NaN; float64 with a positive regularizer does not need
  it, but on a TPU, which has no float64, the solve is made in float32
  (`precision.wide_float`) and takes the reference's retries: the smallest
  of the five regularizers whose solution is finite.

  Returns:
    The coefficients [features], in the features' dtype.
  """
  wide = precision.wide_float()
  x = tf.reshape(tf.cast(features * alive[..., None], wide),
                 [-1, features.shape[-1]])
  y = tf.reshape(tf.cast(returns * alive, wide), [-1, 1])
  gram = tf.matmul(x, x, transpose_a=True)
  moment = tf.matmul(x, y, transpose_a=True)
  identity = tf.eye(features.shape[-1], dtype=wide)
  tries = 1 if wide == tf.float64 else 5
  coefficients: Any = None  # set by the first try
  for attempt in reversed(range(tries)):  # the largest regularizer first
    solution = tf.linalg.solve(
        gram + regularizer * 10.0**attempt * identity, moment)
    coefficients = solution if coefficients is None else tf.where(
        tf.reduce_all(tf.math.is_finite(solution)), solution, coefficients)
  return tf.cast(coefficients[:, 0], features.dtype)


def linear_baseline(observations: tf.Tensor, returns: tf.Tensor,
                    alive: tf.Tensor, time_scale: float = 100.0,
                    regularizer: float = 1e-5) -> tf.Tensor:
  """The linear feature baseline fitted to these episodes, at each step."""
  features = baseline_features(observations, alive, time_scale)
  coefficients = fit_linear_baseline(features, returns, alive, regularizer)
  return tf.linalg.matvec(features, coefficients) * alive


def generalized_advantages(rewards: tf.Tensor, values: tf.Tensor,
                           alive: tf.Tensor, discount: float,
                           gae_lambda: float = 1.0) -> tf.Tensor:
  """GAE (Schulman et al. 2016): sum_l (discount * lambda)^l delta_{t+l},
  delta_t = r_t + discount * V_{t+1} - V_t, with V = 0 after an episode
  ends (or runs out of time, as the reference treats its last step)."""
  next_values = tf.concat([values[:, 1:] * alive[:, 1:],
                           tf.zeros_like(values[:, :1])], axis=1)
  deltas = rewards + discount * next_values - values
  return _reverse_discounted_sum(deltas, alive, discount * gae_lambda)


def normalize(advantages: tf.Tensor, alive: tf.Tensor,
              epsilon: float = 1e-8) -> tf.Tensor:
  """Centred and scaled to unit standard deviation over the live steps."""
  return normalize_with_scale(advantages, alive, epsilon)[0]


def normalize_with_scale(advantages: tf.Tensor, alive: tf.Tensor,
                         epsilon: float = 1e-8) -> tuple[tf.Tensor, tf.Tensor]:
  """`normalize`'s result and the factor 1 / (std + epsilon) it applied."""
  count = tf.reduce_sum(alive)
  mean = tf.reduce_sum(advantages * alive) / count
  variance = tf.reduce_sum(tf.square(advantages - mean) * alive) / count
  scale = 1.0 / (tf.sqrt(variance) + epsilon)
  return (advantages - mean) * scale * alive, scale


def advantages(paths: rollouts.Paths, discount: float = 0.99,
               gae_lambda: float = 1.0, baseline: str = "linear",
               normalize_advantages: bool = True) -> tf.Tensor:
  """The advantages of a task's episodes, as MAML's code computes them
  (`advantages_and_scale`'s first part)."""
  return advantages_and_scale(paths, discount, gae_lambda, baseline,
                              normalize_advantages)[0]


def advantages_and_scale(
    paths: rollouts.Paths, discount: float = 0.99, gae_lambda: float = 1.0,
    baseline: str = "linear",
    normalize_advantages: bool = True) -> tuple[tf.Tensor, tf.Tensor]:
  """The advantages of a task's episodes, as MAML's code computes them,
  and the factor the normalisation multiplied them by.

  Args:
    paths: `kerasmeta.rl.Paths`.
    discount: gamma.
    gae_lambda: GAE's lambda (1: discounted returns minus the baseline).
    baseline: "linear" (rllab's linear feature baseline, fitted to these
      episodes) or "none".
    normalize_advantages: centre and scale them over the batch.

  Returns:
    `(advantages, scale)`: [episodes, horizon], zero where the episode had
    ended, and the scalar 1 / (their standard deviation + 1e-8) the
    normalisation divided them by (1 without it); constants of any
    gradient.
  """
  rewards, alive = paths.rewards, paths.alive
  if baseline == "linear":
    returns = discounted_returns(rewards, alive, discount)
    values = linear_baseline(paths.observations, returns, alive)
  elif baseline == "none":
    values = tf.zeros_like(rewards)
  else:
    raise ValueError(f"baseline must be 'linear' or 'none'; received "
                     f"{baseline!r}.")
  result = generalized_advantages(rewards, values, alive, discount,
                                  gae_lambda)
  scale = tf.ones([], result.dtype)
  if normalize_advantages:
    result, scale = normalize_with_scale(result, alive)
  return tf.stop_gradient(result), tf.stop_gradient(scale)
