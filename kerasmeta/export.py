"""Few-shot adapters as SavedModels that TF Serving serves.

`export_adapter` writes a SavedModel whose signatures adapt inside the
served graph:

  adapt_and_predict(support_x, support_y, query_x)
      the meta-learned initial weights plus the inner loop (a bounded
      `tf.while_loop`) with the trained number of steps and learning rate,
      meta weights frozen (T, masks, Meta-SGD rates), masks at their most
      probable value so that the same request always gets the same answer.
  adapt_and_predict_with_options(support_x, support_y, query_x, num_steps,
                                 learning_rate)
      the same with the step count (0..max_steps) and learning rate chosen
      per request. (TF Serving requires every input of a signature, so the
      optional inputs live in a signature of their own.) For Meta-SGD,
      `learning_rate` scales the learned rates by learning_rate / alpha.
  predict(x)
      the meta-learned model without adaptation.

Outputs are named: `predictions`, and for classifiers also `probabilities`
and `classes`. Support and query sizes are dynamic, so one export serves 1-,
5- and 20-shot requests, up to the caps set at export (`max_support`,
`max_query`). Inputs are checked inside the graph, against their exact
shapes (the signatures declare no rank, so that no check is folded away
by a shape TF Serving does not enforce): a bad request fails with a message
saying what was wrong (feature shape, support sizes, labels out of range,
non-finite values, num_steps out of bounds, too many points). An adaptation
that diverges (adapted weights or outputs not finite) fails with
"adaptation diverged" instead of answering NaN. Inputs should be of the
scale the model was meta-trained on (features and regression targets
within a few orders of magnitude of it): an update of a model far outside
it can overflow.

Batch-norm in `task` mode (the MAML reference's) normalises the queries
with their own statistics: a query's answer then depends on the other
queries of the request. `export_adapter` refuses such a model unless
`allow_transductive=True` says that this is wanted; meta-train with
`batch_norm="running"` for answers that depend on each query alone.

The module tracks the raw `tf.Variable`s behind the Keras variables, not the
Keras model, so that TF Serving's C++ loader finds every variable
(tensorflow#72963, keras#20095). `export_adapted` writes a model already
adapted to one support set as `serving_default`.
"""

import os

import keras
import tensorflow as tf

from kerasmeta import functional
from kerasmeta.algorithms import gradient_learner


CLASSIFIER_LOSSES = ("sparse_softmax_cross_entropy",)
DEFAULT_MAX_STEPS = 100
DEFAULT_MAX_SUPPORT = 10_000
DEFAULT_MAX_QUERY = 10_000


def _raw_variables(variables):
  return [v.value if isinstance(v, keras.Variable) else v for v in variables]


def _refuse_nonfinite(named_values):
  """Refuses to export `(name, value)` pairs holding NaN or Inf."""
  nonfinite = [name for name, value in named_values
               if not bool(tf.reduce_all(tf.math.is_finite(value)))]
  if nonfinite:
    raise ValueError(f"Refusing to export: weights {nonfinite} are not "
                     "finite (a diverged run); every answer would be NaN.")


def _feature_shape(model):
  shape = model.inputs[0].shape if getattr(model, "inputs", None) else \
      model.input_shape
  return [int(d) for d in shape[1:]]


def _after(checks, *values):
  """`values` made to wait for `checks`, so no op sees an unchecked input."""
  with tf.control_dependencies([c for c in checks if c is not None]):
    values = [tf.identity(v) for v in values]
  return values[0] if len(values) == 1 else values


def _shape_is(tensor, expected_tail):
  """Whether `tensor` is [n, *expected_tail] (safe for any rank)."""
  shape = tf.shape(tensor)
  rank = len(expected_tail) + 1
  padded = tf.concat([shape, tf.zeros([rank], tf.int32)], 0)[1:rank]
  return tf.logical_and(
      tf.equal(tf.size(shape), rank),
      tf.reduce_all(tf.equal(padded, tf.constant(expected_tail, tf.int32))))


def _check_features(x, name, feature_shape, max_points=None):
  """x, checked at run time to be [points >= 1, *feature_shape] and finite
  (and at most `max_points` points)."""
  wanted = f"[points, {', '.join(map(str, feature_shape))}]"
  checks = [
      tf.debugging.Assert(_shape_is(x, feature_shape),
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
  x = tf.reshape(_after(checks, x), [-1, *feature_shape])
  return tf.debugging.check_numerics(x, f"{name} holds NaN or Inf values")


def _same_count(support_x, support_y):
  return tf.debugging.assert_equal(
      tf.shape(support_y)[0], tf.shape(support_x)[0],
      message="support_x and support_y must hold the same number of points")


def check_class_labels(support_x, support_y, num_classes):
  """Integer labels `[points]` or `[points, 1]` in 0..num_classes-1, one
  per support point (checked at run time); returned as `[points, 1]`."""
  rank = tf.size(tf.shape(support_y))
  checks = [
      _same_count(support_x, support_y),
      tf.debugging.Assert(
          tf.logical_or(tf.equal(rank, 1), _shape_is(support_y, [1])),
          ["support_y must have shape [points] (or [points, 1]); received",
           tf.shape(support_y)]),
      tf.debugging.assert_non_negative(
          support_y, message="support_y labels must be >= 0"),
      tf.debugging.assert_less(
          support_y, num_classes,
          message=f"support_y labels must be < {num_classes} (the model's "
                  "number of classes)")]
  return _after(checks, tf.reshape(support_y, [-1, 1]))


def check_options(num_steps, learning_rate, max_steps):
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
  return _after(checks, num_steps, learning_rate)


def _diverged_check(values, what):
  """`values`, checked to be finite: else "adaptation diverged"."""
  return [tf.debugging.check_numerics(
      value, f"adaptation diverged: the {what} are not finite; lower "
             "learning_rate or num_steps, or bring the inputs to the scale "
             "of meta-training") for value in values]


def _named_outputs(outputs, classifier):
  """`predictions`, and for classifiers `probabilities` and `classes`."""
  if not classifier:
    return {"predictions": outputs}
  return {"predictions": outputs,
          "probabilities": tf.nn.softmax(outputs, axis=-1),
          "classes": tf.argmax(outputs, axis=-1, output_type=tf.int32)}


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

  def __init__(self, learner, loss_name, max_steps=DEFAULT_MAX_STEPS,
               max_support=DEFAULT_MAX_SUPPORT, max_query=DEFAULT_MAX_QUERY):
    super().__init__(name="kerasmeta_adapter")
    model = learner.model
    # A MetaLearner is a plain object, so tf.Module does not track it (nor
    # the Keras model inside it): only the raw variables below are saved.
    self._learner = learner
    variables = list(model.variables) + list(learner.extra_variables)
    _refuse_nonfinite([(v.path, v) for v in variables])
    self.tracked_variables = _raw_variables(variables)
    self.classifier = loss_name in CLASSIFIER_LOSSES
    self.feature_shape = _feature_shape(model)
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
    # No declared rank: TF Serving does not enforce one, and a declared
    # rank lets the graph fold the shape checks away.
    x_spec = lambda name: tf.TensorSpec(None, tf.float32, name)
    y_spec = tf.TensorSpec(None, tf.int32 if self.classifier else tf.float32,
                           "support_y")
    self.adapt_and_predict = tf.function(
        self._adapt_and_predict_defaults,
        input_signature=[x_spec("support_x"), y_spec, x_spec("query_x")])
    self.adapt_and_predict_with_options = tf.function(
        self._adapt_and_predict,
        input_signature=[x_spec("support_x"), y_spec, x_spec("query_x"),
                         tf.TensorSpec([], tf.int32, "num_steps"),
                         tf.TensorSpec([], tf.float32, "learning_rate")])
    self.predict = tf.function(self._predict, input_signature=[x_spec("x")])

  def _check_targets(self, support_x, support_y):
    """support_y, checked against support_x and the model's outputs."""
    if self.classifier:
      return check_class_labels(support_x, support_y, self.num_classes)
    checks = [_same_count(support_x, support_y), tf.debugging.Assert(
        _shape_is(support_y, self.target_shape),
        [f"support_y must have shape [points, "
         f"{', '.join(map(str, self.target_shape))}]; received",
         tf.shape(support_y)])]
    support_y = _after(checks, tf.reshape(support_y, [-1, *self.target_shape]))
    return tf.debugging.check_numerics(support_y,
                                       "support_y holds NaN or Inf values")

  def _adapt_and_predict_defaults(self, support_x, support_y, query_x):
    return self._adapt_and_predict(
        support_x, support_y, query_x,
        tf.constant(self.default_num_steps, tf.int32),
        tf.constant(self.default_learning_rate, tf.float32))

  def _adapt_and_predict(self, support_x, support_y, query_x, num_steps,
                         learning_rate):
    from kerasmeta.tasks import Task  # pylint: disable=g-import-not-at-top
    support_x = _check_features(support_x, "support_x", self.feature_shape,
                                self.max_support)
    query_x = _check_features(query_x, "query_x", self.feature_shape,
                              self.max_query)
    support_y = self._check_targets(support_x, support_y)
    num_steps, learning_rate = check_options(num_steps, learning_rate,
                                             self.max_steps)
    task = Task(support_x, support_y, query_x, query_x[:, :0])
    adapted = _diverged_check(self._learner.adapt(
        task, num_steps=num_steps, max_steps=self.max_steps,
        deterministic=True, learning_rate=learning_rate).params,
                              "adapted weights")
    outputs, = _diverged_check([self._learner.predict(adapted, query_x)],
                               "outputs")
    return _named_outputs(outputs, self.classifier)

  def _predict(self, x):
    x = _check_features(x, "x", self.feature_shape, self.max_query)
    initial = self._learner.initial_values()
    return _named_outputs(self._learner.predict(initial, x), self.classifier)


def export_adapter(learner, path, loss_name=None, max_steps=DEFAULT_MAX_STEPS,
                   max_support=DEFAULT_MAX_SUPPORT, max_query=DEFAULT_MAX_QUERY,
                   allow_transductive=False):
  """Writes the adapter SavedModel of `learner` to `path`.

  Args:
    learner: a `GradientLearner`, or `LEO` (`export_leo`: the same
      adapt_and_predict signatures, no `predict`), or a
      `PolicyGradientMAML` (`export_policy`: act, adapt_and_act).
    path: the SavedModel directory (for TF Serving: MODEL_DIR/<version>).
    loss_name: the learner's loss name (default: found from its loss).
    max_steps: the largest `num_steps` a request may ask for.
    max_support: the most support points a request may send.
    max_query: the most query points a request may send.
    allow_transductive: export a model whose batch-norm normalises the
      queries with their own statistics (`batch_norm="task"`), so that an
      answer depends on the request's other queries.

  Returns:
    The `AdapterModule` that was saved.
  """
  from kerasmeta.algorithms import leo  # pylint: disable=g-import-not-at-top
  from kerasmeta.algorithms import policy_gradient_maml  # pylint: disable=g-import-not-at-top
  if isinstance(learner, policy_gradient_maml.PolicyGradientMAML):
    from kerasmeta import export_policy  # pylint: disable=g-import-not-at-top
    # Its support set is transitions: max_support caps their number.
    return export_policy.export_policy_adapter(
        learner, path, max_transitions=max_support, max_query=max_query)
  if isinstance(learner, leo.LEO):
    from kerasmeta import export_leo  # pylint: disable=g-import-not-at-top
    return export_leo.export_leo_adapter(learner, path, max_steps,
                                         max_support, max_query)
  _check_learner(learner)
  _refuse_transductive(learner, allow_transductive)
  loss_name = loss_name or _loss_name(learner)
  module = AdapterModule(learner, loss_name, max_steps, max_support,
                         max_query)
  signatures = {
      "serving_default": module.adapt_and_predict,
      "adapt_and_predict": module.adapt_and_predict,
      "adapt_and_predict_with_options": module.adapt_and_predict_with_options,
      "predict": module.predict,
  }
  tf.saved_model.save(module, path, signatures=signatures)
  return module


def _check_learner(learner):
  """Refuses a learner that does not adapt a model by gradient steps."""
  if not isinstance(learner, gradient_learner.GradientLearner):
    raise TypeError(
        "An adapter serves a GradientLearner (MAML, Meta-SGD, T-/MT-net, "
        f"Reptile, Leap, WarpGrad) or LEO; received "
        f"{type(learner).__name__}.")


def _refuse_transductive(learner, allow_transductive):
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


def _loss_name(learner):
  from kerasmeta import losses  # pylint: disable=g-import-not-at-top
  for name, fn in losses.LOSSES.items():
    if fn is learner.loss_fn:
      return name
  return "custom"


class AdaptedModule(tf.Module):
  """A model already adapted to one support set: `serving_default(x)`."""

  def __init__(self, learner, adapted, loss_name):
    super().__init__(name="kerasmeta_adapted")
    self._learner = learner
    roles = learner.roles
    _refuse_nonfinite(
        [(w.path, v) for w, v in zip(roles.adapted, adapted)]
        + [(w.path, w) for w in roles.meta + roles.state])
    self.adapted_weights = [tf.Variable(v, trainable=False,
                                        name=w.name.replace(":", "_"))
                            for w, v in zip(roles.adapted, adapted)]
    self.tracked_variables = _raw_variables(
        roles.meta + roles.state)
    self.classifier = loss_name in CLASSIFIER_LOSSES
    self.feature_shape = _feature_shape(learner.model)
    self.serve = tf.function(
        self._serve, input_signature=[tf.TensorSpec(None, tf.float32, "x")])

  def _serve(self, x):
    x = _check_features(x, "x", self.feature_shape, DEFAULT_MAX_QUERY)
    return _named_outputs(self._learner.predict(
        [v.read_value() for v in self.adapted_weights], x), self.classifier)


def export_adapted(learner, support, path, num_steps=None, seed=None,
                   loss_name=None, allow_transductive=False):
  """Adapts `learner` to `support` in Python and saves the adapted model.

  Args:
    learner: a `MetaLearner`.
    support: `(support_x, support_y)` or a `Task` (its support set is used).
    path: the SavedModel directory.
    num_steps: inner steps (default: the trained number).
    seed: mask seed; None uses the masks' most probable values.
    loss_name: as in `export_adapter`.
    allow_transductive: as in `export_adapter`.

  Returns:
    The adapted weights (tensors).
  """
  _refuse_transductive(learner, allow_transductive)
  from kerasmeta.tasks import Task  # pylint: disable=g-import-not-at-top
  if isinstance(support, Task):
    support_x, support_y = support.support_x, support.support_y
  else:
    support_x, support_y = support
  support_x = tf.convert_to_tensor(support_x, tf.float32)
  support_y = tf.convert_to_tensor(support_y)
  task = Task(support_x, support_y, support_x, support_y)
  adapted = learner.adapt(task, seed=seed, num_steps=num_steps,
                          deterministic=seed is None).params
  module = AdaptedModule(learner, adapted, loss_name or _loss_name(learner))
  tf.saved_model.save(module, path,
                      signatures={"serving_default": module.serve})
  return adapted


def next_version(model_dir):
  """1 + the largest numeric version folder in `model_dir` (1 if none)."""
  if not os.path.isdir(model_dir):
    return 1
  versions = [int(name) for name in os.listdir(model_dir) if name.isdigit()]
  return max(versions, default=0) + 1
