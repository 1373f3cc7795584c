# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""LEO adapters as SavedModels that TF Serving serves.

`kerasmeta.export.export_adapter` writes one for a `LEO` learner. Support
embeddings and labels in, query class probabilities out; encoding, the latent steps,
decoding and fine-tuning all run inside the served graph (z and the
weights are the Gaussians' means: the same request always gets the same
answer):

  adapt_and_predict(support_x, support_y, query_x)
      the trained number of latent and fine-tuning steps.
  adapt_and_predict_with_options(support_x, support_y, query_x, num_steps,
                                 learning_rate)
      `num_steps` latent steps (0..max_steps); `learning_rate` is alpha
      (the configured `latent_learning_rate`, the learned rates' initial
      value), both learned rates scaled by learning_rate / alpha, as every
      adapter reads it (`kerasmeta.export`).

  adapt(support_x, support_y) -> state, state_fingerprint
  predict_with_state(state, state_fingerprint, query_x)
      adapt once, predict many times: the state is the decoded and
      fine-tuned classifier (each class's weights averaged over its K
      draws, as the logits average them), `[ways, 1, features]` flattened
      (`kerasmeta.export.states`); answers equal `adapt_and_predict`'s.

There is no `predict(x)`: LEO has a classifier only once it is decoded
from a support set. Inputs are checked in the graph as the other adapters
check theirs (shapes, finite values, caps on points), and the support set
must hold K >= 1 examples of each of the N trained classes 0..N-1.
"""

from __future__ import annotations

from typing import Optional

import tensorflow as tf

from kerasmeta.algorithms import leo as leo_learner
from kerasmeta.export import checks
from kerasmeta.export import registry
from kerasmeta.export import states
from kerasmeta.export import versions
from kerasmeta.tasks.base import Task


class LEOAdapterModule(tf.Module):
  """The served adapter of a `LEO` learner (see the module docstring).

  Args:
    learner: a `kerasmeta.algorithms.LEO`.
    max_steps: the largest `num_steps` a request may ask for.
    max_support: the most support points a request may send.
    max_query: the most query points a request may send.
  """

  def __init__(self, learner: leo_learner.LEO,
               max_steps: int = checks.DEFAULT_MAX_STEPS,
               max_support: Optional[int] = None,
               max_query: int = checks.DEFAULT_MAX_QUERY) -> None:
    super().__init__(name="kerasmeta_leo_adapter")
    if learner.dtype != tf.float32:
      raise ValueError(f"A LEO adapter serves float32 weights; the learner "
                       f"computes in {learner.dtype.name}.")
    variables = list(learner.networks.variables)
    checks.refuse_nonfinite([(v.path, v) for v in variables])
    self._learner = learner  # a plain object: not tracked
    self.tracked_variables = checks.raw_variables(variables)
    self.max_steps = int(max_steps)
    self.max_support = support_cap(learner, max_support)
    self.max_query = int(max_query)
    if self.max_query < 1:
      raise ValueError(f"max_query must be >= 1; received {max_query}.")
    if not 0 <= learner.num_latent_steps <= self.max_steps:
      raise ValueError(f"The trained num_latent_steps "
                       f"({learner.num_latent_steps}) exceeds max_steps "
                       f"({self.max_steps}).")
    self.initial_rate = learner.networks.latent_learning_rate
    self.adapt_and_predict, self.adapt_and_predict_with_options = \
        checks.adapt_and_predict_functions(
            self._adapt_and_predict_defaults, self._adapt_and_predict,
            tf.int32)
    # The state: the classifier weights [ways, 1, features].
    self.state_shape = (learner.ways, 1, learner.features)
    self.state_size = learner.ways * learner.features
    self.state_fingerprint = tf.constant(states.fingerprint(
        [(v.path, v.numpy()) for v in variables]))
    (self.adapt, self.predict_with_state, self.adapt_batch,
     self.predict_with_state_batch) = states.state_functions(self, tf.int32)

  def _adapt_and_predict_defaults(self, support_x, support_y, query_x):
    return self._adapt_and_predict(
        support_x, support_y, query_x,
        tf.constant(self._learner.num_latent_steps, tf.int32),
        tf.constant(self.initial_rate, tf.float32))

  def _adapt_and_predict(self, support_x, support_y, query_x, num_steps,
                         learning_rate):
    query_x = checks.check_features(
        query_x, "query_x", [self._learner.features], self.max_query)
    weights = self._classifier(support_x, support_y, num_steps,
                               learning_rate, query_x)
    logits, = checks.diverged_check(
        [self._learner.predict(weights, query_x)], "outputs")
    return checks.named_outputs(logits, classifier=True)

  def _classifier(self, support_x, support_y, num_steps, learning_rate,
                  query_x=None):
    """The decoded, fine-tuned classifier of a checked support set."""
    learner = self._learner
    support_x = checks.check_features(
        support_x, "support_x", [learner.features], self.max_support)
    support_y = checks.check_class_labels(support_x, support_y,
                                          learner.ways)
    num_steps, learning_rate = checks.check_options(
        num_steps, learning_rate, self.max_steps)
    query_x = support_x[:0] if query_x is None else query_x
    adapted = learner.adapt(
        Task(support_x, support_y, query_x, query_x[:, :0]),
        num_steps=num_steps, max_steps=self.max_steps,
        rate_scale=learning_rate / self.initial_rate)
    weights, = checks.diverged_check(adapted.params, "adapted weights")
    return weights

  def _adapt(self, support_x, support_y):
    return {"state": self._state(support_x, support_y),
            "state_fingerprint": tf.identity(self.state_fingerprint)}

  def _state(self, support_x, support_y):
    weights = self._classifier(
        support_x, support_y,
        tf.constant(self._learner.num_latent_steps, tf.int32),
        tf.constant(self.initial_rate, tf.float32))
    # The logits average the K weights of a class (`LEO.logits`): their
    # mean is the same classifier, whatever K the request had.
    weights = tf.reduce_mean(weights, axis=1, keepdims=True)
    return states.flatten([weights])

  def _adapt_batch(self, support_x, support_y):
    """`adapt` of each task of `[tasks, points, features]` (the support
    cap bounds each task, whose relation network is quadratic in its
    points, and the request's points in all)."""
    support_x = checks.check_task_batch(
        support_x, "support_x", [self._learner.features],
        self.max_support * checks.MAX_TASKS)
    support_x, support_y = checks.after(
        [checks.same_tasks(support_x=support_x, support_y=support_y)],
        support_x, support_y)
    state = tf.map_fn(lambda task: self._state(*task),
                      (support_x, support_y),
                      fn_output_signature=tf.TensorSpec([self.state_size],
                                                        tf.float32))
    return {"state": state, "state_fingerprint": tf.fill(
        tf.shape(state)[:1], self.state_fingerprint)}

  def _predict_with_state_batch(self, state, state_fingerprint, query_x):
    query_x = checks.check_task_batch(
        query_x, "query_x", [self._learner.features], self.max_query)
    state = states.check_state_batch(state, state_fingerprint,
                                     self.state_fingerprint, self.state_size,
                                     tf.shape(query_x)[0])

    logits = tf.map_fn(lambda task: self._logits_of_state(*task),
                       (state, query_x), fn_output_signature=tf.float32)
    return checks.named_outputs(logits, classifier=True)

  def _logits_of_state(self, state, query_x):
    weights, = states.unflatten(state, [self.state_shape], [tf.float32])
    logits, = checks.diverged_check(
        [self._learner.predict(weights, query_x)], "outputs")
    return logits

  def _predict_with_state(self, state, state_fingerprint, query_x):
    state = states.check_state(state, state_fingerprint,
                               self.state_fingerprint, self.state_size)
    query_x = checks.check_features(
        query_x, "query_x", [self._learner.features], self.max_query)
    return checks.named_outputs(self._logits_of_state(state, query_x),
                                classifier=True)


# The relation network runs over all pairs of a request's support points:
# its cost is quadratic in their number, so LEO's cap comes from the model,
# ways x shots. The default covers the papers' 1- and 5-shot tasks with
# room; the most an export may allow keeps one request's pairs within a
# few hundred megabytes (README, serving).
DEFAULT_MAX_SHOTS = 25
MAX_SHOTS = 100


def support_cap(learner: leo_learner.LEO,
                max_support: Optional[int] = None) -> int:
  """A LEO adapter's most support points: `ways * DEFAULT_MAX_SHOTS`, or
  `max_support` where given (at most `ways * MAX_SHOTS`)."""
  if max_support is None:
    return learner.ways * DEFAULT_MAX_SHOTS
  max_support = int(max_support)
  if not 1 <= max_support <= learner.ways * MAX_SHOTS:
    raise ValueError(
        f"A LEO adapter's max_support must be in 1..{learner.ways * MAX_SHOTS}"
        f" (ways x {MAX_SHOTS} shots: its relation network's cost grows with "
        f"the square of the support points); received {max_support}.")
  return max_support


def export_leo_adapter(
    learner: leo_learner.LEO, path: str,
    max_steps: int = checks.DEFAULT_MAX_STEPS,
    max_support: Optional[int] = None,
    max_query: int = checks.DEFAULT_MAX_QUERY) -> LEOAdapterModule:
  """Writes the adapter SavedModel of a `LEO` learner to `path`.

  `max_support` defaults to ways x `DEFAULT_MAX_SHOTS` (`support_cap`).

  Returns:
    The `LEOAdapterModule` that was saved.
  """
  module = LEOAdapterModule(learner, max_steps, max_support, max_query)
  signatures = {
      "serving_default": module.adapt_and_predict,
      "adapt_and_predict": module.adapt_and_predict,
      "adapt_and_predict_with_options": module.adapt_and_predict_with_options,
      "adapt": module.adapt,
      "predict_with_state": module.predict_with_state,
      "adapt_batch": module.adapt_batch,
      "predict_with_state_batch": module.predict_with_state_batch,
  }
  versions.save_atomically(module, path, signatures)
  return module


def _export(learner, path, options):
  return export_leo_adapter(learner, path, options.max_steps,
                            options.max_support, options.max_query)


registry.register(leo_learner.LEO, _export)
