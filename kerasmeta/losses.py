# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Task losses by name, each defined once for one task and for a task axis.

A `Loss` maps `(y_true, y_pred)` of one task to a scalar; its `per_task`
maps `[tasks, ...]` tensors to a `[tasks]` vector (the fast path). The
named losses compute both with one definition (the mean over every axis
but the leading task axis); a user's loss function is mapped over tasks.
"""

from __future__ import annotations

from typing import Callable, Optional, Union

import tensorflow as tf


def at_least_float32(tensor: tf.Tensor) -> tf.Tensor:
  """Casts 16-bit floats (mixed precision outputs) up to float32."""
  if tensor.dtype in (tf.float16, tf.bfloat16):
    return tf.cast(tensor, tf.float32)
  return tensor


def _mean_after(values, task_axes):
  """The mean over every axis of `values` after the first `task_axes`."""
  rank = values.shape.rank
  axes = list(range(task_axes, rank)) if rank is not None else \
      tf.range(task_axes, tf.rank(values))
  return tf.reduce_mean(values, axis=axes)


def mean_squared_error(y_true: tf.Tensor, y_pred: tf.Tensor,
                       task_axes: int = 0) -> tf.Tensor:
  """The mean squared error over all points and outputs.

  Targets must have the predictions' shape: a broadcast (targets [K, 2]
  against predictions [K, 1]) would be a silent wrong loss, so it raises.
  """
  y_pred = at_least_float32(y_pred)
  if not tf.TensorShape(y_true.shape).is_compatible_with(y_pred.shape):
    raise ValueError(
        f"Targets of shape {tf.TensorShape(y_true.shape)} do not match the "
        f"model's predictions of shape {y_pred.shape}.")
  return _mean_after(tf.square(y_pred - tf.cast(y_true, y_pred.dtype)),
                     task_axes)


def sparse_softmax_cross_entropy(y_true: tf.Tensor, logits: tf.Tensor,
                                 task_axes: int = 0) -> tf.Tensor:
  """The mean cross-entropy of integer labels (any shape `logits[..., 0]`)."""
  logits = at_least_float32(logits)
  labels = tf.cast(tf.reshape(y_true, tf.shape(logits)[:-1]), tf.int32)
  return _mean_after(tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=labels, logits=logits), task_axes)


class Loss:
  """A task loss: `loss(y_true, y_pred)` and `loss.per_task(...)`.

  Args:
    fn: `(y_true, y_pred) -> scalar`; with `has_task_axes`, it also takes
      `task_axes=1` and returns one value per task.
    name: the loss's name.
    has_task_axes: whether `fn` takes `task_axes`.
  """

  def __init__(self, fn: Callable[..., tf.Tensor], name: Optional[str] = None,
               has_task_axes: bool = False) -> None:
    self.fn = fn
    self.name = name or getattr(fn, "__name__", "loss")
    self.has_task_axes = has_task_axes

  def __call__(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    return self.fn(y_true, y_pred)

  def per_task(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """`[tasks]` losses of `[tasks, ...]` labels and predictions."""
    if self.has_task_axes:
      return self.fn(y_true, y_pred, task_axes=1)
    return tf.vectorized_map(lambda args: self.fn(*args), (y_true, y_pred))


LOSSES = {
    "mse": Loss(mean_squared_error, "mse", has_task_axes=True),
    "sparse_softmax_cross_entropy": Loss(
        sparse_softmax_cross_entropy, "sparse_softmax_cross_entropy",
        has_task_axes=True),
}


def get(loss: Union[str, Loss, Callable[..., tf.Tensor]]) -> Loss:
  """The `Loss` called `loss`, or `loss` itself made a `Loss` if callable."""
  if isinstance(loss, Loss):
    return loss
  if callable(loss):
    return Loss(loss)
  if loss not in LOSSES:
    raise ValueError(f"Unknown loss {loss!r}; expected one of "
                     f"{sorted(LOSSES)} or a callable.")
  return LOSSES[loss]
