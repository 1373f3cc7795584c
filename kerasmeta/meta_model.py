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

Saving: `save("m.keras")` and `keras.models.load_model` round-trip the
whole model (the learner by its name and settings, the network, every
weight, the optimiser); `save_weights` / `load_weights` (so
`ModelCheckpoint(..., save_weights_only=True)` and `BackupAndRestore`)
save the network, the learner's own meta weights (Meta-SGD's rates, ...)
and the optimiser. `export(path)` writes the adapter TF Serving serves.
"""

from __future__ import annotations

import inspect
from typing import Any, Optional

import keras
import numpy as np
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


@keras.saving.register_keras_serializable(package="kerasmeta")
class MetaModel(keras.Model):
  """A `keras.Model` that meta-trains a learner with `fit`.

  Keras' conventions hold: `fit`, `evaluate` and `predict` take episodes
  as arrays (`x` a dict of `support_x`, `support_y`, `query_x` with a
  leading episode axis, `y` the queries' targets, `batch_size` episodes
  per meta-step), datasets of batched tasks or task streams;
  `predict` on plain inputs answers with the meta-learned (unadapted)
  network; `save("m.keras")` and `keras.models.load_model` round-trip the
  learner, its network and weights; `export(path)` writes the adapter
  SavedModel TF Serving serves (`kerasmeta.export.export_adapter`).

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

  def __init__(self, learner: algorithms.MetaLearner,
               metrics: Any = None, num_eval_steps: Optional[int] = None,
               deterministic_eval: bool = False,
               name: str = "meta_model") -> None:
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
    # Any: evaluation and prediction use what learners that adapt to a
    # task have (`adapt`, `loss_fn`), beyond `MetaLearner`'s declaration.
    self.learner: Any = learner
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
    self._metrics_argument = metrics
    self.num_eval_steps = (None if num_eval_steps is None
                           else int(num_eval_steps))
    self.deterministic_eval = bool(deterministic_eval)
    # Batches of a task stream drawn so far (`fit` on a `TaskStream`):
    # saved with the weights, so a restored fit continues the stream.
    self.batches_seen = keras.Variable(0, dtype="int64", trainable=False,
                                       name="batches_seen")
    self._stream: Optional[tuple] = None
    self.train_trackers = [keras.metrics.Mean(name=name)
                           for name in learner.metric_names]
    self.eval_trackers = [keras.metrics.Mean(name=name) for name in
                          ["loss"] + list(self.task_metrics)]
    self.built = True

  # ------------------------------------------------------------ Keras API
  @property
  def trainable_weights(self) -> list:
    """What the outer optimiser trains: the learner's variables, in its
    order."""
    return list(self.learner.trainable_variables)

  def compile(self, optimizer: Any = None, loss: Any = None,
              metrics: Any = None, jit_compile: Any = "auto",
              steps_per_execution: int = 1, **kwargs: Any) -> None:
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

  def fit(self, x: Any = None, *args: Any,
          tasks_per_batch: Optional[int] = None, seed: int = 0,
          **kwargs: Any) -> keras.callbacks.History:
    """`keras.Model.fit` over batches of tasks.

    `x` is a `tf.data.Dataset` of batches (it brings its own order:
    `shuffle` defaults to False; a fit started again starts it again), or a
    task stream (`kerasmeta.tasks.TaskStream`), whose batch `i` of
    `tasks_per_batch` tasks the step makes from `seed` and its count of
    batches drawn (`batches_seen`, saved with the weights): a fit that
    `keras.callbacks.BackupAndRestore` resumes continues the stream where
    the saved state stood, exactly. A stream needs `steps_per_epoch`.
    """
    # Keras' positional arguments after x (y, batch_size, epochs, ...).
    kwargs = {**dict(zip(_FIT_ARGUMENTS, args)), **kwargs}
    if not isinstance(x, tasks_base.TaskStream):
      x, batch_size = _episodes(x, kwargs.pop("y", None),
                                kwargs.pop("batch_size", None), "fit")
      validation = kwargs.get("validation_data")
      if isinstance(validation, (tuple, list)) and validation and isinstance(
          validation[0], dict):
        kwargs["validation_data"] = _episodes(
            validation[0], validation[1] if len(validation) > 1 else None,
            batch_size, "fit")[0]
      elif isinstance(validation, (dict, tasks_base.Task)):
        kwargs["validation_data"] = _episodes(validation, None, batch_size,
                                              "fit")[0]
      if batch_size is not None:
        kwargs["batch_size"] = batch_size
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
    kwargs.setdefault("shuffle", False)
    if stream != self._stream:
      self._stream = stream
      self.train_function = None  # traced again for the new data
    return super().fit(x, **kwargs)

  def call(self, inputs: Any, training: bool = False) -> Any:
    """The network with its meta-learned (initial) weights."""
    return self.network(inputs, training=training)

  def get_config(self) -> dict:
    """The learner (its class by name and settings), its network and the
    evaluation settings: what `keras.models.load_model` rebuilds from."""
    metrics = self._metrics_argument
    names = metrics if isinstance(metrics, (list, tuple)) else (
        [] if metrics is None else [metrics])
    if isinstance(metrics, dict) or not all(isinstance(n, str)
                                            for n in names):
      raise ValueError(
          "A MetaModel saves with its config where its metrics are given by "
          f"name; received {metrics!r}. Save the weights instead "
          "(save_weights, ModelCheckpoint(..., save_weights_only=True)).")
    objects = [name for name in self.learner.constructor_objects()
               if name != "model"]
    if objects:
      # from_config would rebuild the learner with their defaults instead.
      raise ValueError(
          f"A MetaModel saves its learner by its settings; "
          f"{type(self.learner).__name__} was also given {objects}, which "
          "are not settings (a loss function, ...) and would come back as "
          "their defaults. Save the weights instead (save_weights), or pass "
          "them by name.")
    return {"learner": {"class_name": self.learner.name,
                        "config": self.learner.get_config()},
            "network": keras.saving.serialize_keras_object(self.network),
            "metrics": None if metrics is None else list(names),
            "num_eval_steps": self.num_eval_steps,
            "deterministic_eval": self.deterministic_eval,
            "name": self.name}

  @classmethod
  def from_config(cls, config: dict) -> "MetaModel":
    config = dict(config)
    network = keras.saving.deserialize_keras_object(config.pop("network"))
    learner = config.pop("learner")
    learner = algorithms.get(learner["class_name"]).from_config(
        learner["config"], model=network)
    return cls(learner, **config)

  def get_compile_config(self) -> dict:
    """The optimiser and compile settings, without the loss and metrics
    Keras adds (a MetaModel takes neither in `compile`)."""
    config = super().get_compile_config() or {}
    return {key: value for key, value in config.items()
            if key not in ("loss", "loss_weights", "metrics",
                           "weighted_metrics")}

  def compile_from_config(self, config: dict) -> None:
    """Compiles as `get_compile_config` recorded (`load_model` calls it;
    Keras' own skips a model whose `compile` is its own)."""
    self.compile(**keras.saving.deserialize_keras_object(config))

  def export(self, filepath: str, format: str = "tf_saved_model",  # pylint: disable=redefined-builtin
             verbose: bool = True, **options: Any) -> None:
    """Writes the adapter SavedModel TF Serving serves: adaptation to a
    support set inside the served graph (`export.export_adapter`, whose
    keyword arguments `options` are: max_steps, max_support, ...)."""
    if format != "tf_saved_model":
      raise ValueError(f"A MetaModel exports its adapter as a "
                       f"'tf_saved_model'; received format={format!r}.")
    from kerasmeta import export as export_lib  # pylint: disable=g-import-not-at-top
    export_lib.export_adapter(self.learner, filepath, **options)
    if verbose:
      print(f"Wrote the adapter SavedModel to {filepath}.")

  # --------------------------------------------------- episodes as arrays
  def evaluate(self, x: Any = None, y: Any = None,
               batch_size: Optional[int] = None, **kwargs: Any) -> Any:
    """`keras.Model.evaluate`: query metrics after adaptation, on a dataset
    of batched tasks or on episodes as arrays (see the class docstring)."""
    x, batch_size = _episodes(x, y, batch_size, "evaluate")
    return super().evaluate(x, batch_size=batch_size, **kwargs)

  def predict(self, x: Any, batch_size: Optional[int] = None,
              **kwargs: Any) -> Any:
    """`keras.Model.predict`: the queries' predictions after adapting to
    each episode's support set (episodes as a dict of arrays, or a
    dataset of batched tasks), or the meta-learned network's outputs for
    plain inputs."""
    x, batch_size = _episodes(x, None, batch_size, "predict")
    return super().predict(x, batch_size=batch_size, **kwargs)

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

  def train_step(self, data: Any) -> dict:
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

  def test_step(self, data: Any) -> dict:
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

  def predict_step(self, data: Any) -> Any:
    if not _holds_tasks(data):  # plain inputs: the meta-learned network
      inputs = data[0] if isinstance(data, tuple) else data
      return self.network(inputs, training=False)
    tasks, seeds = self._unpack(data)
    predict, seeds, dtype = self._adapted_predict_fn(tasks, seeds)
    return tf.map_fn(lambda elements: predict(type(tasks)(*elements[0]),
                                              elements[1]),
                     (tuple(tasks), seeds), fn_output_signature=dtype)


EPISODE_KEYS = ("support_x", "support_y", "query_x")
_FIT_ARGUMENTS = list(inspect.signature(keras.Model.fit).parameters)[2:]


def _holds_tasks(data: Any) -> bool:
  return isinstance(data, tasks_base.Task) or (
      isinstance(data, (tuple, list)) and len(data) == 2 and
      isinstance(data[0], tasks_base.Task))


def _episodes(x: Any, y: Any, batch_size: Optional[int],
              method: str) -> tuple[Any, Optional[int]]:
  """`(x, batch_size)` for Keras: episodes given as arrays (`x` a dict of
  `EPISODE_KEYS` or a `Task` of arrays, `y` the queries' targets) become a
  dataset of batched tasks of `batch_size` episodes; anything else is
  passed on as it is."""
  if isinstance(x, dict):
    missing = [key for key in EPISODE_KEYS if key not in x]
    unknown = sorted(set(x) - set(EPISODE_KEYS) - {"query_y"})
    if missing or unknown:
      raise ValueError(
          f"MetaModel.{method} takes episodes as a dict of "
          f"{', '.join(EPISODE_KEYS)} (and y, the queries' targets); "
          f"missing {missing}, unknown {unknown}.")
    if "query_y" in x and y is not None:
      raise ValueError(f"MetaModel.{method}: the queries' targets were given "
                       "twice, as x['query_y'] and as y.")
    query_y = x.get("query_y", y)
    x = tasks_base.Task(x["support_x"], x["support_y"], x["query_x"],
                        query_y)
  elif isinstance(x, tasks_base.Task) and not isinstance(
      x.support_x, tf.data.Dataset):
    if y is not None:
      raise ValueError(f"MetaModel.{method}: a Task holds its queries' "
                       "targets; received y as well.")
  else:
    if y is not None:
      raise TypeError(
          f"MetaModel.{method} takes episodes: x a dict of "
          f"{', '.join(EPISODE_KEYS)} with a leading episode axis and y the "
          "queries' targets, a Task of arrays, or a dataset of batched tasks; "
          f"received x of type {type(x).__name__} and y.")
    return x, batch_size
  if x.query_y is None:
    if method != "predict":
      raise ValueError(f"MetaModel.{method} needs the queries' targets: "
                       "pass y (or query_y).")
    support_y = np.asarray(x.support_y)
    x = x._replace(query_y=np.zeros(
        (len(x.support_y), np.shape(x.query_x)[1]) + support_y.shape[2:],
        support_y.dtype))
  sizes = {key: len(value) for key, value in zip(tasks_base.Task._fields, x)}
  if len(set(sizes.values())) != 1:
    raise ValueError(f"MetaModel.{method}: every part of the episodes needs "
                     f"the same number of episodes; received {sizes}.")
  dataset = tf.data.Dataset.from_tensor_slices(tuple(x)).map(
      lambda *parts: tasks_base.Task(*parts)).batch(batch_size or 4)
  return dataset, None
