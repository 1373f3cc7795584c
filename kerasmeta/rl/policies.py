# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Gaussian policies as ordinary Keras models.

A policy is any Keras model mapping observations [batch, observation_size]
to the parameters of a diagonal Gaussian over actions, concatenated:
`[batch, 2 * action_size]`, the means then the log standard deviations.
Meta-learners adapt it through `functional.call_with_weights` like any
other model, so a user's own policy plugs in unchanged.

`gaussian_mlp_policy` is MAML's (its `MAMLGaussianMLPPolicy`): two hidden
layers of 100 ReLU units, a linear mean, and a learned log standard
deviation per action coordinate that does not depend on the observation,
starting at log(1.0).

Densities and divergences are tensorflow-probability's (`distribution`):
a policy's Gaussian is `Independent(Normal(means, exp(log_stds)), 1)`.
Actions are drawn by `sample` from `kerasmeta.sampling`'s noise, whose
draws are the same with and without XLA (tfp's samplers do not promise
that).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence, TYPE_CHECKING, Union

import keras
import tensorflow as tf
import tensorflow_probability as tfp

if TYPE_CHECKING:
  from kerasmeta._typing import InputShape


@keras.saving.register_keras_serializable(package="kerasmeta")
class GaussianHead(keras.layers.Layer):
  """Appends a learned, state-independent log standard deviation to means.

  Args:
    initial_std: the standard deviation it starts at (> 0).
    trainable_std: whether the log standard deviation is trained (and
      adapted); False keeps it fixed (a non-trainable weight).
    min_std: None, or the floor of the standard deviation (the log std is
      clipped at log(min_std), without gradient below it, as rllab's
      policies with their min_std of 1e-6 in MAML's code).

  Input shape: `[batch, action_size]`, the means.
  Output shape: `[batch, 2 * action_size]`: means, then log stds.
  """

  def __init__(self, initial_std: float = 1.0, trainable_std: bool = True,
               min_std: Optional[float] = None, **kwargs: Any) -> None:
    super().__init__(**kwargs)
    if not initial_std > 0:
      raise ValueError(f"initial_std must be > 0; received {initial_std}.")
    if min_std is not None and not 0 < min_std <= initial_std:
      raise ValueError(f"min_std must be in (0, initial_std]; received "
                       f"{min_std}.")
    self.initial_std = float(initial_std)
    self.trainable_std = bool(trainable_std)
    self.min_std = None if min_std is None else float(min_std)

  def build(self, input_shape: InputShape) -> None:
    self.log_std = self.add_weight(
        name="log_std", shape=(input_shape[-1],),
        initializer=keras.initializers.Constant(math.log(self.initial_std)),
        trainable=self.trainable_std)

  def call(self, means: tf.Tensor) -> tf.Tensor:
    log_std = tf.cast(self.log_std, means.dtype)
    if self.min_std is not None:
      log_std = tf.maximum(log_std, math.log(self.min_std))
    log_std = tf.broadcast_to(log_std, tf.shape(means))
    return tf.concat([means, log_std], axis=-1)

  def compute_output_shape(
      self, input_shape: InputShape) -> tuple[Optional[int], ...]:
    return tuple(input_shape[:-1]) + (2 * input_shape[-1],)

  def get_config(self) -> dict[str, Any]:
    return {**super().get_config(), "initial_std": self.initial_std,
            "trainable_std": self.trainable_std, "min_std": self.min_std}


def gaussian_mlp_policy(observation_size: int, action_size: int,
                        hidden_units: Sequence[int] = (100, 100),
                        activation: Union[str, Callable] = "relu",
                        initial_std: float = 1.0, trainable_std: bool = True,
                        seed: Optional[int] = None, dtype: Optional[str] = None,
                        name: str = "policy",
                        min_std: Optional[float] = None) -> keras.Model:
  """MAML's Gaussian MLP policy, as a Keras model.

  Args:
    observation_size: length of an observation.
    action_size: length of an action.
    hidden_units: the hidden layers' widths.
    activation: of the hidden layers.
    initial_std: the standard deviation of every action coordinate at the
      start.
    trainable_std: whether the log standard deviation is learned.
    seed: seeds the initialisers (None: Keras' global seed).
    dtype: the layers' dtype (None: Keras' float type).
    name: the model's name.
    min_std: None, or the standard deviation's floor (`GaussianHead`).

  Returns:
    A built `keras.Model`, observations -> [means, log stds].
  """
  if int(observation_size) < 1 or int(action_size) < 1:
    raise ValueError(f"observation_size and action_size must be >= 1; "
                     f"received {observation_size} and {action_size}.")
  seeds = iter(range(10**6)) if seed is None else iter(
      range(seed, seed + 10**6))
  initializer = lambda: keras.initializers.GlorotUniform(
      seed=None if seed is None else next(seeds))
  inputs = keras.Input((int(observation_size),), dtype=dtype)
  hidden = inputs
  for index, units in enumerate(hidden_units):
    hidden = keras.layers.Dense(units, activation=activation,
                                kernel_initializer=initializer(),
                                dtype=dtype, name=f"hidden_{index}")(hidden)
  means = keras.layers.Dense(int(action_size), kernel_initializer=initializer(),
                             dtype=dtype, name="mean")(hidden)
  outputs = GaussianHead(initial_std, trainable_std, min_std=min_std,
                         dtype=dtype, name="log_std")(means)
  return keras.Model(inputs, outputs, name=name)


def split_outputs(outputs: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
  """`(means, log_stds)` of a policy's outputs [..., 2 * action_size]."""
  if outputs.shape[-1] is not None and outputs.shape[-1] % 2:
    raise ValueError(f"A Gaussian policy outputs means and log standard "
                     f"deviations, [..., 2 * action_size]; received shape "
                     f"{outputs.shape}.")
  means, log_stds = tf.split(outputs, 2, axis=-1)
  return means, log_stds


def distribution(outputs: tf.Tensor) -> tfp.distributions.Distribution:
  """The diagonal Gaussian of a policy's outputs: tfp's
  `Independent(Normal(means, exp(log_stds)))` over the action
  coordinates."""
  means, log_stds = split_outputs(outputs)
  return tfp.distributions.Independent(
      tfp.distributions.Normal(means, tf.exp(log_stds)),
      reinterpreted_batch_ndims=1)


def log_prob(outputs: tf.Tensor, actions: tf.Tensor) -> tf.Tensor:
  """log pi(action): the diagonal Gaussian's log density, summed over the
  action coordinates ([...])."""
  return distribution(outputs).log_prob(tf.cast(actions, outputs.dtype))


def sample(outputs: tf.Tensor, noise: tf.Tensor) -> tf.Tensor:
  """Actions `mean + std * noise` for standard-normal `noise`."""
  means, log_stds = split_outputs(outputs)
  return means + tf.exp(log_stds) * tf.cast(noise, means.dtype)


def mean_kl(old_outputs: tf.Tensor, new_outputs: tf.Tensor,
            alive: tf.Tensor) -> tf.Tensor:
  """`kl_divergence` averaged over the live steps (`alive` 1) of episodes."""
  alive = tf.cast(alive, old_outputs.dtype)
  return tf.reduce_sum(kl_divergence(old_outputs, new_outputs) * alive) / \
      tf.reduce_sum(alive)


def kl_divergence(old_outputs: tf.Tensor, new_outputs: tf.Tensor) -> tf.Tensor:
  """KL(old || new) of the diagonal Gaussians two policies output, summed
  over the action coordinates, [...] (tfp's closed form)."""
  return tfp.distributions.kl_divergence(distribution(old_outputs),
                                         distribution(new_outputs))
