# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Rollouts: one graph loop, seeded, episodes masked after they end."""

import numpy as np
import tensorflow as tf

import kerasmeta as km


def _straight_policy(direction):
  """Means `direction` everywhere, log std log(1e-6): nearly deterministic."""
  def policy(observations):
    count = tf.shape(observations)[0]
    means = tf.tile(tf.constant([direction], tf.float32), [count, 1])
    return tf.concat([means, tf.fill([count, 2], float(np.log(1e-6)))], axis=1)
  return policy


def test_episodes_stop_at_the_goal_and_later_steps_are_masked():
  environment = km.envs.Navigation2D(horizon=10)
  goal = tf.constant([0.3, 0.0])
  paths = km.rl.rollout(environment, goal, _straight_policy([1.0, 0.0]), 2,
                        tf.constant([1, 2]))
  # Steps of 0.1 along x: (0.1, 0), (0.2, 0), (0.3, 0) reaches the goal.
  np.testing.assert_array_equal(paths.alive.numpy()[0],
                                [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
  np.testing.assert_allclose(paths.rewards.numpy()[0, :4],
                             [-0.2, -0.1, 0.0, 0.0], atol=1e-5)
  np.testing.assert_allclose(paths.observations.numpy()[0, :3, 0],
                             [0.0, 0.1, 0.2], atol=1e-5)
  np.testing.assert_allclose(km.rl.episode_returns(paths).numpy(),
                             [-0.3, -0.3], atol=1e-4)


def test_rollouts_repeat_with_a_seed_and_differ_across_seeds():
  environment = km.envs.Navigation2D(horizon=5)
  policy = km.rl.gaussian_mlp_policy(2, 2, hidden_units=(8,), seed=0)
  goal = tf.constant([0.2, 0.2])
  run = lambda seed: km.rl.rollout(
      environment, goal, policy, 4, tf.constant(seed)).actions.numpy()
  np.testing.assert_array_equal(run([1, 1]), run([1, 1]))
  assert not np.allclose(run([1, 1]), run([1, 2]))


def test_sampled_actions_follow_the_policy_distribution():
  environment = km.envs.Navigation2D(horizon=50)
  goal = tf.constant([5.0, 5.0])  # never reached: every step is live
  policy = lambda obs: tf.concat([tf.fill([tf.shape(obs)[0], 2], 0.3),
                                  tf.fill([tf.shape(obs)[0], 2],
                                          float(np.log(0.5)))], axis=1)
  actions = km.rl.rollout(environment, goal, policy, 200,
                          tf.constant([3, 4])).actions.numpy()
  assert abs(actions.mean() - 0.3) < 0.01
  assert abs(actions.std() - 0.5) < 0.01
  # No gradient flows through a rollout's actions.
  with tf.GradientTape() as tape:
    scale = tf.Variable(1.0)
    paths = km.rl.rollout(environment, goal, lambda obs: scale * policy(obs),
                          2, tf.constant([3, 4]))
  assert tape.gradient(tf.reduce_sum(paths.actions), scale) is None


def _paths_of_lengths(lengths, horizon=6):
  alive = np.array([[1.0] * n + [0.0] * (horizon - n) for n in lengths],
                   np.float32)
  rewards = alive * np.arange(1, len(lengths) + 1, dtype=np.float32)[:, None]
  zeros = np.zeros(alive.shape + (2,), np.float32)
  return km.rl.Paths(tf.constant(zeros), tf.constant(zeros),
                     tf.constant(rewards), tf.constant(alive))


def test_a_time_step_budget_keeps_the_episodes_that_start_within_it():
  # rllab's batch_size in steps: episodes of 3, 5, 2 and 4 steps.
  paths = _paths_of_lengths([3, 5, 2, 4])
  kept = km.rl.rollouts.within_budget(paths, 7)
  np.testing.assert_array_equal(kept.alive.numpy().sum(-1), [3, 5, 0, 0])
  filled = float(tf.reduce_sum(kept.alive)) >= 7  # the budget was held
  assert filled and float(tf.reduce_sum(kept.rewards)) == 3 + 10
  # The mean return counts the kept episodes only: (3 + 10) / 2.
  assert float(km.rl.rollouts.mean_return(kept)) == 6.5
  kept = km.rl.rollouts.within_budget(paths, 20)  # 14 steps in all
  assert not float(tf.reduce_sum(kept.alive)) >= 20
  np.testing.assert_array_equal(kept.alive.numpy(), paths.alive.numpy())
