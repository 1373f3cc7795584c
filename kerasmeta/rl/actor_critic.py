# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Advantage actor-critic with a recurrent network (Wang et al. 2016), as
Miconi et al. (2019) train it on the maze and WarpGrad (appendix I) its
task learners.

The network is a basic RNN, `h_t = tanh(W x_t + V h_{t-1} + b)`, whose
state a linear layer maps to action scores and another to a value. An
episode runs in one `tf.while_loop` with the gradient flowing through the
recurrent state (backpropagation through time over the whole episode);
actions are drawn by the Gumbel-max trick from stateless noise and are
constants of the gradient. The loss is Miconi's (simplemaze/maze.py), per
episode and averaged over episodes and steps:

  sum_t [ -log pi(a_t) (R_t - V_t) + c_v (R_t - V_t)^2 + c_e sum_a pi(a)^2 ]
  / T,   R_t = r_t + gamma R_{t+1},

the advantage R_t - V_t a constant in the first term, c_v = 0.1, gamma =
0.9, and c_e = 0.03 penalising concentrated policies (Miconi's stand-in
for an entropy bonus).
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kerasmeta import sampling

if TYPE_CHECKING:
  from kerasmeta._typing import Seed
  from kerasmeta.envs import base as envs_base


def recurrent_actor_critic(observation_size: int, num_actions: int,
                           hidden_units: int = 100, seed: Optional[int] = None,
                           name: str = "actor_critic") -> keras.Model:
  """The basic-RNN actor-critic, `[x_t, h_{t-1}] -> [scores, value, h_t]`.

  Args:
    observation_size: length of x_t.
    num_actions: length of the action scores.
    hidden_units: length of h_t (100 in WarpGrad and Miconi).
    seed: seeds the initialisers.
    name: the model's name.

  Returns:
    A built `keras.Model` with inputs `[observations, state]` and outputs
    `[scores, value, state]`.
  """
  init = lambda offset: keras.initializers.GlorotUniform(
      seed=None if seed is None else seed + offset)
  observations = keras.Input((int(observation_size),), name="observations")
  previous = keras.Input((int(hidden_units),), name="state")
  pre = keras.layers.Add()([
      keras.layers.Dense(hidden_units, kernel_initializer=init(0),
                         name="input_weights")(observations),
      keras.layers.Dense(hidden_units, use_bias=False,
                         kernel_initializer=init(1),
                         name="recurrent_weights")(previous)])
  state = keras.layers.Activation("tanh", name="state_out")(pre)
  return keras.Model([observations, previous],
                     _heads(state, num_actions, init) + [state], name=name)


def _heads(hidden, num_actions, init):
  """The linear policy (action scores) and value heads on a state."""
  return [keras.layers.Dense(int(num_actions), kernel_initializer=init(2),
                             name="policy")(hidden),
          keras.layers.Dense(1, kernel_initializer=init(3),
                             name="value")(hidden)]


def warp_rnn_actor_critic(
    observation_size: int, num_actions: int, hidden_units: int = 100,
    meta_units: int = 32, seed: Optional[int] = None, name: str = "warp_rnn",
    projection_bias: Optional[float] = None) -> keras.Model:
  """The Warp-RNN actor-critic (WarpGrad eq. 16): the task RNN's step is a
  `WarpRNNCell`, whose meta-LSTM and projections are warp weights; the
  policy and value heads as `recurrent_actor_critic`'s. `projection_bias`:
  see `WarpRNNCell`.

  Returns:
    A built `keras.Model`, `[observations, state] -> [scores, value,
    state]`, the state `hidden_units + 2 * meta_units` long.
  """
  from kerasmeta.layers import warp_rnn  # pylint: disable=g-import-not-at-top
  cell = warp_rnn.WarpRNNCell(hidden_units, meta_units,
                              seed=None if seed is None else seed + 10,
                              projection_bias=projection_bias,
                              name="warp_rnn_cell")
  return _cell_actor_critic(cell, observation_size, num_actions, seed, name)


def tnets_rnn_actor_critic(observation_size: int, num_actions: int,
                           hidden_units: int = 100, seed: Optional[int] = None,
                           name: str = "tnets_rnn") -> keras.Model:
  """The T-Nets-RNN actor-critic (WarpGrad appendix I): the task RNN's step
  is a `TNetRNNCell`, whose linear maps T_h, T_x, T_b are warp weights; the
  heads as `recurrent_actor_critic`'s.

  Returns:
    A built `keras.Model`, `[observations, state] -> [scores, value,
    state]`, the state `hidden_units` long.
  """
  from kerasmeta.layers import tnet_rnn  # pylint: disable=g-import-not-at-top
  cell = tnet_rnn.TNetRNNCell(hidden_units,
                              seed=None if seed is None else seed + 10,
                              name="tnets_rnn_cell")
  return _cell_actor_critic(cell, observation_size, num_actions, seed, name)


def hebbian_rnn_actor_critic(observation_size: int, num_actions: int,
                             hidden_units: int = 100,
                             modulation: str = "simple",
                             seed: Optional[int] = None,
                             name: str = "hebbian_rnn") -> keras.Model:
  """A neuromodulated plastic RNN actor-critic (Miconi et al. 2019): the
  step is a `HebbianRNNCell`, every weight trained by the actor-critic loss
  (no warp); the heads as `recurrent_actor_critic`'s.

  Returns:
    A built `keras.Model`, `[observations, state] -> [scores, value,
    state]`, the state holding h and the episode's Hebbian traces.
  """
  from kerasmeta.layers import hebbian_rnn  # pylint: disable=g-import-not-at-top
  cell = hebbian_rnn.HebbianRNNCell(
      hidden_units, modulation, seed=None if seed is None else seed + 10,
      name="hebbian_rnn_cell")
  return _cell_actor_critic(cell, observation_size, num_actions, seed, name)


def _cell_actor_critic(cell, observation_size, num_actions, seed, name):
  """`[observations, state] -> [scores, value, state]` around a cell."""
  observations = keras.Input((int(observation_size),), name="observations")
  previous = keras.Input((cell.state_size,), name="state")
  hidden, state = cell([observations, previous])
  init = lambda offset: keras.initializers.GlorotUniform(
      seed=None if seed is None else seed + offset)
  return keras.Model([observations, previous],
                     _heads(hidden, num_actions, init) + [state], name=name)


class Episodes(NamedTuple):
  """What an actor-critic rollout records, [steps, episodes] each.

  Attributes:
    log_probs: log pi(a_t | history), differentiable.
    values: V_t, differentiable.
    rewards: r_t.
    concentration: sum_a pi(a)^2 at each step, differentiable.
  """
  log_probs: tf.Tensor
  values: tf.Tensor
  rewards: tf.Tensor
  concentration: tf.Tensor


def rollout(environment: envs_base.Environment, tasks: tf.Tensor,
            network: Callable[[tf.Tensor, tf.Tensor], Sequence[tf.Tensor]],
            num_episodes: int, seed: Seed, state_size: int) -> Episodes:
  """Runs episodes of a discrete environment with a recurrent network.

  Args:
    environment: a discrete `kerasmeta.envs.Environment` (one-hot actions).
    tasks: one task's parameters, or one per episode [episodes, ...].
    network: `(observations, state) -> (scores, value, state)`.
    num_episodes: a Python int.
    seed: a stateless seed, int32 [2].
    state_size: the length of the network's state.

  Returns:
    `Episodes`, with the gradient through the recurrent state.
  """
  horizon = environment.horizon
  num_actions = environment.action_size
  reset_seed, noise_seed, step_seed = tf.unstack(sampling.split(seed, 3))
  env_state = environment.reset(tasks, num_episodes, reset_seed)
  records = [tf.TensorArray(tf.float32, size=horizon) for _ in range(4)]

  def body(t, env_state, hidden, records):
    observations = environment.observe(tasks, env_state)
    scores, value, hidden = network(observations, hidden)
    log_policy = tf.nn.log_softmax(scores)
    uniform = sampling.uniform([num_episodes, num_actions],
                               sampling.fold_in(noise_seed, t), 1e-20, 1.0)
    gumbel = -tf.math.log(-tf.math.log(uniform))
    action = tf.argmax(tf.stop_gradient(log_policy) + gumbel, axis=-1,
                       output_type=tf.int32)
    chosen = tf.one_hot(action, num_actions)
    env_state, reward, _ = environment.step(
        tasks, env_state, chosen, sampling.fold_in(step_seed, t))
    values = (tfp.distributions.Categorical(logits=scores).log_prob(action),
              value[:, 0],
              tf.cast(reward, tf.float32),
              tf.reduce_sum(tf.square(tf.exp(log_policy)), -1))
    records = [r.write(t, v) for r, v in zip(records, values)]
    return t + 1, env_state, hidden, records

  _, _, _, records = tf.while_loop(
      lambda t, *_: t < horizon, body,
      (tf.constant(0), env_state, tf.zeros([num_episodes, state_size]),
       records), maximum_iterations=horizon)
  return Episodes(*[r.stack() for r in records])


def discounted(rewards: tf.Tensor, discount: float) -> tf.Tensor:
  """R_t = r_t + discount * R_{t+1} over the leading (step) axis."""
  return tf.scan(lambda later, r: r + discount * later, rewards,
                 initializer=tf.zeros_like(rewards[0]), reverse=True)


VALUE_BASELINES = ("own", "first_episode")


def a2c_loss(episodes: Episodes, discount: float = 0.9,
             value_coefficient: float = 0.1,
             concentration_coefficient: float = 0.03,
             value_baseline: str = "own") -> tf.Tensor:
  """Miconi's actor-critic loss of `Episodes` (the module docstring), per
  episode [episodes].

  Args:
    episodes: `Episodes`, [steps, episodes] each.
    discount, value_coefficient, concentration_coefficient: the loss's.
    value_baseline: "own": each episode's return minus its own value (A2C);
      "first_episode": minus the first episode's value, for every episode,
      as both reference codes compute it (uber-research/backpropamine
      `simplemaze/maze.py`, `ctrR = R - vs[numstepb][0]`, and WarpGrad's
      maze code): their value is trained on episode 0 alone and every
      other episode's advantage is centred on it, a slip kept only to
      reproduce them.
  """
  if value_baseline not in VALUE_BASELINES:
    raise ValueError(f"value_baseline must be one of {VALUE_BASELINES}; "
                     f"received {value_baseline!r}.")
  returns = discounted(episodes.rewards, discount)
  values = episodes.values if value_baseline == "own" else \
      episodes.values[:, :1]
  advantages = returns - values
  steps = tf.cast(tf.shape(episodes.rewards)[0], tf.float32)
  per_step = (-episodes.log_probs * tf.stop_gradient(advantages)
              + value_coefficient * tf.square(advantages)
              + concentration_coefficient * episodes.concentration)
  return tf.reduce_sum(per_step, axis=0) / steps
