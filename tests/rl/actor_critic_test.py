"""The recurrent actor-critic: its loss by hand, its rollout in the maze."""

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta.rl import actor_critic


def test_a2c_loss_and_gradient_against_a_hand_computed_episode():
  # Two steps of one episode: rewards 0 then 10, gamma 0.9.
  log_probs = tf.Variable([[-1.0], [-0.5]])
  values = tf.Variable([[2.0], [4.0]])
  concentration = tf.Variable([[0.4], [0.6]])
  with tf.GradientTape() as tape:
    loss = actor_critic.a2c_loss(actor_critic.Episodes(
        log_probs, values, tf.constant([[0.0], [10.0]]), concentration))
  # R = [9, 10]; advantages [7, 6].
  expected = (1.0 * 7 + 0.1 * 49 + 0.03 * 0.4
              + 0.5 * 6 + 0.1 * 36 + 0.03 * 0.6) / 2
  assert float(loss[0]) == pytest.approx(expected)
  grads = tape.gradient(loss, [log_probs, values, concentration])
  np.testing.assert_allclose(grads[0].numpy(), [[-3.5], [-3.0]])
  np.testing.assert_allclose(grads[1].numpy(), [[-0.7], [-0.6]])  # -0.2 A / 2
  np.testing.assert_allclose(grads[2].numpy(), [[0.015], [0.015]])


def test_rollout_differentiates_through_the_recurrent_state():
  maze = km.envs.Maze(size=9, horizon=12)
  network = actor_critic.recurrent_actor_critic(17, 4, hidden_units=8,
                                                seed=0)
  goals = tf.constant([[3.0, 4.0], [1.0, 1.0], [7.0, 7.0]])
  call = lambda x, h: network([x, h])
  with tf.GradientTape() as tape:
    episodes = actor_critic.rollout(maze, goals, call, 3,
                                    tf.constant([1, 2]), 8)
    loss = tf.reduce_mean(actor_critic.a2c_loss(episodes))
  assert episodes.log_probs.shape == (12, 3)
  recurrent = network.get_layer("recurrent_weights").kernel
  gradient = tape.gradient(loss, recurrent)
  assert gradient is not None and float(tf.norm(gradient)) > 0
  again = actor_critic.rollout(maze, goals, call, 3, tf.constant([1, 2]), 8)
  np.testing.assert_array_equal(again.rewards.numpy(),
                                episodes.rewards.numpy())
  assert np.all(np.exp(episodes.log_probs.numpy()) <= 1.0)
