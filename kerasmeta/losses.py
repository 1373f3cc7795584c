"""Per-task losses of the learners, by name."""

import tensorflow as tf


def at_least_float32(tensor):
  """Casts 16-bit floats (mixed precision outputs) up to float32."""
  if tensor.dtype in (tf.float16, tf.bfloat16):
    return tf.cast(tensor, tf.float32)
  return tensor


def mean_squared_error(y_true, y_pred):
  y_pred = at_least_float32(y_pred)
  return tf.reduce_mean(tf.square(y_pred - tf.cast(y_true, y_pred.dtype)))


def sparse_softmax_cross_entropy(y_true, logits):
  logits = at_least_float32(logits)
  labels = tf.cast(tf.reshape(y_true, tf.shape(logits)[:-1]), tf.int32)
  return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=labels, logits=logits))


LOSSES = {
    "mse": mean_squared_error,
    "sparse_softmax_cross_entropy": sparse_softmax_cross_entropy,
}


def get(name):
  """The loss `(y_true, y_pred) -> scalar` called `name`, or `name` if callable."""
  if callable(name):
    return name
  if name not in LOSSES:
    raise ValueError(f"Unknown loss {name!r}; expected one of "
                     f"{sorted(LOSSES)} or a callable.")
  return LOSSES[name]
