# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Warp layers (Flennerhag et al. 2020, WarpGrad, section 2.2, appendix A).

A warp layer is an ordinary layer whose weights have role *meta*: the inner
loop never changes them, so backpropagating through them preconditions the
gradients of the task layers around them (eq. 2). `Warp(layer)` makes every
trainable weight of any Keras layer meta; the functions below build the warp
blocks of the paper:

| block                        | paper                                  |
|------------------------------|----------------------------------------|
| `linear_warp`                | linear warp (Dense), appendix F        |
| `conv_warp`                  | 3x3 conv, zero padding (main Omniglot) |
| `conv_warp(kernel_size=1)`   | 1x1 conv, appendix F                   |
| `scale_warp`                 | channel-wise scaling (FiLM), app. F    |
| `conv_bn_warp`               | 3x3 conv + BN (+ ReLU), appendix F     |
| `residual_conv_warp`         | 2-layer 3x3 conv + BN + residual, F    |
| `residual_tanh_warp`         | 2-layer tanh MLP + residual, app. J    |

Linear, convolutional and scaling warps start at the identity and residual
warps at zero residual, so a model warped with them computes what the
unwarped model computes and meta-training moves away from plain gradient
descent (blocks with batch-norm renormalise, and with ReLU clip, from the
start).

A model interleaves task and warp layers, `h = w_L o h_L o ... o w_1 o h_1`;
`kerasmeta.layers.with_meta_layers` instead turns layers of an existing
model into meta layers (the paper's "model partitioning").
"""

from __future__ import annotations

from typing import Any, Optional, TYPE_CHECKING

import keras
import numpy as np

if TYPE_CHECKING:
  import tensorflow as tf
  from kerasmeta._typing import InputShape, Shape


WARP_BLOCKS = ("linear", "conv", "conv1x1", "scale", "conv_bn",
               "conv_bn_relu", "residual_conv", "residual_tanh")


@keras.saving.register_keras_serializable(package="kerasmeta")
class Meta(keras.layers.Wrapper):
  """Wraps a layer and makes all of its trainable weights meta weights.

  Meta weights are fixed during adaptation and learned by the outer loop:
  ANIL's body, WarpGrad's warp layers. Batch-norm moving statistics inside
  the wrapped layer stay state weights. The role is the wrapper's type, so
  it survives `.keras` save and load and `clone_model`. `Meta(layer)`
  takes any Keras layer (or model).
  """

  @property
  def meta_weights(self) -> list[keras.Variable]:
    """Every trainable weight of the wrapped layer."""
    return list(self.layer.trainable_weights)

  def build(self, input_shape: Optional[InputShape] = None) -> None:
    if not self.layer.built:
      self.layer.build(input_shape)
    self.built = True

  def call(self, inputs: tf.Tensor, training: Optional[bool] = None,
           mask: Optional[tf.Tensor] = None) -> tf.Tensor:
    # A Keras mask (from a functional graph) is passed on where given.
    if mask is None:
      return self.layer(inputs, training=training)
    return self.layer(inputs, training=training, mask=mask)

  def compute_output_shape(
      self, input_shape: InputShape) -> tuple[Optional[int], ...]:
    return self.layer.compute_output_shape(input_shape)

  def compute_output_spec(
      self, inputs: keras.KerasTensor, training: Optional[bool] = None,
      mask: Optional[tf.Tensor] = None) -> keras.KerasTensor:
    # The wrapped layer computes in its own dtype policy, which need not be
    # the wrapper's: its spec, not this layer's compute dtype, is the truth.
    del training, mask  # The output spec depends on neither.
    return self.layer.compute_output_spec(inputs)


@keras.saving.register_keras_serializable(package="kerasmeta")
class Warp(Meta):
  """A warp layer (WarpGrad): a `Meta` layer inside the task learner.

  `Warp(layer)` takes any Keras layer (or model).
  """



@keras.saving.register_keras_serializable(package="kerasmeta")
class ChannelScale(keras.layers.Layer):
  """`y = x * scale + offset` per channel (last axis); starts at identity.

  The output has the layer's compute dtype (float16 under `mixed_float16`),
  as `compute_output_spec` declares.
  """

  def build(self, input_shape: InputShape) -> None:
    channels = input_shape[-1]
    if channels is None:
      raise ValueError(
          "ChannelScale needs a known number of channels (last axis); "
          f"received input_shape={tuple(input_shape)}.")
    self.scale = self.add_weight(name="scale", shape=(channels,),
                                 initializer="ones")
    self.offset = self.add_weight(name="offset", shape=(channels,),
                                  initializer="zeros")
    self.input_spec = keras.layers.InputSpec(min_ndim=1,
                                             axes={-1: channels})

  def call(self, inputs: tf.Tensor) -> tf.Tensor:
    dtype = self.compute_dtype
    return (keras.ops.cast(inputs, dtype) * keras.ops.cast(self.scale, dtype)
            + keras.ops.cast(self.offset, dtype))

  def compute_output_shape(
      self, input_shape: InputShape) -> tuple[Optional[int], ...]:
    return tuple(input_shape)


@keras.saving.register_keras_serializable(package="kerasmeta")
class Residual(keras.layers.Layer):
  """`y = x + block(x)` for a block that keeps the input's shape.

  Args:
    block: a Keras layer or model whose output has its input's shape.
  """

  def __init__(self, block: keras.layers.Layer, **kwargs: Any) -> None:
    super().__init__(**kwargs)
    self.block = block

  def build(self, input_shape: InputShape) -> None:
    if not self.block.built:
      self.block.build(input_shape)
    output_shape = tuple(self.block.compute_output_shape(input_shape))
    if output_shape[1:] != tuple(input_shape)[1:]:
      raise ValueError(
          f"A residual block must keep its input's shape; block "
          f"{self.block.name!r} maps {tuple(input_shape)} to {output_shape}.")

  def call(self, inputs: tf.Tensor,
           training: Optional[bool] = None) -> tf.Tensor:
    # A block with a dtype policy of its own answers in its compute dtype;
    # the sum is in this layer's, as `compute_output_spec` declares.
    residual = self.block(inputs, training=training)
    return inputs + keras.ops.cast(residual, inputs.dtype)

  def compute_output_shape(self, input_shape: InputShape) -> InputShape:
    return input_shape

  def get_config(self) -> dict[str, Any]:
    config = super().get_config()
    config["block"] = keras.saving.serialize_keras_object(self.block)
    return config

  @classmethod
  def from_config(cls, config: dict[str, Any]) -> Residual:
    config = dict(config)
    config["block"] = keras.saving.deserialize_keras_object(config["block"])
    return cls(**config)


@keras.saving.register_keras_serializable(package="kerasmeta")
class ConvIdentity(keras.initializers.Initializer):
  """A conv kernel that maps each channel to itself (centre tap = 1)."""

  def __call__(self, shape: Shape, dtype: Optional[str] = None) -> tf.Tensor:
    height, width, channels_in, channels_out = shape
    kernel = np.zeros(shape, dtype="float64")
    for channel in range(min(channels_in, channels_out)):
      kernel[height // 2, width // 2, channel, channel] = 1.0
    return keras.ops.convert_to_tensor(kernel, dtype=dtype or "float32")


def linear_warp(units: int, name: Optional[str] = None,
                dtype: Optional[str] = None) -> Warp:
  """A Dense warp of `units` outputs, identity-initialised."""
  return Warp(keras.layers.Dense(
      units, kernel_initializer="identity", dtype=dtype),
      name=name, dtype=dtype)


def conv_warp(filters: int, kernel_size: int = 3, name: Optional[str] = None,
              dtype: Optional[str] = None) -> Warp:
  """A conv warp (zero padding, stride 1), identity-initialised."""
  return Warp(keras.layers.Conv2D(
      filters, kernel_size, padding="same",
      kernel_initializer=ConvIdentity(), dtype=dtype),
      name=name, dtype=dtype)


def scale_warp(name: Optional[str] = None, dtype: Optional[str] = None) -> Warp:
  """Channel-wise scale and offset (a FiLM layer), starting at identity."""
  return Warp(ChannelScale(dtype=dtype), name=name,
              dtype=dtype)


def conv_bn_warp(filters: int, relu: bool = False, name: Optional[str] = None,
                 dtype: Optional[str] = None) -> Warp:
  """3x3 conv + batch-norm (+ ReLU), the conv starting at identity."""
  layers = [keras.layers.Conv2D(filters, 3, padding="same",
                                kernel_initializer=ConvIdentity(), dtype=dtype),
            keras.layers.BatchNormalization(epsilon=1e-3, momentum=0.9,
                                            dtype=dtype)]
  if relu:
    layers.append(keras.layers.ReLU(dtype=dtype))
  return Warp(keras.Sequential(layers),
              name=name,
              dtype=dtype)


def residual_conv_warp(filters: int, hidden_filters: int = 128,
                       name: Optional[str] = None,
                       dtype: Optional[str] = None) -> Warp:
  """`x + BN(conv(ReLU(BN(conv(x)))))`: appendix F's 2-layer residual warp.

  The second batch-norm's scale starts at zero, so the block starts as the
  identity.
  """
  block = keras.Sequential([
      keras.layers.Conv2D(hidden_filters, 3, padding="same", dtype=dtype),
      keras.layers.BatchNormalization(epsilon=1e-3, momentum=0.9, dtype=dtype),
      keras.layers.ReLU(dtype=dtype),
      keras.layers.Conv2D(filters, 3, padding="same", dtype=dtype),
      keras.layers.BatchNormalization(epsilon=1e-3, momentum=0.9,
                                      gamma_initializer="zeros", dtype=dtype),
  ])
  return Warp(Residual(block, dtype=dtype),
              name=name, dtype=dtype)


def residual_tanh_warp(units: int, hidden_units: int = 100,
                       name: Optional[str] = None, dtype: Optional[str] = None,
                       seed: Optional[int] = None) -> Warp:
  """`x + W2 tanh(W1 x + b1) + b2`: appendix J's residual warp block.

  The output layer starts at zero, so the block starts as the identity.
  """
  block = keras.Sequential([
      keras.layers.Dense(hidden_units, activation="tanh", dtype=dtype,
                         kernel_initializer=keras.initializers.GlorotUniform(
                             seed=seed)),
      keras.layers.Dense(units, kernel_initializer="zeros", dtype=dtype),
  ])
  return Warp(Residual(block, dtype=dtype),
              name=name, dtype=dtype)


def warp_block(kind: str, channels: int, name: Optional[str] = None,
               dtype: Optional[str] = None, seed: Optional[int] = None) -> Warp:
  """The warp block called `kind` (see `WARP_BLOCKS`) for `channels`.

  `seed` seeds the random initialiser of the blocks that have one.
  """
  builders = {
      "linear": lambda: linear_warp(channels, name=name, dtype=dtype),
      "conv": lambda: conv_warp(channels, name=name, dtype=dtype),
      "conv1x1": lambda: conv_warp(channels, 1, name=name, dtype=dtype),
      "scale": lambda: scale_warp(name=name, dtype=dtype),
      "conv_bn": lambda: conv_bn_warp(channels, name=name, dtype=dtype),
      "conv_bn_relu": lambda: conv_bn_warp(channels, relu=True, name=name,
                                           dtype=dtype),
      "residual_conv": lambda: residual_conv_warp(channels, name=name,
                                                  dtype=dtype),
      "residual_tanh": lambda: residual_tanh_warp(channels, name=name,
                                                  dtype=dtype, seed=seed),
  }
  if kind not in builders:
    raise ValueError(f"Unknown warp block {kind!r}; expected one of "
                     f"{WARP_BLOCKS}.")
  return builders[kind]()
