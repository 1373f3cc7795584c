# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""A learned optimiser as an inner transform (Andrychowicz et al. 2016).

`theta_{t+1} = theta_t + g_t` with `[g_t, h_{t+1}] = m(grad_t, h_t, phi)`:
the transform's state is every coordinate's LSTM state, and its update is
m's output, added by the inner loop as any transform's updates are. It
fits anywhere `adapt` takes a transform: the learned optimiser's own
meta-training (`algorithms.LearningToLearn`) or MAML's inner loop
(Ravi & Larochelle's meta-learner LSTM is this idea for few-shot tasks).
"""

from __future__ import annotations

from typing import Optional, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta.inner import transforms

if TYPE_CHECKING:
  import keras


def _size(param):
  if param.shape.is_fully_defined():
    return int(np.prod(param.shape))
  return tf.size(param)


def learned_update(network: keras.layers.Layer,
                   conv_network: Optional[keras.layers.Layer] = None,
                   second_order: bool = False,
                   batch_axes: int = 0) -> transforms.GradientTransform:
  """The update of a `CoordinatewiseLSTM` (or two: dense and conv).

  Args:
    network: the `CoordinatewiseLSTM` m of every parameter.
    conv_network: where given, m of the rank-4 (convolution kernel)
      parameters (the paper's separate optimisers for convolutional and
      fully-connected layers).
    second_order: differentiate through the gradients fed to m. The paper
      does not (`grad_phi grad_theta f = 0`): the input is a stop-gradient.
    batch_axes: leading axes of every parameter that stack several
      problems' parameters (m's rows are all their coordinates alike);
      they do not count in a convolution kernel's rank.

  Returns:
    A `GradientTransform` whose state is one LSTM state per parameter.
  """
  def network_for(param):
    if conv_network is not None and param.shape.rank - batch_axes == 4:
      return conv_network
    return network

  def init(params):
    return [network_for(p).initial_state(_size(p)) for p in params]

  def update(grads, states, params=None):
    del params
    updates, new_states = [], []
    for grad, state in zip(grads, states):
      flat = tf.reshape(grad, [-1])
      if not second_order:
        flat = tf.stop_gradient(flat)
      step, state = network_for(grad)(flat, state)
      updates.append(tf.reshape(tf.cast(step, grad.dtype), tf.shape(grad)))
      new_states.append(state)
    return updates, new_states
  return transforms.GradientTransform(init, update)
