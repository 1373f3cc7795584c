# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Meta-training the Keras way: `compile`, `fit`, `evaluate`, `predict`.

`MetaModel(learner)` is a `keras.Model` whose training step is the
learner's meta-step, so Keras' loop, callbacks and distribution run
meta-training:

    meta_model = km.MetaModel(km.MAML(model, loss="sparse_softmax_cross_entropy"),
                              metrics=["accuracy"])
    meta_model.compile(optimizer=keras.optimizers.Adam(1e-3))
    meta_model.fit(train_batches, epochs=10, steps_per_epoch=100,
                   validation_data=validation_batches, validation_steps=10,
                   callbacks=[keras.callbacks.EarlyStopping("val_accuracy")])

A batch (an element of the datasets) is a batched `Task` or a `(tasks,
seeds)` pair, as `TaskDistribution.dataset` yields them; seeds are int32
[tasks, 2] (learners that sample masks need them).

* `fit` takes one meta-step per batch: the learner's `train_step` (for
  most, `compute_gradients` and the optimiser's update; learners that keep
  state between meta-steps train with `kerasmeta.training.Trainer`). Its
  logs are the learner's `metric_names` (means over the epoch's tasks so
  far).
* `evaluate` adapts each task on its support set
  (`num_eval_steps` inner steps) and reports the query `loss` and the
  `metrics` after adaptation (validation logs: `val_loss`, ...).
* `predict` adapts on each task's support set and returns the predictions
  of its queries, `[tasks, queries, ...]`.

Saving: `save_weights` / `load_weights` (so `ModelCheckpoint(...,
save_weights_only=True)` and `BackupAndRestore`) save the network, the
learner's own meta weights (Meta-SGD's rates, ...) and the optimiser. The
network alone saves as any Keras model (`meta_model.network.save(...)`).
"""

import keras
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta.algorithms import base as algorithms_base
from kerasmeta import evaluation
from kerasmeta.tasks import base as tasks_base
from kerasmeta.training import optimizers
from kerasmeta.training import steps

METRICS = {"accuracy": evaluation.accuracy}


def _task_metrics(metrics):
  """`{name: (y_true, y_pred) -> scalar}` of one task, from names, Keras
  metrics and functions (a dict names them itself).

  A Keras metric (an object, or a name `keras.metrics.get` knows, such as
  "sparse_categorical_accuracy") keeps its meaning and its name: it is
  computed from its initial state on each task alone (its stateless API),
  never accumulated across tasks or batches. A function's values are
  averaged over the task's queries.
  """
  if isinstance(metrics, dict):
    return {name: _per_task(metric, name)[1]
            for name, metric in metrics.items()}
  resolved = {}
  for metric in metrics or ():
    name, function = _per_task(metric)
    if name in resolved:
      raise ValueError(f"Two metrics are named {name!r}; pass a dict to "
                       "name them.")
    resolved[name] = function
  if "loss" in resolved:
    raise ValueError("'loss' is always reported (the learner's loss); "
                     "name the metric otherwise.")
  return resolved


def _per_task(metric, name=None):
  """`(name, per-task function)` of one metric."""
  if isinstance(metric, str):
    if metric in METRICS:
      return name or metric, METRICS[metric]
    try:
      found = keras.metrics.get(metric)
    except ValueError:
      raise ValueError(f"Unknown metric {metric!r}; known: "
                       f"{sorted(METRICS)}, Keras' metric names and "
                       "objects, or a function (y_true, y_pred) -> "
                       "scalar.") from None
    return _per_task(found, name or metric)
  if isinstance(metric, keras.metrics.Metric):
    return name or metric.name, _stateless(metric)
  if callable(metric):
    name = name or getattr(metric, "__name__", "<lambda>")
    if name.startswith("<"):
      raise ValueError(f"Name the metric {metric!r}: pass "
                       "metrics={'name': function}.")
    return name, lambda y_true, y_pred: tf.reduce_mean(
        tf.cast(metric(y_true, y_pred), tf.float32))
  raise TypeError(f"A metric is a name, a Keras metric or a function; "
                  f"received {type(metric).__name__}.")


def _stateless(metric):
  """A Keras metric of one task from its initial state (a fresh copy's, so
  the state of the object passed in does not leak in)."""
  fresh = type(metric).from_config(metric.get_config())
  initial = [tf.constant(variable.numpy()) for variable in fresh.variables]

  def per_task(y_true, y_pred):
    state = fresh.stateless_update_state(list(initial), y_true, y_pred)
    return tf.cast(fresh.stateless_result(state), tf.float32)
  return per_task


def _owning_layers(learner):
  """The Keras layers holding the learner's variables: its model, and the
  layers it owns (learned rates, inner optimisers)."""
  found = [learner.model]
  for value in vars(learner).values():
    if isinstance(value, keras.layers.Layer) and all(
        value is not layer for layer in found):
      found.append(value)
  return found


class MetaModel(keras.Model):
  """A `keras.Model` that meta-trains a learner with `fit`.

  Args:
    learner: a kerasmeta learner with a model (`MAML`, `MetaSGD`,
      `Reptile`, `Leap`, online `WarpGrad`, ...). Build it, and create
      this model, under `strategy.scope()` to distribute.
    metrics: task metrics `evaluate` reports after adaptation besides the
      loss: names (`"accuracy"`) or functions `(y_true, y_pred) -> scalar`,
      or a dict of them by name.
    num_eval_steps: inner steps of `evaluate` and `predict` (default: the
      learner's `num_inner_steps`).
    deterministic_eval: masks at their most probable value in `evaluate`
      and `predict` instead of sampled.
    name: the model's name.
  """

  def __init__(self, learner, metrics=None, num_eval_steps=None,
               deterministic_eval=False, name="meta_model"):
    if not isinstance(learner, algorithms.MetaLearner) or \
        learner.model is None:
      raise TypeError(f"MetaModel wraps a kerasmeta learner with a Keras "
                      f"model; received {type(learner).__name__}.")
    if learner.train_state(1):
      raise ValueError(
          f"{type(learner).__name__} keeps state from one meta-step to the "
          f"next ({sorted(learner.train_state(1))}): train it with "
          "kerasmeta.training.Trainer, which checkpoints that state.")
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas > 1 and not learner.distributes:
      raise ValueError(
          f"{type(learner).__name__}'s meta-step runs on one replica; "
          f"received a strategy with {replicas}.")
    scales = [scale for scale, variables in learner.variable_groups()
              if variables]
    if any(scale != 1.0 for scale in scales):
      raise ValueError(
          f"{type(learner).__name__} steps its variable groups with "
          f"learning-rate scales {scales} (e.g. WarpGrad's init_step_scale), "
          "which one Keras optimiser cannot honour: train it with "
          "kerasmeta.training.Trainer, or use a scale of 1.")
    if num_eval_steps is not None and int(num_eval_steps) < 0:
      raise ValueError(f"num_eval_steps must be >= 0; received "
                       f"{num_eval_steps}.")
    super().__init__(name=name)
    self.learner = learner
    self.network = learner.model
    self.meta_layers = _owning_layers(learner)[1:]
    for layer in self.meta_layers:  # their weights exist: nothing to build
      layer.built = True
    owned = {id(v) for layer in [self.network] + self.meta_layers
             for v in layer.weights}
    missing = [v.path for v in learner.trainable_variables
               if id(v) not in owned]
    if missing:
      raise ValueError(f"{type(learner).__name__} trains variables that no "
                       f"Keras layer of it holds, which saving would lose: "
                       f"{missing}.")
    self.task_metrics = _task_metrics(metrics)
    self.num_eval_steps = (None if num_eval_steps is None
                           else int(num_eval_steps))
    self.deterministic_eval = bool(deterministic_eval)
    # Batches of a task stream drawn so far (`fit` on a `TaskStream`):
    # saved with the weights, so a restored fit continues the stream.
    self.batches_seen = keras.Variable(0, dtype="int64", trainable=False,
                                       name="batches_seen")
    self._stream = None
    self.train_trackers = [keras.metrics.Mean(name=name)
                           for name in learner.metric_names]
    self.eval_trackers = [keras.metrics.Mean(name=name) for name in
                          ["loss"] + list(self.task_metrics)]
    self.built = True

  # ------------------------------------------------------------ Keras API
  @property
  def trainable_weights(self):
    """What the outer optimiser trains: the learner's variables, in its
    order."""
    return list(self.learner.trainable_variables)

  def compile(self, optimizer=None, loss=None, metrics=None,
              jit_compile="auto", steps_per_execution=1, **kwargs):
    """Configures meta-training.

    Args:
      optimizer: the outer optimiser (default: Adam 1e-3 with the papers'
        epsilon, 1e-8).
      loss: refused: the learner holds the task loss.
      metrics: refused: pass them to `MetaModel(metrics=...)`.
      jit_compile: XLA for the steps: "auto" (kerasmeta's choice: not for
        convolutional networks on CPU, where XLA's second-order
        convolutions are slow), True or False.
      steps_per_execution: meta-steps per compiled call.
      **kwargs: other `keras.Model.compile` arguments.
    """
    if loss is not None or metrics is not None or kwargs.get(
        "weighted_metrics") is not None:
      raise ValueError(
          "MetaModel takes no loss or metrics in compile(): the learner "
          "holds the task loss, and task metrics go to "
          "MetaModel(learner, metrics=[...]).")
    if optimizer is None:
      optimizer = keras.optimizers.Adam(
          1e-3, epsilon=optimizers.REFERENCE_ADAM_EPSILON)
    jit_compile = steps.resolve_jit_compile(self.learner, jit_compile)
    super().compile(optimizer=optimizer, jit_compile=jit_compile,
                    steps_per_execution=steps_per_execution, **kwargs)
    # Built for every trained variable now: a learner whose step applies
    # gradients to a part of them at a time (WarpGrad's offline scheme)
    # would otherwise build it for the first part only.
    if not self.optimizer.built:
      self.optimizer.build(self.trainable_weights)

  def fit(self, x=None, *args, tasks_per_batch=None, seed=0, **kwargs):
    """`keras.Model.fit` over batches of tasks.

    `x` is a `tf.data.Dataset` of batches (it brings its own order:
    `shuffle` defaults to False; a fit started again starts it again), or a
    task stream (`kerasmeta.tasks.TaskStream`), whose batch `i` of
    `tasks_per_batch` tasks the step makes from `seed` and its count of
    batches drawn (`batches_seen`, saved with the weights): a fit that
    `keras.callbacks.BackupAndRestore` resumes continues the stream where
    the saved state stood, exactly. A stream needs `steps_per_epoch`.
    """
    if isinstance(x, tasks_base.TaskStream):
      if tasks_per_batch is None or kwargs.get("steps_per_epoch") is None:
        raise ValueError("fit on a task stream needs tasks_per_batch and "
                         "steps_per_epoch (a stream has no end).")
      replicas = tf.distribute.get_strategy().num_replicas_in_sync
      if replicas > 1:
        raise ValueError(f"fit on a task stream runs on one replica; "
                         f"received a strategy with {replicas} (pass the "
                         "stream's dataset instead).")
      stream = (x, int(seed), int(tasks_per_batch))
      x = tf.data.Dataset.from_tensors(tf.zeros([], tf.int64)).repeat()
    else:
      stream = None
      if tasks_per_batch is not None:
        raise ValueError("tasks_per_batch is for a task stream; a dataset "
                         "brings its batches.")
    if not args:
      kwargs.setdefault("shuffle", False)
    if stream != self._stream:
      self._stream = stream
      self.train_function = None  # traced again for the new data
    return super().fit(x, *args, **kwargs)

  def call(self, inputs, training=False):
    """The network with its meta-learned (initial) weights."""
    return self.network(inputs, training=training)

  def get_config(self):
    raise NotImplementedError(
        "A MetaModel saves its weights (save_weights, ModelCheckpoint(..., "
        "save_weights_only=True)); the network saves alone as any Keras "
        "model: meta_model.network.save(path).")

  # ------------------------------------------------------------ the steps
  def _unpack(self, data):
    if isinstance(data, tasks_base.Task):
      tasks, seeds = data, None
    elif isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(
        data[0], tasks_base.Task):
      tasks, seeds = data
    else:
      raise TypeError(
          "MetaModel's batches are batched Tasks or (tasks, seeds) pairs, as "
          "TaskDistribution.dataset yields them; received "
          f"{type(data).__name__}.")
    algorithms_base.validate_tasks(tasks)
    return tasks, seeds

  def _global_batch_size(self, tasks):
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    num_tasks = tasks.support_x.shape[0]
    if num_tasks is None:
      if replicas > 1:
        raise ValueError("Distributed meta-training needs batches of a "
                         "fixed number of tasks: batch the dataset with "
                         "drop_remainder=True.")
      return None
    return num_tasks * replicas

  def train_step(self, data):
    if self._stream is not None:
      stream, seed, size = self._stream
      tasks, seeds = stream.batch(seed, self.batches_seen.value, size)
      self.batches_seen.assign_add(1)
    else:
      tasks, seeds = self._unpack(data)
    context = algorithms_base.StepContext(
        global_batch_size=self._global_batch_size(tasks),
        scale_loss=self.optimizer.scale_loss if isinstance(
            self.optimizer, keras.optimizers.LossScaleOptimizer) else None,
        jit_compile=bool(self.jit_compile),
        distributed=tf.distribute.get_strategy().num_replicas_in_sync > 1)
    _, metrics = self.learner.train_step({}, (tasks, seeds), self.optimizer,
                                         context)
    if self.learner.updates_statistics:
      if tf.distribute.has_strategy() and \
          tf.distribute.get_strategy().num_replicas_in_sync > 1:
        raise ValueError("Running batch-norm statistics are updated from "
                         "one replica's tasks: train batch_norm='running' "
                         "learners on several replicas with "
                         "kerasmeta.training.Trainer.")
      self.learner.update_statistics(tasks, seeds)
    for tracker in self.train_trackers:
      tracker.update_state(metrics[tracker.name])
    return {tracker.name: tracker.result() for tracker in self.train_trackers}

  def _adapted_predict_fn(self, tasks, seeds):
    """`(per_task(task, seed) -> query predictions, seeds)`: each task
    adapted on its support set first."""
    if not hasattr(self.learner, "adapt"):
      raise TypeError(f"{type(self.learner).__name__} has no adapt(): "
                      "MetaModel evaluates and predicts with learners that "
                      "adapt (GradientLearner subclasses).")
    if seeds is None:
      if any(self.learner.mask_specs) and not self.deterministic_eval:
        raise ValueError(
            f"{type(self.learner).__name__} samples MT-net masks: give the "
            "batches seeds ((tasks, seeds) pairs), or deterministic_eval="
            "True.")
      seeds = tf.zeros([tf.shape(tasks.support_x)[0], 2], tf.int32)
    # The weights' dtype: float32 under mixed precision (outputs are cast
    # up, as the losses do), float64 for a float64 network.
    dtype = tf.as_dtype(self.learner.roles.adapted[0].dtype)

    def per_task(task, seed):
      adapted = self.learner.adapt(
          task, seed=seed, num_steps=self.num_eval_steps,
          deterministic=self.deterministic_eval).params
      return tf.cast(self.learner.predict(adapted, task.query_x), dtype)
    return per_task, tf.cast(seeds, tf.int32), dtype

  def test_step(self, data):
    tasks, seeds = self._unpack(data)
    predict, seeds, _ = self._adapted_predict_fn(tasks, seeds)
    functions = {"loss": self.learner.loss_fn, **self.task_metrics}

    def per_task(task, seed):
      predictions = predict(task, seed)
      values = {name: fn(task.query_y, predictions)
                for name, fn in functions.items()}
      return values["loss"], values

    _, values = algorithms_base.map_tasks(per_task, tasks, seeds,
                                          list(functions))
    for tracker in self.eval_trackers:
      tracker.update_state(values[tracker.name])
    return {tracker.name: tracker.result() for tracker in self.eval_trackers}

  def predict_step(self, data):
    tasks, seeds = self._unpack(data)
    predict, seeds, dtype = self._adapted_predict_fn(tasks, seeds)
    return tf.map_fn(lambda elements: predict(type(tasks)(*elements[0]),
                                              elements[1]),
                     (tuple(tasks), seeds), fn_output_signature=dtype)
