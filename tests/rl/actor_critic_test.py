# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
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


@pytest.mark.parametrize("build", [
    lambda: actor_critic.warp_rnn_actor_critic(17, 4, 6, meta_units=3,
                                               seed=0),
    lambda: actor_critic.tnets_rnn_actor_critic(17, 4, 6, seed=0),
    lambda: actor_critic.hebbian_rnn_actor_critic(17, 4, 6, "simple", seed=0),
    lambda: actor_critic.hebbian_rnn_actor_critic(17, 4, 6, "retroactive",
                                                  seed=0),
], ids=["warp_rnn", "tnets_rnn", "hebb_simple", "hebb_retroactive"])
def test_every_weight_of_the_maze_learners_gets_a_gradient(build):
  # The warps, the plastic terms and the eligibility trace's rate are on
  # the loss's path through the episode: none has a zero gradient.
  maze = km.envs.Maze(size=7, horizon=10)
  network = build()
  for weight in network.trainable_variables:  # as after a first step: no
    if not np.any(weight.numpy()):           # zero bias (T_b b needs b)
      weight.assign(tf.fill(weight.shape, 0.1))
  state_size = network.inputs[1].shape[-1]
  goals = tf.constant([[1.0, 1.0], [5.0, 5.0]])
  with tf.GradientTape() as tape:
    episodes = actor_critic.rollout(maze, goals,
                                    lambda x, h: network([x, h]), 2,
                                    tf.constant([3, 4]), state_size)
    loss = tf.reduce_mean(actor_critic.a2c_loss(episodes))
  gradients = tape.gradient(loss, network.trainable_variables)
  zero = [v.path for v, g in zip(network.trainable_variables, gradients)
          if g is None or not float(tf.norm(g)) > 0]
  assert not zero


def test_the_reference_codes_baseline_is_the_first_episodes_value():
  # Two steps of two episodes; backpropamine's maze.py: ctrR = R - vs[t][0].
  log_probs = tf.Variable([[-1.0, -2.0], [-0.5, -0.3]])
  values = tf.Variable([[2.0, 5.0], [4.0, 1.0]])
  rewards = tf.constant([[0.0, 1.0], [10.0, 0.0]])
  concentration = tf.Variable([[0.4, 0.5], [0.6, 0.7]])
  episodes = actor_critic.Episodes(log_probs, values, rewards, concentration)
  with tf.GradientTape() as tape:
    loss = actor_critic.a2c_loss(episodes, value_baseline="first_episode")
    total = tf.reduce_sum(loss)
  returns = np.array([[9.0, 1.0], [10.0, 0.0]])  # gamma 0.9
  centred = returns - np.array([[2.0], [4.0]])  # episode 0's value
  per_step = (-log_probs.numpy() * centred + 0.1 * centred**2
              + 0.03 * concentration.numpy())
  np.testing.assert_allclose(loss.numpy(), per_step.sum(0) / 2, rtol=1e-6)
  # Only episode 0's value is trained, by every episode's error.
  value_gradient = tape.gradient(total, values).numpy()
  np.testing.assert_allclose(value_gradient[:, 1], [0.0, 0.0])
  np.testing.assert_allclose(value_gradient[:, 0],
                             -0.2 * centred.sum(1) / 2, rtol=1e-6)
  own = actor_critic.a2c_loss(episodes)  # the default differs
  assert not np.allclose(own.numpy(), loss.numpy())
  with pytest.raises(ValueError, match="value_baseline must be one of"):
    actor_critic.a2c_loss(episodes, value_baseline="mean")
