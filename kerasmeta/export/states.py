# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Adapted states a client stores: adapt once, predict many times.

An adapter's `adapt` signature returns a task's adapted state, and its
`predict_with_state` signature answers queries from that state with no
inner loop, so a personalisation service pays the adaptation once per user
instead of once per request. The layout, version 1:

  state               float32 [size]: the adapted weights (the learner's
                      `roles.adapted`, in that order: every weight for
                      MAML and MT-nets, the head alone for ANIL), each
                      flattened in row-major order, then concatenated.
  state_fingerprint   string []: "kerasmeta-state-v1:" and 32 hex digits of
                      the SHA-256 of the adapter's weights at export (names,
                      shapes, dtypes and values).

A state is refused by an adapter it does not belong to: another layout
version, by name ("kerasmeta-state-v2 ... this adapter reads v1"), or
another adapter (a model retrained or another export), by fingerprint.

The batched signatures (`adapt_batch`, `predict_with_state_batch`) carry a
leading task axis on every input and output, the fingerprints included
(`[tasks]`), so that TF Serving's batcher can merge requests along it.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Sequence, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta.export import checks

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Variables

STATE_VERSION = 1
PREFIX = f"kerasmeta-state-v{STATE_VERSION}:"


def fingerprint(named_values: Iterable[tuple[str, Any]]) -> str:
  """The state fingerprint of an adapter whose weights are `(name, value)`
  pairs (the layout version and a SHA-256 of names, shapes, dtypes and
  values)."""
  digest = hashlib.sha256()
  for name, value in named_values:
    array = np.ascontiguousarray(np.asarray(value))
    digest.update(f"{name}|{array.shape}|{array.dtype.str}|".encode())
    digest.update(array.tobytes())
  return PREFIX + digest.hexdigest()[:32]


def state_functions(module: tf.Module,
                    label_dtype: tf.DType) -> tuple[Any, ...]:
  """`(adapt, predict_with_state, adapt_batch, predict_with_state_batch)`:
  `module`'s `_adapt`, `_predict_with_state`, `_adapt_batch` and
  `_predict_with_state_batch` as `tf.function`s with their input
  signatures (no declared ranks, as every served signature:
  `checks.adapt_and_predict_functions`)."""
  support = [tf.TensorSpec(None, tf.float32, "support_x"),
             tf.TensorSpec(None, label_dtype, "support_y")]
  stored = [tf.TensorSpec(None, tf.float32, "state"),
            tf.TensorSpec(None, tf.string, "state_fingerprint"),
            tf.TensorSpec(None, tf.float32, "query_x")]
  return tuple(tf.function(function, input_signature=signature)
               for function, signature in (
                   (module._adapt, support),  # pylint: disable=protected-access
                   (module._predict_with_state, stored),  # pylint: disable=protected-access
                   (module._adapt_batch, support),  # pylint: disable=protected-access
                   (module._predict_with_state_batch, stored)))  # pylint: disable=protected-access


def layout(weights: Variables) -> tuple[list[tuple[int, ...]], list[Any], int]:
  """`(shapes, dtypes, size)` of the state of adapted `weights` (in
  order)."""
  shapes = [tuple(int(d) for d in w.shape) for w in weights]
  return (shapes, [w.dtype for w in weights],
          sum(int(np.prod(shape)) for shape in shapes))


def flatten(tensors: Sequence[tf.Tensor]) -> tf.Tensor:
  """The state vector of adapted weights `tensors` (float32 [size])."""
  return tf.concat([tf.reshape(tf.cast(t, tf.float32), [-1])
                    for t in tensors], 0)


def unflatten(state: tf.Tensor, shapes: Sequence[Sequence[int]],
              dtypes: Sequence[Any]) -> list[tf.Tensor]:
  """The adapted weights of a state vector, in `shapes` and `dtypes`."""
  sizes = [int(np.prod(shape)) for shape in shapes]
  parts = tf.split(state, sizes)
  return [tf.cast(tf.reshape(part, shape), dtype)
          for part, shape, dtype in zip(parts, shapes, dtypes)]


def fingerprint_checks(state_fingerprint: tf.Tensor,
                       expected_fingerprint: tf.Tensor) -> list[tf.Operation]:
  """The run-time checks that states belong to this adapter: their layout
  version, then their fingerprint (both refused by name). One fingerprint
  `[]`, or one per task `[tasks]`."""
  fingerprints = tf.reshape(state_fingerprint, [-1])
  same_version = tf.strings.regex_full_match(fingerprints, PREFIX + ".*")
  return [
      tf.debugging.Assert(tf.reduce_all(same_version), [
          "state_fingerprint", fingerprints, "is not a state of "
          f"layout v{STATE_VERSION}, which this adapter reads"]),
      tf.debugging.Assert(
          tf.reduce_all(tf.equal(fingerprints, expected_fingerprint)),
          ["state_fingerprint", fingerprints, "belongs to another "
           "adapter; this adapter's states have", expected_fingerprint])]


def check_state(state: tf.Tensor, state_fingerprint: tf.Tensor,
                expected_fingerprint: tf.Tensor, size: int) -> tf.Tensor:
  """`state`, checked at run time to belong to this adapter
  (`fingerprint_checks`), to have `size` entries and to be finite."""
  conditions = fingerprint_checks(state_fingerprint, expected_fingerprint)
  conditions.append(tf.debugging.Assert(
      tf.logical_and(checks.shape_is(state, []), tf.equal(
          tf.concat([tf.shape(state), [-1]], 0)[0], size)),
      [f"state must have shape [{size}]; received", tf.shape(state)]))
  # Reshaped after the checks, whose message a failed reshape would hide.
  state = tf.reshape(checks.after(conditions, state), [size])
  return tf.debugging.check_numerics(state, "state holds NaN or Inf values")


def check_state_batch(state: tf.Tensor, state_fingerprint: tf.Tensor,
                      expected_fingerprint: tf.Tensor, size: int,
                      tasks: IntLike) -> tf.Tensor:
  """`state` `[tasks, size]` and `state_fingerprint` `[tasks]`, one row per
  task (a leading axis on every input, as TF Serving's batcher merges
  requests), checked as `check_state` checks one."""
  conditions = fingerprint_checks(state_fingerprint, expected_fingerprint)
  conditions.append(tf.debugging.Assert(
      tf.logical_and(tf.equal(tf.size(tf.shape(state_fingerprint)), 1),
                     tf.equal(tf.size(state_fingerprint), tasks)),
      ["state_fingerprint must have shape [tasks], one per task; received",
       tf.shape(state_fingerprint), "for tasks:", tasks]))
  shape = tf.shape(state)
  padded = tf.concat([shape, [-1, -1]], 0)
  conditions.append(tf.debugging.Assert(
      tf.logical_and(tf.equal(tf.size(shape), 2), tf.reduce_all(
          tf.equal(padded[:2], tf.stack([tasks, size])))),
      [f"state must have shape [tasks, {size}], one row per task of "
       "query_x; received", shape, "for tasks:", tasks]))
  state = tf.reshape(checks.after(conditions, state), [-1, size])
  return tf.debugging.check_numerics(state, "state holds NaN or Inf values")
