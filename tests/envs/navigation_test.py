# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Navigation2D: MAML's point dynamics, rewards and episode ends."""

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km


def test_velocity_is_the_scaled_action_clipped_per_coordinate():
  environment = km.envs.Navigation2D()
  goal = tf.constant([0.4, -0.3])
  state = environment.reset(goal, 3, tf.constant([0, 0]))
  np.testing.assert_array_equal(state.numpy(), np.zeros([3, 2]))
  action = tf.constant([[0.5, -0.2], [3.0, -7.0], [-1.0, 1.0]])
  position, reward, done = environment.step(goal, state, action, None)
  np.testing.assert_allclose(position.numpy(),
                             [[0.05, -0.02], [0.1, -0.1], [-0.1, 0.1]],
                             rtol=1e-6)
  expected = -np.linalg.norm(position.numpy() - goal.numpy(), axis=1)
  np.testing.assert_allclose(reward.numpy(), expected, rtol=1e-6)
  assert not done.numpy().any()


def test_episode_is_done_within_the_tolerance_in_both_coordinates():
  environment = km.envs.Navigation2D()
  goal = tf.constant([0.1, 0.1])
  state = tf.constant([[0.0, 0.0], [0.0, 0.1]])
  # One reaches (0.095, 0.095), the other (0.095, 0.2).
  _, _, done = environment.step(goal, state,
                                tf.constant([[0.95, 0.95], [0.95, 1.0]]),
                                None)
  np.testing.assert_array_equal(done.numpy(), [True, False])


def test_squared_distance_reading_is_an_option():
  environment = km.envs.Navigation2D(squared_distance=True)
  goal = tf.constant([0.3, 0.4])
  _, reward, _ = environment.step(goal, tf.zeros([1, 2]), tf.zeros([1, 2]),
                                  None)
  assert float(reward[0]) == pytest.approx(-0.25)


def test_goals_are_uniform_in_the_unit_square_around_the_start():
  tasks = km.envs.EnvironmentTasks(km.envs.Navigation2D())
  goals = tasks.evaluation_tasks(2000, seed=3).tasks.parameters.numpy()
  assert goals.shape == (2000, 2)
  assert goals.min() >= -0.5 and goals.max() <= 0.5
  np.testing.assert_allclose(goals.mean(axis=0), [0.0, 0.0], atol=0.03)
  np.testing.assert_allclose(goals.var(axis=0), [1 / 12, 1 / 12], rtol=0.1)


def test_task_stream_is_a_pure_function_of_seed_and_index():
  tasks = km.envs.EnvironmentTasks(km.envs.Navigation2D())
  batches = list(tasks.dataset(seed=5, batch_size=3, num_batches=3))
  third, _ = tasks.batch(5, 2, 3)
  np.testing.assert_array_equal(batches[2][0].parameters.numpy(),
                                third.parameters.numpy())


def test_bad_settings_are_refused_with_what_was_received():
  with pytest.raises(ValueError, match="max_speed"):
    km.envs.Navigation2D(max_speed=0.0)
  with pytest.raises(ValueError, match="horizon"):
    km.envs.EnvironmentTasks(km.envs.Navigation2D(horizon=0))
  with pytest.raises(TypeError, match="Environment"):
    km.envs.EnvironmentTasks(object())
