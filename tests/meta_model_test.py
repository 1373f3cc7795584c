# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from tests import helpers


def _batches(num_batches=3, num_tasks=4, seed=0):
  """A finite dataset of (tasks, seeds) batches, the same on every pass."""
  batches = [(helpers.random_tasks(num_tasks, seed=seed + index),
              helpers.task_seeds(num_tasks, seed=seed + index))
             for index in range(num_batches)]
  return tf.data.Dataset.from_tensor_slices(
      tf.nest.map_structure(lambda *t: tf.stack(t), *batches))


def _learner(algorithm=km.MAML, seed=0, **kwargs):
  kwargs.setdefault("inner_learning_rate", 0.1)
  return algorithm(helpers.tiny_mlp(seed=seed), **kwargs)


def _values(variables):
  return [np.array(v.numpy()) for v in variables]


def _assert_all_close(first, second, **kwargs):
  assert len(first) == len(second)
  for a, b in zip(first, second):
    np.testing.assert_allclose(a, b, **kwargs)


@pytest.mark.parametrize("algorithm", [km.MAML, km.MetaSGD])
def test_fit_takes_the_learners_meta_steps(algorithm):
  reference = _learner(algorithm)
  optimizer = keras.optimizers.Adam(1e-2)
  step = km.training.make_train_step(reference, optimizer, jit_compile=False)
  for batch in _batches():
    step(batch)

  meta_model = km.MetaModel(_learner(algorithm))
  meta_model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
  history = meta_model.fit(_batches(), epochs=1, verbose=0)
  _assert_all_close(_values(meta_model.trainable_weights),
                    _values(reference.trainable_variables), rtol=1e-10)
  assert sorted(history.history) == ["query_loss", "support_loss"]


def test_steps_per_execution_and_xla_give_the_same_steps():
  results = []
  for options in [dict(jit_compile=False),
                  dict(jit_compile=True, steps_per_execution=3)]:
    meta_model = km.MetaModel(_learner())
    meta_model.compile(optimizer=keras.optimizers.Adam(1e-2), **options)
    assert meta_model.jit_compile == options["jit_compile"]
    meta_model.fit(_batches(), epochs=2, verbose=0)
    results.append(_values(meta_model.trainable_weights))
  _assert_all_close(*results, rtol=1e-8)


def test_evaluate_and_predict_adapt_each_task_first():
  learner = _learner(num_inner_steps=2)
  meta_model = km.MetaModel(learner, metrics={"max_error": lambda y, p:
                                              tf.reduce_max(tf.abs(y - p))})
  meta_model.compile()
  tasks, seeds = next(iter(_batches(1)))
  expected_losses, expected_predictions = [], []
  for index in range(4):
    task = helpers.unbatch(tasks, index)
    adapted = learner.adapt(task.support_x, task.support_y).params
    predictions = learner.predict(adapted, task.query_x)
    expected_predictions.append(predictions)
    expected_losses.append(learner.loss_fn(task.query_y, predictions))
  results = meta_model.evaluate(_batches(1), return_dict=True, verbose=0)
  np.testing.assert_allclose(results["loss"], np.mean(expected_losses),
                             rtol=1e-6)
  assert set(results) == {"loss", "max_error"}
  unadapted = km.MetaModel(learner, num_eval_steps=0)
  unadapted.compile()
  before = np.mean([learner.loss_fn(tasks.query_y[i],
                                    learner.model(tasks.query_x[i]))
                    for i in range(4)])
  np.testing.assert_allclose(
      unadapted.evaluate(_batches(1), verbose=0, return_dict=True)["loss"],
      before, rtol=1e-6)
  assert abs(results["loss"] - before) > 1e-3
  predictions = meta_model.predict(_batches(1), verbose=0)
  np.testing.assert_allclose(predictions, np.stack(expected_predictions),
                             rtol=1e-10)
  del seeds


def test_mt_net_masks_take_the_batches_seeds():
  keras.utils.set_random_seed(0)
  model = km.models.mlp(hidden_sizes=(8,), cell="mtnet")
  meta_model = km.MetaModel(km.MAML(model, inner_learning_rate=0.1),
                            deterministic_eval=True)
  meta_model.compile(jit_compile=False)
  data = km.SinusoidTasks(shots=5).dataset(seed=0, batch_size=2).take(2)
  history = meta_model.fit(data, epochs=1, verbose=0,
                           validation_data=data)
  assert np.isfinite(history.history["val_loss"][0])


def test_keras_callbacks_checkpoint_log_and_stop(tmp_path):
  meta_model = km.MetaModel(_learner())
  meta_model.compile(optimizer=keras.optimizers.Adam(1e-2),
                     jit_compile=False)
  checkpoint = str(tmp_path / "best.weights.h5")
  history = meta_model.fit(
      _batches(2), epochs=50, verbose=0, validation_data=_batches(1, seed=9),
      callbacks=[
          keras.callbacks.ModelCheckpoint(checkpoint,
                                          save_weights_only=True),
          keras.callbacks.EarlyStopping(monitor="val_loss", patience=0,
                                        min_delta=1e9),
          keras.callbacks.TensorBoard(str(tmp_path / "tensorboard"))])
  assert len(history.history["val_loss"]) == 2  # no 1e9 improvement: stop
  assert os.listdir(tmp_path / "tensorboard")
  restored = km.MetaModel(_learner(seed=5))
  restored.load_weights(checkpoint)  # the last epoch's
  _assert_all_close(_values(restored.trainable_weights),
                    _values(meta_model.trainable_weights))


class _StopAfterEpoch(keras.callbacks.Callback):

  def __init__(self, epoch):
    super().__init__()
    self.epoch = epoch

  def on_epoch_end(self, epoch, logs=None):
    if epoch == self.epoch:
      raise KeyboardInterrupt


class _StopInsideEpoch(keras.callbacks.Callback):
  """Ctrl-C in the middle of an epoch (after its first batch)."""

  def __init__(self, epoch):
    super().__init__()
    self.epoch, self.current = epoch, None

  def on_epoch_begin(self, epoch, logs=None):
    self.current = epoch

  def on_train_batch_end(self, batch, logs=None):
    if self.current == self.epoch and batch == 0:
      raise KeyboardInterrupt


@pytest.mark.parametrize("stop", [_StopAfterEpoch, _StopInsideEpoch])
def test_backup_and_restore_resumes_an_interrupted_fit_exactly(tmp_path,
                                                               stop):
  def fit(callbacks, seed=0):
    meta_model = km.MetaModel(_learner(km.MetaSGD, seed=seed))
    meta_model.compile(optimizer=keras.optimizers.Adam(1e-2),
                       jit_compile=False)
    meta_model.fit(_batches(2), epochs=4, verbose=0, callbacks=callbacks)
    return _values(meta_model.weights + meta_model.optimizer.variables)

  uninterrupted = fit([])
  backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
  with pytest.raises(KeyboardInterrupt):
    fit([backup, stop(1)])
  resumed = fit([keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))],
                seed=3)  # other initial weights: the backup must win
  _assert_all_close(resumed, uninterrupted, rtol=1e-12)


def test_fit_under_mirrored_equals_one_device():
  # Reduced on one device, not by collectives: TensorFlow numbers the CPU
  # collectives' instances per process, and a second strategy's reductions
  # would clash with those of the trainer's mirrored test.
  strategy = tf.distribute.MirroredStrategy(
      ["/cpu:0", "/cpu:1"],
      cross_device_ops=tf.distribute.ReductionToOneDevice())
  with strategy.scope():
    distributed = km.MetaModel(_learner())
    distributed.compile(optimizer=keras.optimizers.Adam(1e-2),
                        jit_compile=False)
  distributed.fit(_batches(2), epochs=1, verbose=0)
  single = km.MetaModel(_learner())
  single.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
  single.fit(_batches(2), epochs=1, verbose=0)
  _assert_all_close(_values(distributed.trainable_weights),
                    _values(single.trainable_weights), rtol=1e-9)


def test_what_keras_cannot_honour_is_refused():
  meta_model = km.MetaModel(_learner())
  with pytest.raises(ValueError, match="no loss or metrics"):
    meta_model.compile(loss="mse")
  with pytest.raises(ValueError, match="keeps state .*Trainer"):
    km.MetaModel(km.algorithms.ContinualWarpGrad(
        km.models.mlp(hidden_sizes=(4,), warp=True)))
  with pytest.raises(ValueError, match="init_step_scale"):
    km.MetaModel(km.WarpMAML(km.models.mlp(hidden_sizes=(4,), warp=True),
                             init_step_scale=0.1))
  with pytest.raises(ValueError, match="Unknown metric 'f1'"):
    km.MetaModel(_learner(), metrics=["f1"])
  with pytest.raises(TypeError, match="batched Tasks or .tasks, seeds. pairs"):
    meta_model.compile(jit_compile=False)
    meta_model.fit(tf.data.Dataset.from_tensors(tf.zeros([2, 3])), verbose=0)
  with pytest.raises(ValueError, match="metrics are given by name"):
    km.MetaModel(_learner(), metrics={"mae": lambda t, p: 0.0}).get_config()


def test_sampled_masks_without_seeds_are_refused_in_evaluation():
  keras.utils.set_random_seed(0)
  model = km.models.mlp(hidden_sizes=(8,), cell="mtnet")
  meta_model = km.MetaModel(km.MAML(model, inner_learning_rate=0.1))
  meta_model.compile(jit_compile=False)
  tasks = next(iter(km.SinusoidTasks(shots=5).dataset(seed=0,
                                                      batch_size=2)))[0]
  with pytest.raises(ValueError, match="samples MT-net masks: give the "
                     "batches seeds"):
    meta_model.evaluate(tf.data.Dataset.from_tensors(tasks), verbose=0)


def test_fit_on_a_task_stream_resumes_it_where_the_backup_stood(tmp_path):
  stream = km.SinusoidTasks(shots=5)

  def fit(callbacks, seed=0):
    meta_model = km.MetaModel(km.MetaSGD(
        helpers.tiny_mlp(seed=seed, dtype="float32"),
        inner_learning_rate=0.1))
    meta_model.compile(optimizer=keras.optimizers.Adam(1e-2),
                       jit_compile=False)
    meta_model.fit(stream, tasks_per_batch=2, steps_per_epoch=3, epochs=3,
                   verbose=0, callbacks=callbacks)
    return meta_model

  uninterrupted = fit([])
  assert int(uninterrupted.batches_seen.numpy()) == 9
  backup = str(tmp_path / "backup")
  with pytest.raises(KeyboardInterrupt):
    fit([keras.callbacks.BackupAndRestore(backup), _StopAfterEpoch(1)])
  resumed = fit([keras.callbacks.BackupAndRestore(backup)], seed=3)
  assert int(resumed.batches_seen.numpy()) == 9
  _assert_all_close(
      _values(resumed.weights + resumed.optimizer.variables),
      _values(uninterrupted.weights + uninterrupted.optimizer.variables),
      rtol=1e-6)
  # Each batch of the stream trained once, in order: another stream (the
  # one a dataset started again would give) ends elsewhere.
  restarted = fit([], seed=0)
  restarted.batches_seen.assign(0)
  restarted.fit(stream, tasks_per_batch=2, steps_per_epoch=3, epochs=1,
                verbose=0)
  assert not np.allclose(restarted.trainable_weights[0].numpy(),
                         uninterrupted.trainable_weights[0].numpy())
  with pytest.raises(ValueError, match="tasks_per_batch and steps_per_epoch"):
    restarted.fit(stream, epochs=1)


def _classification_batches(num_batches=2, num_tasks=3, ways=3, shots=2):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(num_batches, num_tasks, 2, ways * shots, 4))
  y = np.tile(np.arange(ways), shots)[:, None].astype("int32")
  y = np.broadcast_to(y, (num_batches, num_tasks) + y.shape)
  tasks = km.Task(x[:, :, 0].astype("float32"), y,
                  x[:, :, 1].astype("float32"), y)
  seeds = np.zeros((num_batches, num_tasks, 2), "int32")
  return tf.data.Dataset.from_tensor_slices((tasks, seeds))


def test_keras_metrics_keep_their_meaning_and_name_on_each_task():
  keras.utils.set_random_seed(0)
  network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
  learner = km.MAML(network, loss="sparse_softmax_cross_entropy",
                    inner_learning_rate=0.5)
  metric_object = keras.metrics.SparseCategoricalAccuracy(name="object")
  metric_object.update_state([[0]], [[0.0, 9.0, 0.0]])  # a stale state
  meta_model = km.MetaModel(learner, metrics=[
      metric_object, "sparse_categorical_accuracy", "accuracy"])
  meta_model.compile()
  first = meta_model.evaluate(_classification_batches(), return_dict=True,
                              verbose=0)
  again = meta_model.evaluate(_classification_batches(), return_dict=True,
                              verbose=0)
  by_hand = []
  for tasks, _ in _classification_batches():
    for index in range(3):
      task = helpers.unbatch(tasks, index)
      logits = learner.predict(learner.adapt(task), task.query_x)
      by_hand.append(np.mean(np.argmax(logits, -1) == task.query_y[:, 0]))
  for name in ("object", "sparse_categorical_accuracy", "accuracy"):
    np.testing.assert_allclose(first[name], np.mean(by_hand), rtol=1e-6)
    assert again[name] == first[name]
  with pytest.raises(ValueError, match="Two metrics are named 'accuracy'"):
    km.MetaModel(learner, metrics=["accuracy", evaluation_accuracy])
  with pytest.raises(ValueError, match="Name the metric"):
    km.MetaModel(learner, metrics=[lambda y, p: 0.0])


def evaluation_accuracy(y_true, y_pred):  # a function that shares the name
  return km.evaluation.accuracy(y_true, y_pred)
evaluation_accuracy.__name__ = "accuracy"


def test_offline_warpgrad_fits_and_resumes_exactly(tmp_path):
  # Its step applies gradients to the warp, then to the initialisation: the
  # optimiser must be built for both before the first step.
  from tests.algorithms import contract_test  # pylint: disable=g-import-not-at-top

  def fit(callbacks, seed=0):
    keras.utils.set_random_seed(seed)
    learner = km.algorithms.OfflineWarpGrad(
        contract_test._warped_model(), num_inner_steps=2,  # pylint: disable=protected-access
        init_objective="leap", inner_learning_rate=0.3, replay_batch_size=2)
    meta_model = km.MetaModel(learner)
    meta_model.compile(optimizer=keras.optimizers.Adam(1e-2),
                       jit_compile=False)
    history = meta_model.fit(_batches(2), epochs=3, verbose=0,
                             callbacks=callbacks)
    return _values(meta_model.weights + meta_model.optimizer.variables), \
        history.history

  uninterrupted, history = fit([])
  assert history["warp_loss"][-1] < history["warp_loss"][0]
  with pytest.raises(KeyboardInterrupt):
    fit([keras.callbacks.BackupAndRestore(str(tmp_path / "backup")),
         _StopAfterEpoch(1)])
  resumed, _ = fit([keras.callbacks.BackupAndRestore(
      str(tmp_path / "backup"))], seed=3)
  _assert_all_close(resumed, uninterrupted, rtol=1e-12)


# Keras' conventions: episodes as arrays, plain predict, save / load_model,
# export.


def _episode_arrays(num_episodes=6, seed=3):
  tasks = helpers.random_tasks(num_episodes, seed=seed)
  x = {"support_x": tasks.support_x.numpy(),
       "support_y": tasks.support_y.numpy(), "query_x": tasks.query_x.numpy()}
  return x, tasks.query_y.numpy(), tasks


def test_fit_evaluate_predict_take_episodes_as_arrays():
  x, y, tasks = _episode_arrays()
  meta_model = km.MetaModel(_learner())
  meta_model.compile(jit_compile=False)
  history = meta_model.fit(x, y, batch_size=3, epochs=2, verbose=0,
                           validation_data=(x, y))
  assert len(history.history["query_loss"]) == 2
  assert np.isfinite(history.history["val_loss"]).all()
  # The same episodes as a dataset of batched tasks give the same answers.
  as_dataset = tf.data.Dataset.from_tensor_slices(tuple(tasks)).map(
      lambda *parts: km.Task(*parts)).batch(3)
  np.testing.assert_allclose(meta_model.predict(x, batch_size=3, verbose=0),
                             meta_model.predict(as_dataset, verbose=0))
  assert meta_model.evaluate(x, y, batch_size=3, verbose=0) == \
      meta_model.evaluate(as_dataset, verbose=0)


def test_predict_on_plain_inputs_is_the_meta_learned_network():
  meta_model = km.MetaModel(_learner())
  inputs = np.linspace(-1, 1, 8).reshape(-1, 1)
  np.testing.assert_allclose(meta_model.predict(inputs, verbose=0),
                             meta_model.network(inputs).numpy())


def test_episodes_in_another_form_are_refused_in_one_line():
  meta_model = km.MetaModel(_learner())
  meta_model.compile(jit_compile=False)
  with pytest.raises(TypeError, match="takes episodes: x a dict of "
                     "support_x, support_y, query_x"):
    meta_model.fit(np.zeros([4, 1]), np.zeros([4, 1]), verbose=0)
  x, y, _ = _episode_arrays()
  with pytest.raises(ValueError, match=r"missing \['query_x'\]"):
    meta_model.fit({k: v for k, v in x.items() if k != "query_x"}, y)
  with pytest.raises(ValueError, match="needs the queries' targets"):
    meta_model.evaluate(x, verbose=0)


@pytest.mark.parametrize("algorithm", [km.MAML, km.MetaSGD])
def test_save_and_load_model_round_trip_the_learner_and_weights(
    tmp_path, algorithm):
  x, y, _ = _episode_arrays()
  meta_model = km.MetaModel(_learner(algorithm, loss="mse"),
                            metrics=["mse"], num_eval_steps=2)
  meta_model.compile(optimizer=keras.optimizers.Adam(1e-2),
                     jit_compile=False)
  meta_model.fit(x, y, batch_size=3, epochs=1, verbose=0)
  path = str(tmp_path / "meta.keras")
  meta_model.save(path)
  loaded = keras.models.load_model(path)
  assert isinstance(loaded, km.MetaModel)
  assert type(loaded.learner) is algorithm
  assert loaded.learner.get_config() == meta_model.learner.get_config()
  assert loaded.num_eval_steps == 2
  _assert_all_close(_values(loaded.trainable_weights),
                    _values(meta_model.trainable_weights))
  np.testing.assert_allclose(loaded.predict(x, verbose=0),
                             meta_model.predict(x, verbose=0))
  # Training continues from the saved optimiser state alike.
  for model in (meta_model, loaded):
    model.fit(x, y, batch_size=3, epochs=1, verbose=0)
  _assert_all_close(_values(loaded.trainable_weights),
                    _values(meta_model.trainable_weights), rtol=1e-6)


def test_export_writes_the_adapter_that_answers_as_predict(tmp_path):
  x, y, _ = _episode_arrays(num_episodes=1)
  x = {key: value.astype(np.float32) for key, value in x.items()}
  meta_model = km.MetaModel(km.MAML(helpers.tiny_mlp(dtype="float32"),
                                    inner_learning_rate=0.1),
                            num_eval_steps=1)
  path = str(tmp_path / "adapter" / "1")
  meta_model.export(path, verbose=False)
  served = tf.saved_model.load(path).signatures["adapt_and_predict"]
  request = {key: tf.constant(value[0], tf.float32)  # served in float32
             for key, value in x.items()}
  answer = served(**request)["predictions"]
  np.testing.assert_allclose(answer.numpy(),
                             meta_model.predict(x, verbose=0)[0], rtol=1e-5,
                             atol=1e-6)
  with pytest.raises(ValueError, match="received format='onnx'"):
    meta_model.export(str(tmp_path / "other"), format="onnx")
  with pytest.raises(ValueError, match=r"weights are \['float64'\]"):
    km.MetaModel(_learner()).export(str(tmp_path / "float64"))


def test_a_learner_given_objects_besides_its_model_is_not_saved_by_config(
    tmp_path):
  # A loss function is not a setting: loaded from the config it would
  # come back as the default loss.
  custom = km.MetaModel(_learner(loss=lambda y, p: tf.reduce_mean(
      tf.abs(y - p))))
  with pytest.raises(ValueError, match=r"also given \['loss'\]"):
    custom.save(str(tmp_path / "custom.keras"))
  x, y, _ = _episode_arrays()
  with pytest.raises(ValueError, match="given twice"):
    custom.evaluate({**x, "query_y": y}, y, verbose=0)
