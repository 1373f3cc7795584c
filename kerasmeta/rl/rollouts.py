# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Rollouts of a policy in an environment, batched, in one graph loop."""

from __future__ import annotations

from typing import Callable, NamedTuple, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.rl import policies

if TYPE_CHECKING:
  from kerasmeta._typing import Seed
  from kerasmeta.envs import base as envs_base


class Paths(NamedTuple):
  """Episodes of one task, [episodes, horizon, ...] each.

  Attributes:
    observations: what the agent saw before each step.
    actions: what it did (as sampled, before the environment's clipping).
    rewards: what it received.
    alive: 1.0 where the step happened (the episode had not ended before
      it), 0.0 after an episode ended; later steps carry zeros elsewhere.
  """
  observations: tf.Tensor
  actions: tf.Tensor
  rewards: tf.Tensor
  alive: tf.Tensor


def rollout(environment: envs_base.Environment, task: tf.Tensor,
            policy_fn: Callable[[tf.Tensor], tf.Tensor], num_episodes: int,
            seed: Seed, deterministic: bool = False) -> Paths:
  """Runs `num_episodes` episodes of `task` in a `tf.while_loop`.

  Nothing of it is differentiated: the actions are samples (constants of
  any gradient; the score-function estimators of `kerasmeta.rl.dice`
  recompute their log-probabilities), so `policy_fn` is called under
  `tf.stop_gradient` of its outputs.

  Args:
    environment: a `kerasmeta.envs.Environment`.
    task: its parameters, [task_size].
    policy_fn: observations [episodes, observation_size] -> the policy's
      outputs [episodes, 2 * action_size] (means, log stds).
    num_episodes: episodes (a Python int).
    seed: a stateless seed, int32 [2]: the policy's noise and the
      environment's randomness.
    deterministic: act with the means (no noise).

  Returns:
    `Paths`.
  """
  horizon = environment.horizon
  reset_seed, noise_seed, step_seed = tf.unstack(sampling.split(seed, 3))
  state = environment.reset(task, num_episodes, reset_seed)
  records = [tf.TensorArray(tf.float32, size=horizon) for _ in range(4)]

  def body(t, state, alive, records):
    observation = tf.cast(environment.observe(task, state), tf.float32)
    outputs = tf.stop_gradient(tf.cast(policy_fn(observation), tf.float32))
    if deterministic:
      action = policies.split_outputs(outputs)[0]
    else:
      noise = sampling.normal([num_episodes, environment.action_size],
                              sampling.fold_in(noise_seed, t))
      action = policies.sample(outputs, noise)
    state, reward, done = environment.step(
        task, state, action, sampling.fold_in(step_seed, t))
    reward = tf.cast(reward, tf.float32) * alive
    values = (observation, action, reward, alive)
    records = [r.write(t, v) for r, v in zip(records, values)]
    alive = alive * (1.0 - tf.cast(done, tf.float32))
    return t + 1, state, alive, records

  _, _, _, records = tf.while_loop(
      lambda t, *_: t < horizon, body,
      (tf.constant(0), state, tf.ones([num_episodes]), records),
      maximum_iterations=horizon)
  # [horizon, episodes, ...] -> [episodes, horizon, ...]
  stacked = [r.stack() for r in records]
  return Paths(*[tf.transpose(s, [1, 0] + list(range(2, s.shape.rank)))
                 for s in stacked])


def episode_returns(paths: Paths) -> tf.Tensor:
  """The undiscounted return of each episode, [episodes]."""
  return tf.reduce_sum(paths.rewards * paths.alive, axis=-1)


def within_budget(paths: Paths, num_steps: int) -> Paths:
  """rllab's time-step budget (`batch_size` in maml_rl's samplers): the
  episodes, in order, that start before `num_steps` steps were taken by
  the ones before them; the others' steps are marked not alive (and their
  rewards zeroed), so every estimator, which weighs steps by `alive`,
  ignores them.

  The serial reading of rllab's vectorised sampler, which collects the
  episodes that finish first among its parallel environments until their
  steps reach the budget (the last one overshoots it, as here).

  The episodes given held the budget exactly when the kept ones' steps
  reach it (`sum(alive) >= num_steps`); otherwise there were too few.

  Returns:
    The kept episodes.
  """
  lengths = tf.reduce_sum(paths.alive, axis=-1)
  before = tf.cumsum(lengths, exclusive=True)
  kept = tf.cast(before < float(num_steps), paths.alive.dtype)[:, tf.newaxis]
  return paths._replace(rewards=paths.rewards * kept,
                        alive=paths.alive * kept)


def mean_return(paths: Paths) -> tf.Tensor:
  """The mean undiscounted return of the episodes that happened (alive at
  their first step; `within_budget` drops the rest)."""
  happened = paths.alive[:, 0]
  return tf.reduce_sum(episode_returns(paths) * happened) / tf.maximum(
      tf.reduce_sum(happened), 1.0)
