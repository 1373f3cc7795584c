# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The layers of LEO (Rusu et al. 2019, section 2.3 and figure 2).

The encoder g_phi_e and the decoder g_phi_d are linear maps without bias
(`keras.layers.Dense(use_bias=False)`); the relation network g_phi_r is the
one layer of its own: it compares every support example of a task with
every other one, itself included, and averages what it finds, so that each
example's latent code depends on the whole task.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import InitializerLike, InputShape


@keras.saving.register_keras_serializable(package="kerasmeta")
class RelationNetwork(keras.layers.Layer):
  """g_phi_r: an MLP over all pairs of a task's codes, averaged per example.

  For codes `e_1..e_M` of one task, output `i` is
  `mean_j mlp(concat(e_i, e_j))` over all M partners j (i included), as the
  LEO reference code builds it (`relation_network`: three layers of
  2 * num_latents units without bias, ReLU between them, none after the
  last). The caller averages the outputs per class.

  Args:
    units: the width of every layer (the reference: 2 * num_latents, the
      means and raw standard deviations of the latent Gaussians).
    num_layers: layers of the MLP.
    kernel_initializer: of every layer (the reference: Glorot uniform).

  Input shape: `[..., M, codes]`, the M codes of a task (leading axes are
    independent tasks).
  Output shape: `[..., M, units]`.
  """

  def __init__(self, units: int, num_layers: int = 3,
               kernel_initializer: InitializerLike = "glorot_uniform",
               **kwargs: Any) -> None:
    super().__init__(**kwargs)
    if int(units) < 1 or int(num_layers) < 1:
      raise ValueError(f"units and num_layers must be >= 1; received "
                       f"units={units}, num_layers={num_layers}.")
    self.units, self.num_layers = int(units), int(num_layers)
    self.kernel_initializer = keras.initializers.get(kernel_initializer)
    # One attribute per layer: tf.train.Checkpoint does not look inside
    # the lists Keras tracks.
    for i in range(self.num_layers):
      setattr(self, f"dense_{i}", keras.layers.Dense(
          self.units, use_bias=False,
          activation="relu" if i < self.num_layers - 1 else None,
          kernel_initializer=self.kernel_initializer,
          dtype=self.dtype_policy, name=f"dense_{i}"))

  @property
  def dense_layers(self) -> list[keras.layers.Dense]:
    return [getattr(self, f"dense_{i}") for i in range(self.num_layers)]

  def build(self, input_shape: InputShape) -> None:
    if len(input_shape) < 2 or input_shape[-1] is None:
      raise ValueError(f"RelationNetwork takes codes [..., M, codes] with a "
                       f"known last axis; received shape {input_shape}.")
    size = 2 * input_shape[-1]
    for layer in self.dense_layers:
      layer.build((None, size))
      size = self.units

  def call(self, codes: tf.Tensor) -> tf.Tensor:
    # pairs[..., i, j] = concat(e_i, e_j); static shapes where known (XLA).
    shape = codes.shape if codes.shape.is_fully_defined() else \
        tf.shape(codes)
    pair_shape = tf.concat([shape[:-1], shape[-2:]], 0) if tf.is_tensor(
        shape) else [*shape[:-1], *shape[-2:]]
    left = tf.broadcast_to(codes[..., :, tf.newaxis, :], pair_shape)
    right = tf.broadcast_to(codes[..., tf.newaxis, :, :], pair_shape)
    outputs = tf.concat([left, right], axis=-1)
    for layer in self.dense_layers:
      outputs = layer(outputs)
    return tf.reduce_mean(outputs, axis=-2)

  def compute_output_shape(
      self, input_shape: InputShape) -> tuple[Optional[int], ...]:
    return (*input_shape[:-1], self.units)

  def get_config(self) -> dict[str, Any]:
    return {**super().get_config(), "units": self.units,
            "num_layers": self.num_layers,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer)}


def orthogonality_penalty(kernel: tf.Tensor) -> tf.Tensor:
  """The decoder's orthogonality penalty before its weight lambda_2.

  The mean squared difference between the correlation matrix of the
  kernel's rows and the identity (the reference's `orthogonality`: the
  rows of the `[num_latents, 2 * features]` decoder kernel, one per latent
  dimension). Zero for orthogonal rows of any lengths.
  """
  products = tf.matmul(kernel, kernel, transpose_b=True)
  norms = tf.norm(kernel, axis=1, keepdims=True) + 1e-32
  correlations = products / tf.matmul(norms, norms, transpose_b=True)
  identity = tf.eye(tf.shape(kernel)[0], dtype=kernel.dtype)
  return tf.reduce_mean(tf.square(correlations - identity))


def l2_penalty(kernels: Sequence[tf.Tensor]) -> tf.Tensor:
  """`sum_w ||w||^2 / 2` over `kernels` (TF1's `l2_regularizer`, whose
  weight lambda_1 the caller applies)."""
  return tf.add_n([tf.reduce_sum(tf.square(k)) / 2 for k in kernels])
