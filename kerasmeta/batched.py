# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The fast path: a task axis on the adapted weights, batched math.

For the layers that allow it (Dense, TDense, activations), the forward pass
of many tasks at once is one batched matmul per layer: adapted weights carry
a leading task axis (`[tasks, ...]`), inputs are `[tasks, points, ...]`,
meta weights (T) are shared. Since tasks are independent, the gradient of
the *sum* of per-task losses with respect to `[tasks, ...]` weights is every
task's own gradient, so one inner loop adapts all tasks together, and the
meta-gradient through it equals the task-by-task one (the tests check both
paths agree). Models with other layers (convolutions, batch-norm) use the
general path, `stateless_call` mapped over tasks (see
`kerasmeta.algorithms.task_mappers`).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

from kerasmeta.layers import tnet

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Variables

PASS_THROUGH = (keras.layers.InputLayer, keras.layers.Activation,
                keras.layers.ReLU)


def _layers(model):
  return [layer for layer in getattr(model, "layers", [])]


def supports(model: keras.Model) -> bool:
  """Whether `model` can run on the fast path."""
  if not isinstance(model, keras.Sequential):
    return False
  for layer in _layers(model):
    if isinstance(layer, PASS_THROUGH):
      continue
    if type(layer) in (keras.layers.Dense, tnet.TDense):
      if getattr(layer, "lora_enabled", False) or \
          getattr(layer, "quantization_mode", None):
        return False
      continue
    return False
  return True


class BatchedModel:
  """Evaluates a supported model with per-task adapted weights.

  Args:
    model: a Keras model for which `supports(model)` holds.
    adapted: the model's adapted variables (`weight_roles(model).adapted`).
  """

  def __init__(self, model: keras.Model, adapted: Variables) -> None:
    if not supports(model):
      raise ValueError(
          f"Model {model.name!r} has layers the fast path does not support; "
          "use the general path (vectorize=False).")
    index = {id(w): i for i, w in enumerate(adapted)}
    self.steps: list[tuple[str, Any, Optional[int], Optional[int]]] = []
    for layer in _layers(model):
      if isinstance(layer, keras.layers.InputLayer):
        continue
      if isinstance(layer, PASS_THROUGH):
        self.steps.append(("activation", layer, None, None))
        continue
      kernel = index.get(id(layer.kernel))
      bias = index.get(id(layer.bias)) if layer.bias is not None else None
      self.steps.append(("dense", layer, kernel, bias))

  def __call__(self, values: Sequence[tf.Tensor],
               inputs: tf.Tensor) -> tf.Tensor:
    """Outputs `[tasks, points, units]` for `[tasks, points, features]`."""
    x = inputs
    for kind, layer, kernel, bias in self.steps:
      if kind == "activation":
        x = layer(x)
        continue
      # Mixed precision: compute in the layer's dtype, as Keras would.
      cast = lambda t, d=layer.compute_dtype: tf.cast(t, d)
      x = cast(x)
      weight = values[kernel] if kernel is not None else layer.kernel.value
      if kernel is not None:
        x = tf.matmul(x, cast(weight))  # [tasks, points, in] @ [tasks, in, out]
      else:
        x = tf.tensordot(x, cast(weight), axes=[[-1], [0]])
      if layer.bias is not None:
        b = cast(values[bias] if bias is not None else layer.bias.value)
        x = x + (b[:, tf.newaxis, :] if bias is not None else b)
      transform = getattr(layer, "transform_matrix", None)
      if transform is not None:
        x = tf.tensordot(x, cast(transform.value), axes=[[-1], [0]])
      if layer.activation is not None:
        x = layer.activation(x)
    return x


def tile_for_tasks(values: Sequence[tf.Tensor],
                   num_tasks: IntLike) -> list[tf.Tensor]:
  """`[tasks, ...]` copies of the initial values (gradients sum back)."""
  return [tf.broadcast_to(v[tf.newaxis], tf.concat(
      [[num_tasks], tf.shape(v)], 0)) for v in values]

