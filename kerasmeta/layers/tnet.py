# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""T-net and MT-net cells (Lee & Choi 2018, section 3).

A cell is a task-adapted linear map W (with bias b) followed by a
meta-learned transform T: `y = T (W x + b)` in the paper's column notation,
computed as in the reference code as `h = (x W + b) T` on row vectors. T is
square, identity-initialised and has role meta. An optional MT mask (eq. 8)
restricts which output units (rows of W in the paper, output columns of a
Keras kernel) the inner loop may change. `transform=False` with a mask is the
paper's M-net.
"""

from __future__ import annotations

from typing import Any, Optional, TYPE_CHECKING, Union

import keras
import tensorflow as tf

from kerasmeta.layers import masks as masks_lib

if TYPE_CHECKING:
  from kerasmeta._typing import InitializerLike


class _CellMixin:
  """Shared T / mask bookkeeping of TDense and TConv2D."""

  def _init_cell(self, transform, mask, mask_temperature, mask_initializer):
    self.transform = bool(transform)
    self.mask = masks_lib.check_mask_kind(mask)
    if mask_temperature <= 0:
      raise ValueError(
          f"mask_temperature must be > 0; received {mask_temperature}.")
    self.mask_temperature = float(mask_temperature)
    self.mask_initializer = keras.initializers.get(mask_initializer)
    self.transform_matrix = None
    self.kernel_mask_logits = None
    self.bias_mask_logits = None

  def _build_cell(self, units):
    if self.transform:
      self.transform_matrix = self.add_weight(
          name="transform", shape=(units, units),
          initializer=keras.initializers.Identity())
    if self.mask == "unit":
      self.kernel_mask_logits = self.add_weight(
          name="mask_logits", shape=(units,),
          initializer=self.mask_initializer)
    elif self.mask == "weight":
      self.kernel_mask_logits = self.add_weight(
          name="kernel_mask_logits", shape=self.kernel.shape,
          initializer=self.mask_initializer)
      if self.bias is not None:
        self.bias_mask_logits = self.add_weight(
            name="bias_mask_logits", shape=self.bias.shape,
            initializer=self.mask_initializer)

  @property
  def meta_weights(self):
    """Weights the inner loop never changes: T and the mask logits."""
    candidates = (self.transform_matrix, self.kernel_mask_logits,
                  self.bias_mask_logits)
    return [w for w in candidates if w is not None]

  @property
  def mask_specs(self):
    """One `MaskSpec` per masked adapted weight (kernel, bias)."""
    if self.mask is None:
      return []
    specs = [masks_lib.MaskSpec(self.kernel, self.kernel_mask_logits,
                                self.mask, self.mask_temperature)]
    if self.bias is not None:
      bias_logits = (self.kernel_mask_logits if self.mask == "unit"
                     else self.bias_mask_logits)
      specs.append(masks_lib.MaskSpec(self.bias, bias_logits, self.mask,
                                      self.mask_temperature))
    return specs

  def build(self, input_shape):
    super().build(input_shape)
    self._build_cell(self._units())

  def call(self, inputs, training=None):
    outputs = self._linear(inputs)
    if self.bias is not None:
      outputs = outputs + self.bias
    if self.transform_matrix is not None:
      # T acts on the output units (channels): a 1x1 convolution for conv.
      outputs = tf.tensordot(outputs, self.transform_matrix, axes=[[-1], [0]])
    if self.activation is not None:
      outputs = self.activation(outputs)
    return outputs

  def get_config(self):
    config = super().get_config()
    config.update(self._cell_config())
    return config

  # Dense and Conv2D save only kernel and bias; a cell saves all its weights.
  def save_own_variables(self, store):
    keras.layers.Layer.save_own_variables(self, store)

  def load_own_variables(self, store):
    keras.layers.Layer.load_own_variables(self, store)

  def _cell_config(self):
    return {
        "transform": self.transform,
        "mask": self.mask,
        "mask_temperature": self.mask_temperature,
        "mask_initializer": keras.initializers.serialize(
            self.mask_initializer),
    }


@keras.saving.register_keras_serializable(package="kerasmeta")
class TDense(_CellMixin, keras.layers.Dense):
  """Dense T-net / MT-net / M-net cell: `h = activation((x W + b) T)`.

  Args:
    units: output size.
    transform: whether to apply the meta-learned `units x units` T.
    mask: None, "unit" (MT-net: one logit per output unit) or "weight" (one
      logit per weight, the paper's "-full" variant).
    mask_temperature: Gumbel-softmax temperature tau of mask samples.
    mask_initializer: initialiser of the mask logits zeta (0: p = 0.5).
    **kwargs: passed to `keras.layers.Dense` (activation, initialisers, ...).
  """

  def __init__(self, units: int, transform: bool = True,
               mask: Optional[str] = None, mask_temperature: float = 1.0,
               mask_initializer: InitializerLike = "zeros",
               **kwargs: Any) -> None:
    super().__init__(units, **kwargs)
    self._init_cell(transform, mask, mask_temperature, mask_initializer)

  def _units(self):
    return self.units

  def _linear(self, inputs):
    # As in `keras.layers.Dense`: `keras.ops.matmul` also takes a
    # `tf.SparseTensor` input (and gives a dense output).
    return keras.ops.matmul(inputs, self.kernel)


@keras.saving.register_keras_serializable(package="kerasmeta")
class TConv2D(_CellMixin, keras.layers.Conv2D):
  """Convolutional T-net / MT-net cell.

  A convolution W + b followed by a 1x1 convolution T from `filters` to
  `filters` channels (identity-initialised, meta), then the activation. A
  unit mask has one logit per output channel.

  Args:
    filters: output channels.
    kernel_size: convolution window.
    transform: as in `TDense`.
    mask: as in `TDense`.
    mask_temperature: as in `TDense`.
    mask_initializer: as in `TDense`.
    **kwargs: passed to `keras.layers.Conv2D`.
  """

  def __init__(self, filters: int, kernel_size: Union[int, tuple[int, int]],
               transform: bool = True, mask: Optional[str] = None,
               mask_temperature: float = 1.0,
               mask_initializer: InitializerLike = "zeros",
               **kwargs: Any) -> None:
    super().__init__(filters, kernel_size, **kwargs)
    if self.data_format != "channels_last":
      raise ValueError("TConv2D supports data_format='channels_last' only; "
                       f"received {self.data_format!r}.")
    self._init_cell(transform, mask, mask_temperature, mask_initializer)

  def _units(self):
    return self.filters

  def _linear(self, inputs):
    return self.convolution_op(inputs, self.kernel)
