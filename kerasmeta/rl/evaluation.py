# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Meta-RL evaluation as MAML's figure 4: return after 0..N policy-gradient
steps on held-out tasks, mean and 95% confidence interval over tasks."""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING, Union

import numpy as np
import tensorflow as tf

from kerasmeta import evaluation
from kerasmeta.envs import base as envs_base

if TYPE_CHECKING:
  from kerasmeta._typing import Scalar, TaskBatch
  from kerasmeta.algorithms import policy_gradient_maml


def returns_by_step(
    learner: policy_gradient_maml.PolicyGradientMAML, tasks: TaskBatch,
    seeds: tf.Tensor, num_steps: int,
    learning_rate: Optional[Union[Scalar, Sequence[Scalar]]] = None,
    num_episodes: Optional[int] = None,
    keep_paths: bool = False) -> Union[np.ndarray, tuple[np.ndarray, ...]]:
  """Adapts the learner's policy to every task; the returns at each step.

  Every step samples `num_episodes` fresh episodes with the current weights
  (the first with theta_0), takes one first-order policy-gradient step on
  them, and records their mean undiscounted return.

  Args:
    learner: a `PolicyGradientMAML` (trained or not).
    tasks: an `EnvironmentTask` batch.
    seeds: int32 [tasks, 2].
    num_steps: N, the inner steps.
    learning_rate: alpha (default: the learner's), or one per step (the
      last for the rest).
    num_episodes: episodes per step (default: the learner's).
    keep_paths: also return the observations of every step's episodes.

  Returns:
    float64 [tasks, N + 1], and with `keep_paths` a float32 array
    [tasks, N + 1, episodes, horizon, observation_size] with the live-step
    mask [tasks, N + 1, episodes, horizon].
  """
  num_steps = int(num_steps)
  if num_steps < 0:
    raise ValueError(f"num_steps must be >= 0; received {num_steps}.")

  def one(elements):
    task, seed = elements
    adaptation = learner.adapt(
        envs_base.EnvironmentTask(*task), seed=seed, num_steps=num_steps,
        learning_rate=learning_rate, num_episodes=num_episodes).details
    returns, paths = adaptation.returns, adaptation.episodes
    observations = tf.stack([p.observations for p in paths])
    alive = tf.stack([p.alive for p in paths])
    return returns, observations, alive

  @tf.function(autograph=False)
  def run(tasks, seeds):
    episodes = num_episodes or learner.num_episodes
    horizon = learner.environment.horizon
    size = learner.environment.observation_size
    return tf.map_fn(one, (tuple(tasks), seeds), fn_output_signature=(
        tf.TensorSpec([num_steps + 1], tf.float32),
        tf.TensorSpec([num_steps + 1, episodes, horizon, size], tf.float32),
        tf.TensorSpec([num_steps + 1, episodes, horizon], tf.float32)))

  returns, observations, alive = run(tasks, seeds)
  returns = returns.numpy().astype(np.float64)
  if keep_paths:
    return returns, observations.numpy(), alive.numpy()
  return returns


def summarize_by_step(returns: Any) -> dict[str, list]:
  """`{"steps": [0..N], "return": [summary per step]}` of [tasks, N + 1]
  returns (`evaluation.summarize`: mean, 95% CI, non-finite count)."""
  returns = np.asarray(returns)
  return {"steps": list(range(returns.shape[1])),
          "return": [evaluation.summarize(returns[:, k])
                     for k in range(returns.shape[1])]}
