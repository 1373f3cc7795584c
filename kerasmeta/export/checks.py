# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The checks every served signature makes, in the graph, before any op
reads a request: exact shapes, caps on points, finite values, labels in
range, options in bounds; and the divergence check of every answer.

Shared by the adapters of every learner family (`kerasmeta.export`); a
bad request fails with a message saying what was wrong and what was
expected.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Scalar, Variables

CLASSIFIER_LOSSES = ("sparse_softmax_cross_entropy",)
DEFAULT_MAX_STEPS = 100
DEFAULT_MAX_SUPPORT = 10_000
DEFAULT_MAX_QUERY = 10_000
# The most tasks of a batched request whose per-task cost is quadratic
# (LEO's relation network): its points in all are max_support x this.
MAX_TASKS = 64


def raw_variables(variables: Variables) -> list[tf.Variable]:
  """The `tf.Variable`s behind Keras variables (what TF Serving's loader
  finds)."""
  return [v.value if isinstance(v, keras.Variable) else v for v in variables]


def refuse_nonfinite(named_values: Sequence[tuple[str, tf.Tensor]]) -> None:
  """Refuses to export `(name, value)` pairs holding NaN or Inf."""
  nonfinite = [name for name, value in named_values
               if not bool(tf.reduce_all(tf.math.is_finite(value)))]
  if nonfinite:
    raise ValueError(f"Refusing to export: weights {nonfinite} are not "
                     "finite (a diverged run); every answer would be NaN.")


def feature_shape(model: keras.Model) -> list[int]:
  """A model's input shape without the batch axis."""
  shape = model.inputs[0].shape if getattr(model, "inputs", None) else \
      model.input_shape
  return [int(d) for d in shape[1:]]


def after(checks: Sequence[Optional[tf.Operation]], *values: tf.Tensor) -> Any:
  """`values` made to wait for `checks`, so no op sees an unchecked input."""
  with tf.control_dependencies([c for c in checks if c is not None]):
    checked = [tf.identity(v) for v in values]
  return checked[0] if len(checked) == 1 else checked


def shape_is(tensor: tf.Tensor, expected_tail: Sequence[int]) -> tf.Tensor:
  """Whether `tensor` is [n, *expected_tail] (safe for any rank)."""
  shape = tf.shape(tensor)
  rank = len(expected_tail) + 1
  padded = tf.concat([shape, tf.zeros([rank], tf.int32)], 0)[1:rank]
  return tf.logical_and(
      tf.equal(tf.size(shape), rank),
      tf.reduce_all(tf.equal(padded, tf.constant(expected_tail, tf.int32))))


def check_features(x: tf.Tensor, name: str, feature_shape: Sequence[int],
                   max_points: Optional[int] = None) -> tf.Tensor:
  """x, checked at run time to be [points >= 1, *feature_shape] and finite
  (and at most `max_points` points)."""
  wanted = f"[points, {', '.join(map(str, feature_shape))}]"
  checks = [
      tf.debugging.Assert(shape_is(x, feature_shape),
                          [f"{name} must have shape {wanted}; received",
                           tf.shape(x)]),
      tf.debugging.assert_greater(tf.size(x), 0,
                                  message=f"{name} must hold at least one "
                                          "point")]
  if max_points is not None:
    checks.append(tf.debugging.assert_less_equal(
        tf.shape(x)[0], max_points,
        message=f"{name} may hold at most {max_points} points (a cap set "
                "at export)"))
  # Reshaped after the checks: a reshape that fails first would answer a
  # wrong feature size with its own message instead of the check's.
  x = tf.reshape(after(checks, x), [-1, *feature_shape])
  return tf.debugging.check_numerics(x, f"{name} holds NaN or Inf values")


def check_task_batch(x: tf.Tensor, name: str, feature_shape: Sequence[int],
                     max_points: int) -> tf.Tensor:
  """x, checked at run time to be [tasks >= 1, points >= 1,
  *feature_shape] (every task the same number of points) with at most
  `max_points` points in all; its rank and feature sizes set statically."""
  wanted = f"[tasks, points, {', '.join(map(str, feature_shape))}]"
  shape = tf.shape(x)
  rank = len(feature_shape) + 2
  padded = tf.concat([shape, tf.zeros([rank], tf.int32)], 0)
  checks = [
      tf.debugging.Assert(tf.logical_and(
          tf.equal(tf.size(shape), rank),
          tf.reduce_all(tf.equal(padded[2:rank],
                                 tf.constant(feature_shape, tf.int32)))),
                          [f"{name} must have shape {wanted}; received",
                           shape]),
      tf.debugging.assert_greater(tf.size(x), 0,
                                  message=f"{name} must hold at least one "
                                          "task of one point"),
      tf.debugging.assert_less_equal(
          padded[0] * padded[1], max_points,
          message=f"{name} may hold at most {max_points} points in all its "
                  "tasks (a cap set at export)")]
  x = tf.reshape(after(checks, x), [shape[0], shape[1], *feature_shape])
  return tf.debugging.check_numerics(x, f"{name} holds NaN or Inf values")


def same_tasks(**tensors: tf.Tensor) -> tf.Operation:
  """Checks that the inputs of a batched request hold the same number of
  tasks (their first dimension); returns the check."""
  names = list(tensors)
  counts = tf.stack([tf.concat([tf.shape(t), [-1]], 0)[0]
                     for t in tensors.values()])
  return tf.debugging.Assert(
      tf.reduce_all(tf.equal(counts, counts[0])),
      [f"{', '.join(names)} must hold the same number of tasks (their "
       "first dimension); received", counts])


def same_count(support_x: tf.Tensor, support_y: tf.Tensor) -> tf.Operation:
  """Checks that support_x and support_y hold the same number of points
  (support_y of rank 0 refused by rank first, not by a slice error)."""
  has_points = tf.debugging.Assert(
      tf.greater_equal(tf.size(tf.shape(support_y)), 1),
      ["support_y must have one entry per support point; received shape",
       tf.shape(support_y)])
  with tf.control_dependencies([has_points]):
    return tf.debugging.assert_equal(
        tf.concat([tf.shape(support_y), [-1]], 0)[0], tf.shape(support_x)[0],
        message="support_x and support_y must hold the same number of "
                "points")


def check_class_labels(support_x: tf.Tensor, support_y: tf.Tensor,
                       num_classes: int) -> tf.Tensor:
  """Integer labels `[points]` or `[points, 1]` in 0..num_classes-1, one
  per support point (checked at run time); returned as `[points, 1]`."""
  rank = tf.size(tf.shape(support_y))
  checks = [
      same_count(support_x, support_y),
      tf.debugging.Assert(
          tf.logical_or(tf.equal(rank, 1), shape_is(support_y, [1])),
          ["support_y must have shape [points] (or [points, 1]); received",
           tf.shape(support_y)]),
      tf.debugging.assert_non_negative(
          support_y, message="support_y labels must be >= 0"),
      tf.debugging.assert_less(
          support_y, num_classes,
          message=f"support_y labels must be < {num_classes} (the model's "
                  "number of classes)")]
  return after(checks, tf.reshape(support_y, [-1, 1]))


def check_options(num_steps: IntLike, learning_rate: Scalar,
                  max_steps: int) -> Any:
  """A request's `num_steps` (0..max_steps) and `learning_rate` (finite,
  >= 0), checked at run time."""
  learning_rate = tf.debugging.check_numerics(
      learning_rate, "learning_rate must be finite")
  checks = [
      tf.debugging.assert_greater_equal(num_steps, 0,
                                        message="num_steps must be >= 0"),
      tf.debugging.assert_less_equal(
          num_steps, max_steps,
          message=f"num_steps must be <= {max_steps} (max_steps of this "
                  "export)"),
      tf.debugging.assert_non_negative(learning_rate,
                                       message="learning_rate must be >= 0")]
  return after(checks, num_steps, learning_rate)


def diverged_check(values: Sequence[tf.Tensor], what: str) -> list[tf.Tensor]:
  """`values`, checked to be finite: else "adaptation diverged"."""
  return [tf.debugging.check_numerics(
      value, f"adaptation diverged: the {what} are not finite; lower "
             "learning_rate or num_steps, or bring the inputs to the scale "
             "of meta-training") for value in values]


def named_outputs(outputs: tf.Tensor, classifier: bool) -> dict[str, tf.Tensor]:
  """`predictions`, and for classifiers `probabilities` and `classes`."""
  if not classifier:
    return {"predictions": outputs}
  return {"predictions": outputs,
          "probabilities": tf.nn.softmax(outputs, axis=-1),
          "classes": tf.argmax(outputs, axis=-1, output_type=tf.int32)}


def adapt_and_predict_functions(defaults_fn: Callable[..., Any],
                                options_fn: Callable[..., Any],
                                label_dtype: tf.DType) -> tuple[Any, Any]:
  """The `adapt_and_predict` and `adapt_and_predict_with_options`
  functions of an adapter, with their input signatures.

  No input declares a rank: TF Serving does not enforce one, and a declared
  rank lets the graph fold the shape checks away.

  Args:
    defaults_fn: `(support_x, support_y, query_x) -> outputs`.
    options_fn: the same with `num_steps` (int32) and `learning_rate`.
    label_dtype: support_y's dtype (int32 labels or float32 targets).

  Returns:
    The two `tf.function`s.
  """
  x_spec = lambda name: tf.TensorSpec(None, tf.float32, name)
  y_spec = tf.TensorSpec(None, label_dtype, "support_y")
  return (tf.function(defaults_fn, input_signature=[
      x_spec("support_x"), y_spec, x_spec("query_x")]),
          tf.function(options_fn, input_signature=[
              x_spec("support_x"), y_spec, x_spec("query_x"),
              tf.TensorSpec([], tf.int32, "num_steps"),
              tf.TensorSpec([], tf.float32, "learning_rate")]))
