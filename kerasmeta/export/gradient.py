# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Adapters of gradient learners (MAML, Meta-SGD, T-/MT-nets, Reptile,
Leap, WarpGrad): the meta-learned model and its inner loop in the served
graph (`AdapterModule`), or a model adapted once (`export_adapted`).

The module tracks the raw `tf.Variable`s behind the Keras variables, not the
Keras model, so that TF Serving's C++ loader finds every variable
(tensorflow#72963, keras#20095).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

from kerasmeta import functional
from kerasmeta import losses
from kerasmeta.algorithms import gradient_learner
from kerasmeta.export import checks
from kerasmeta.export import registry
from kerasmeta.export import states
from kerasmeta.export import versions
from kerasmeta.tasks import base as tasks_base

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Seed


class AdapterModule(tf.Module):
  """The served adapter of a meta-learner (see the module docstring).

  Args:
    learner: a `MetaLearner`.
    loss_name: the learner's loss name; classifiers are recognised by it.
    max_steps: the largest `num_steps` a request may ask for (a static bound
      of the in-graph loop).
    max_support: the most support points a request may send.
    max_query: the most query points a request may send.
  """

  def __init__(self, learner: gradient_learner.GradientLearner, loss_name: str,
               max_steps: int = checks.DEFAULT_MAX_STEPS,
               max_support: int = checks.DEFAULT_MAX_SUPPORT,
               max_query: int = checks.DEFAULT_MAX_QUERY) -> None:
    super().__init__(name="kerasmeta_adapter")
    model = learner.model
    # A MetaLearner is a plain object, so tf.Module does not track it (nor
    # the Keras model inside it): only the raw variables below are saved.
    self._learner = learner
    variables = list(model.variables) + list(learner.extra_variables)
    checks.refuse_nonfinite([(v.path, v) for v in variables])
    self.tracked_variables = checks.raw_variables(variables)
    self.classifier = loss_name in checks.CLASSIFIER_LOSSES
    self.feature_shape = checks.feature_shape(model)
    output_shape = model.outputs[0].shape if getattr(model, "outputs", None) \
        else model.compute_output_shape([1, *self.feature_shape])
    self.num_classes = int(output_shape[-1]) if self.classifier else None
    self.target_shape = [] if self.classifier else [int(output_shape[-1])]
    self.max_steps = int(max_steps)
    self.max_support, self.max_query = int(max_support), int(max_query)
    if self.max_support < 1 or self.max_query < 1:
      raise ValueError(f"max_support and max_query must be >= 1; received "
                       f"{max_support} and {max_query}.")
    self.default_num_steps = int(learner.num_inner_steps)
    self.default_learning_rate = float(learner.inner_learning_rate)
    if not 0 <= self.default_num_steps <= self.max_steps:
      raise ValueError(f"The trained num_inner_steps "
                       f"({self.default_num_steps}) exceeds max_steps "
                       f"({self.max_steps}).")
    self.adapt_and_predict, self.adapt_and_predict_with_options = \
        checks.adapt_and_predict_functions(
            self._adapt_and_predict_defaults, self._adapt_and_predict,
            tf.int32 if self.classifier else tf.float32)
    self.predict = tf.function(self._predict, input_signature=[
        tf.TensorSpec(None, tf.float32, "x")])
    # Adapt once, predict many times (`kerasmeta.export.states`).
    self.state_shapes, self.state_dtypes, self.state_size = states.layout(
        learner.roles.adapted)
    self.state_fingerprint = tf.constant(states.fingerprint(
        [(v.path, v.numpy()) for v in variables]))
    # Many users per request (the _batch forms): a leading task axis, every
    # task the same size.
    (self.adapt, self.predict_with_state, self.adapt_batch,
     self.predict_with_state_batch) = states.state_functions(
         self, tf.int32 if self.classifier else tf.float32)

  def _check_targets(self, support_x, support_y):
    """support_y, checked against support_x and the model's outputs."""
    if self.classifier:
      return checks.check_class_labels(support_x, support_y, self.num_classes)
    conditions = [
        checks.same_count(support_x, support_y), tf.debugging.Assert(
            checks.shape_is(support_y, self.target_shape),
            [f"support_y must have shape [points, "
             f"{', '.join(map(str, self.target_shape))}]; received",
             tf.shape(support_y)])]
    support_y = checks.after(
        conditions, tf.reshape(support_y, [-1, *self.target_shape]))
    return tf.debugging.check_numerics(support_y,
                                       "support_y holds NaN or Inf values")

  def _adapt_and_predict_defaults(self, support_x, support_y, query_x):
    return self._adapt_and_predict(
        support_x, support_y, query_x,
        tf.constant(self.default_num_steps, tf.int32),
        tf.constant(self.default_learning_rate, tf.float32))

  def _adapt_and_predict(self, support_x, support_y, query_x, num_steps,
                         learning_rate):
    query_x = checks.check_features(query_x, "query_x", self.feature_shape,
                                    self.max_query)
    adapted = self._adapted_weights(support_x, support_y, num_steps,
                                    learning_rate, query_x)
    outputs, = checks.diverged_check(
        [self._learner.predict(adapted, query_x)], "outputs")
    return checks.named_outputs(outputs, self.classifier)

  def _adapted_weights(self, support_x, support_y, num_steps,
                       learning_rate, query_x=None):
    """The inner loop on a checked support set (the served adaptation;
    `query_x`, checked, rides in the task as it did in Python)."""
    support_x = checks.check_features(support_x, "support_x",
                                      self.feature_shape, self.max_support)
    support_y = self._check_targets(support_x, support_y)
    num_steps, learning_rate = checks.check_options(
        num_steps, learning_rate, self.max_steps)
    query_x = support_x[:0] if query_x is None else query_x
    task = tasks_base.Task(support_x, support_y, query_x, query_x[:, :0])
    return checks.diverged_check(self._learner.adapt(
        task, num_steps=num_steps, max_steps=self.max_steps,
        deterministic=True, learning_rate=learning_rate).params,
                                 "adapted weights")

  def _adapt(self, support_x, support_y):
    """`adapt`: the task's state with the trained adaptation."""
    adapted = self._adapted_weights(
        support_x, support_y, tf.constant(self.default_num_steps, tf.int32),
        tf.constant(self.default_learning_rate, tf.float32))
    return {"state": states.flatten(adapted),
            "state_fingerprint": tf.identity(self.state_fingerprint)}

  def _predict_with_state(self, state, state_fingerprint, query_x):
    """`predict_with_state`: queries answered from a stored state."""
    state = states.check_state(state, state_fingerprint,
                               self.state_fingerprint, self.state_size)
    query_x = checks.check_features(query_x, "query_x", self.feature_shape,
                                    self.max_query)
    return checks.named_outputs(self._outputs_of_state(state, query_x),
                                self.classifier)

  def _outputs_of_state(self, state, query_x):
    adapted = states.unflatten(state, self.state_shapes, self.state_dtypes)
    outputs, = checks.diverged_check(
        [self._learner.predict(adapted, query_x)], "outputs")
    return outputs

  def _adapt_batch(self, support_x, support_y):
    """`adapt_batch`: `adapt` of each task of `[tasks, points, ...]`."""
    support_x = checks.check_task_batch(support_x, "support_x",
                                        self.feature_shape, self.max_support)
    support_x, support_y = checks.after(
        [checks.same_tasks(support_x=support_x, support_y=support_y)],
        support_x, support_y)
    steps = tf.constant(self.default_num_steps, tf.int32)
    rate = tf.constant(self.default_learning_rate, tf.float32)
    state = tf.map_fn(
        lambda task: states.flatten(self._adapted_weights(
            task[0], task[1], steps, rate)), (support_x, support_y),
        fn_output_signature=tf.TensorSpec([self.state_size], tf.float32))
    return {"state": state, "state_fingerprint": tf.fill(
        tf.shape(state)[:1], self.state_fingerprint)}

  def _predict_with_state_batch(self, state, state_fingerprint, query_x):
    """`predict_with_state_batch`: task t's queries from its state."""
    query_x = checks.check_task_batch(query_x, "query_x",
                                      self.feature_shape, self.max_query)
    state = states.check_state_batch(state, state_fingerprint,
                                     self.state_fingerprint, self.state_size,
                                     tf.shape(query_x)[0])
    outputs = tf.map_fn(lambda task: self._outputs_of_state(*task),
                        (state, query_x), fn_output_signature=tf.float32)
    return checks.named_outputs(outputs, self.classifier)

  def _predict(self, x):
    x = checks.check_features(x, "x", self.feature_shape, self.max_query)
    initial = self._learner.initial_values()
    return checks.named_outputs(self._learner.predict(initial, x),
                                self.classifier)


def export_gradient_adapter(learner: gradient_learner.GradientLearner,
                            path: str,
                            options: registry.ExportOptions) -> AdapterModule:
  """Writes the adapter SavedModel of a `GradientLearner` (see
  `kerasmeta.export`); returns the saved `AdapterModule`."""
  refuse_transductive(learner, options.allow_transductive)
  dtypes = {v.dtype for v in learner.roles.adapted}
  if dtypes != {"float32"}:
    raise ValueError(
        f"The adapter serves float32 requests; this network's adapted "
        f"weights are {sorted(dtypes)}: export a float32 copy of it (mixed "
        "precision keeps float32 weights and exports).")
  module = AdapterModule(learner, options.loss_name or loss_name_of(learner),
                         options.max_steps,
                         options.max_support or checks.DEFAULT_MAX_SUPPORT,
                         options.max_query)
  signatures = {
      "serving_default": module.adapt_and_predict,
      "adapt_and_predict": module.adapt_and_predict,
      "adapt_and_predict_with_options": module.adapt_and_predict_with_options,
      "predict": module.predict,
      "adapt": module.adapt,
      "predict_with_state": module.predict_with_state,
      "adapt_batch": module.adapt_batch,
      "predict_with_state_batch": module.predict_with_state_batch,
  }
  versions.save_atomically(module, path, signatures)
  return module


registry.register(gradient_learner.GradientLearner, export_gradient_adapter)


def refuse_transductive(learner: gradient_learner.GradientLearner,
                        allow_transductive: bool) -> None:
  """Refuses a model whose batch-norm normalises with each batch's
  statistics outside meta-training, unless `allow_transductive`."""
  has_batch_norm = any(
      isinstance(layer, keras.layers.BatchNormalization)
      for layer in functional.all_layers(learner.model))
  if has_batch_norm and learner.inference_training and not allow_transductive:
    raise ValueError(
        f"{learner.model.name!r} has batch-norm layers that normalise with "
        "each batch's statistics (batch_norm='task'): a served query's answer "
        "would depend on the other queries of its request. Meta-train with "
        "batch_norm='running', or pass allow_transductive=True (the app: "
        "--allow_transductive) if that is what you want.")


def loss_name_of(learner: gradient_learner.GradientLearner) -> str:
  for name, fn in losses.LOSSES.items():
    if fn is learner.loss_fn:
      return name
  return "custom"


class AdaptedModule(tf.Module):
  """A model already adapted to one support set: `serving_default(x)`."""

  def __init__(self, learner: gradient_learner.GradientLearner,
               adapted: Sequence[tf.Tensor], loss_name: str) -> None:
    super().__init__(name="kerasmeta_adapted")
    self._learner = learner
    roles = learner.roles
    checks.refuse_nonfinite(
        [(w.path, v) for w, v in zip(roles.adapted, adapted)]
        + [(w.path, w) for w in roles.meta + roles.state])
    self.adapted_weights = [tf.Variable(v, trainable=False,
                                        name=w.name.replace(":", "_"))
                            for w, v in zip(roles.adapted, adapted)]
    self.tracked_variables = checks.raw_variables(
        roles.meta + roles.state)
    self.classifier = loss_name in checks.CLASSIFIER_LOSSES
    self.feature_shape = checks.feature_shape(learner.model)
    self.serve = tf.function(
        self._serve, input_signature=[tf.TensorSpec(None, tf.float32, "x")])

  def _serve(self, x):
    x = checks.check_features(x, "x", self.feature_shape,
                              checks.DEFAULT_MAX_QUERY)
    return checks.named_outputs(self._learner.predict(
        [v.read_value() for v in self.adapted_weights], x), self.classifier)


def export_adapted(learner: gradient_learner.GradientLearner, support: Any,
                   path: str, num_steps: Optional[IntLike] = None,
                   seed: Optional[Seed] = None, loss_name: Optional[str] = None,
                   allow_transductive: bool = False) -> list[tf.Tensor]:
  """Adapts `learner` to `support` in Python and saves the adapted model.

  Args:
    learner: a `GradientLearner` (it adapts with `deterministic=True`).
    support: `(support_x, support_y)` or a `Task` (its support set is used).
    path: the SavedModel directory.
    num_steps: inner steps (default: the trained number).
    seed: mask seed; None uses the masks' most probable values.
    loss_name: as in `export_adapter`.
    allow_transductive: as in `export_adapter`.

  Returns:
    The adapted weights (tensors).
  """
  refuse_transductive(learner, allow_transductive)
  if isinstance(support, tasks_base.Task):
    support_x, support_y = support.support_x, support.support_y
  else:
    support_x, support_y = support
  support_x = tf.convert_to_tensor(support_x, tf.float32)
  support_y = tf.convert_to_tensor(support_y)
  task = tasks_base.Task(support_x, support_y, support_x, support_y)
  adapted = learner.adapt(task, seed=seed, num_steps=num_steps,
                          deterministic=seed is None).params
  module = AdaptedModule(learner, adapted, loss_name or loss_name_of(learner))
  versions.save_atomically(module, path,
                           {"serving_default": module.serve})
  return adapted
