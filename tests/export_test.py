# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import importlib
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import export
from tests import helpers

CLI_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
SAVED_MODEL_CLI_MODULE = "tensorflow.python.tools.saved_model_cli"


def _saved_model_cli_command(executable=None):
  """The argv prefix that runs TensorFlow's saved_model_cli, PATH unread.

  In a virtual environment that is not activated, PATH may lack the
  environment's `bin/` or name another TensorFlow's CLI. The module form
  runs with this very interpreter, so it is preferred when the module
  imports here; else the console script beside the interpreter is used.

  Args:
    executable: the Python interpreter; `sys.executable` by default.

  Returns:
    A list of strings to put before the CLI's own arguments.

  Raises:
    FileNotFoundError: when neither form is available.
  """
  executable = executable or sys.executable
  try:
    module = importlib.import_module(SAVED_MODEL_CLI_MODULE)
  except ImportError:
    module = None
  if module is not None and callable(getattr(module, "main", None)):
    return [executable, "-m", SAVED_MODEL_CLI_MODULE]
  script = os.path.join(os.path.dirname(executable), "saved_model_cli")
  if os.path.isfile(script) and os.access(script, os.X_OK):
    return [script]
  raise FileNotFoundError(
      f"saved_model_cli not found for {executable}: expected the module "
      f"{SAVED_MODEL_CLI_MODULE} to import or an executable {script}.")


def _randomise(model, seed=0, scale=0.5):
  rng = np.random.default_rng(seed)
  for weight in model.weights:
    if "moving_variance" in weight.path:
      continue
    weight.assign((rng.normal(size=weight.shape) * scale).astype("float32"))


@pytest.fixture(scope="module")
def mtnet_adapter(tmp_path_factory):
  model = km.models.mlp(cell="mtnet", hidden_sizes=(16, 16))
  _randomise(model)
  learner = km.MAML(model, num_inner_steps=3, inner_learning_rate=0.05)
  path = str(tmp_path_factory.mktemp("adapter") / "1")
  export.export_adapter(learner, path, loss_name="mse", max_steps=20)
  return learner, path, tf.saved_model.load(path)


def _sinusoid(shots, queries=7, seed=0):
  rng = np.random.default_rng(seed)
  support_x = rng.uniform(-5, 5, (shots, 1)).astype("float32")
  query_x = rng.uniform(-5, 5, (queries, 1)).astype("float32")
  return support_x, (2 * np.sin(support_x - 1)).astype("float32"), query_x


def _python_answer(learner, support_x, support_y, query_x, **kwargs):
  task = km.Task(support_x, support_y, query_x, query_x)
  adapted = learner.adapt(task, deterministic=True, **kwargs).params
  return learner.predict(adapted, query_x).numpy()


@pytest.mark.parametrize("shots", [1, 5, 20])
def test_adapter_answers_equal_adapting_in_python(mtnet_adapter, shots):
  learner, _, loaded = mtnet_adapter
  support_x, support_y, query_x = _sinusoid(shots, seed=shots)
  served = loaded.signatures["adapt_and_predict"](
      support_x=support_x, support_y=support_y, query_x=query_x)
  np.testing.assert_allclose(served["predictions"],
                             _python_answer(learner, support_x, support_y,
                                            query_x), atol=1e-5)
  # Same request, same answer: masks take their most probable value.
  again = loaded.signatures["adapt_and_predict"](
      support_x=support_x, support_y=support_y, query_x=query_x)
  np.testing.assert_array_equal(served["predictions"], again["predictions"])


def test_step_count_and_learning_rate_can_be_chosen_per_request(
    mtnet_adapter):
  learner, _, loaded = mtnet_adapter
  support_x, support_y, query_x = _sinusoid(5)
  served = loaded.signatures["adapt_and_predict_with_options"](
      support_x=support_x, support_y=support_y, query_x=query_x,
      num_steps=tf.constant(11), learning_rate=tf.constant(0.02))
  expected = _python_answer(learner, support_x, support_y, query_x,
                            num_steps=11, learning_rate=0.02)
  np.testing.assert_allclose(served["predictions"], expected, atol=1e-5)
  default = loaded.signatures["adapt_and_predict"](
      support_x=support_x, support_y=support_y, query_x=query_x)
  assert not np.allclose(default["predictions"], served["predictions"])


def test_predict_is_the_model_without_adaptation(mtnet_adapter):
  learner, _, loaded = mtnet_adapter
  x = _sinusoid(3)[2]
  np.testing.assert_allclose(loaded.signatures["predict"](x=x)["predictions"],
                             learner.model(x), atol=1e-6)


@pytest.mark.parametrize("inputs,message", [
    (dict(support_x=np.zeros((5, 2), np.float32)), "support_x must have shape"),
    (dict(support_y=np.zeros((3, 1), np.float32)),
     "support_x and support_y must hold the same number of points"),
    (dict(query_x=np.full((2, 1), np.nan, np.float32)),
     "query_x holds NaN or Inf"),
    (dict(support_y=np.zeros((5, 2), np.float32)), "support_y must have shape"),
    (dict(num_steps=tf.constant(21)), "num_steps must be <= 20"),
    (dict(num_steps=tf.constant(-1)), "num_steps must be >= 0"),
    (dict(learning_rate=tf.constant(np.inf, tf.float32)),
     "learning_rate must be finite"),
    (dict(learning_rate=tf.constant(np.nan, tf.float32)),
     "learning_rate must be finite"),
    (dict(learning_rate=tf.constant(-0.1, tf.float32)),
     "learning_rate must be >= 0"),
    # Extra trailing dimensions: refused, not reshaped into more points.
    (dict(query_x=np.zeros((7, 1, 1), np.float32)), "query_x must have shape"),
    (dict(support_x=np.zeros((5, 1, 1), np.float32)),
     "support_x must have shape"),
    (dict(support_y=np.zeros((5, 1, 7), np.float32)),
     "support_y must have shape"),
    (dict(support_x=np.zeros((10_001, 1), np.float32),
          support_y=np.zeros((10_001, 1), np.float32)),
     "support_x may hold at most 10000 points"),
    # Finite but extreme: the adaptation diverges, and says so.
    (dict(support_y=np.full((5, 1), 3e38, np.float32)), "adaptation diverged"),
    (dict(learning_rate=tf.constant(1e30, tf.float32)), "adaptation diverged"),
])
def test_bad_requests_fail_with_a_clear_message(mtnet_adapter, inputs,
                                                message):
  _, _, loaded = mtnet_adapter
  support_x, support_y, query_x = _sinusoid(5)
  request = dict(support_x=support_x, support_y=support_y, query_x=query_x,
                 num_steps=tf.constant(2), learning_rate=tf.constant(0.01))
  request.update(inputs)
  with pytest.raises(tf.errors.InvalidArgumentError, match=message):
    loaded.signatures["adapt_and_predict_with_options"](**request)


def test_feature_check_catches_a_wrong_rank_that_serving_lets_through():
  # Python refuses a wrong rank at the signature; TF Serving does not check
  # shapes, so the graph must.
  check = tf.function(
      lambda x: export.checks.check_features(x, "query_x", [1]),
      input_signature=[tf.TensorSpec(None, tf.float32)])
  np.testing.assert_array_equal(check(np.ones((2, 1), np.float32)),
                                np.ones((2, 1)))
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"query_x must have shape \[points, 1\]; "
                           r"received.*\[5 1 1\]"):
    check(np.zeros((5, 1, 1), np.float32))


def test_classifier_adapter_gives_probabilities_and_classes(tmp_path):
  model = km.models.conv4(input_shape=(12, 12, 1), num_classes=3, filters=4,
                          cell="tnet")
  _randomise(model, scale=0.3)
  learner = km.MAML(model, loss="sparse_softmax_cross_entropy",
                    num_inner_steps=2, inner_learning_rate=0.4)
  path = str(tmp_path / "1")
  with pytest.raises(ValueError, match="depend on the other queries"):
    export.export_adapter(learner, path)  # batch_norm="task"
  export.export_adapter(learner, path, loss_name="sparse_softmax_cross_entropy",
                        allow_transductive=True)
  loaded = tf.saved_model.load(path)
  rng = np.random.default_rng(1)
  support_x = rng.random((6, 12, 12, 1), dtype=np.float32)
  support_y = np.array([0, 1, 2, 0, 1, 2], np.int32)
  query_x = rng.random((4, 12, 12, 1), dtype=np.float32)
  served = loaded.signatures["adapt_and_predict"](
      support_x=support_x, support_y=support_y, query_x=query_x)
  expected = _python_answer(learner, support_x, support_y[:, None], query_x)
  np.testing.assert_allclose(served["predictions"], expected, atol=1e-5)
  np.testing.assert_allclose(served["probabilities"],
                             tf.nn.softmax(expected), atol=1e-5)
  np.testing.assert_array_equal(served["classes"], np.argmax(expected, -1))
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"support_y labels must be < 3"):
    loaded.signatures["adapt_and_predict"](
        support_x=support_x, support_y=support_y + 1, query_x=query_x)


def test_a_stored_state_answers_as_adapting_per_request(mtnet_adapter):
  # Adapt once (the state a client keeps), predict many times from it: the
  # same answers as adapt_and_predict, with no inner loop.
  learner, _, loaded = mtnet_adapter
  support_x, support_y, query_x = _sinusoid(5)
  stored = loaded.signatures["adapt"](support_x=support_x,
                                      support_y=support_y)
  sizes = sum(int(np.prod(w.shape)) for w in learner.roles.adapted)
  assert stored["state"].shape == (sizes,)
  assert stored["state_fingerprint"].numpy().startswith(b"kerasmeta-state-v1:")
  for queries in (query_x, query_x[:2]):
    served = loaded.signatures["predict_with_state"](query_x=queries,
                                                     **stored)
    np.testing.assert_allclose(
        served["predictions"],
        loaded.signatures["adapt_and_predict"](
            support_x=support_x, support_y=support_y,
            query_x=queries)["predictions"], atol=1e-6)


def test_a_state_of_another_adapter_or_layout_is_refused(mtnet_adapter,
                                                         tmp_path):
  learner, _, loaded = mtnet_adapter
  support_x, support_y, query_x = _sinusoid(5)
  stored = loaded.signatures["adapt"](support_x=support_x,
                                      support_y=support_y)
  predict = loaded.signatures["predict_with_state"]
  # Another export of a retrained model: its states do not fit this one.
  weight = learner.model.weights[0]
  weight.assign_add(tf.ones_like(weight))
  try:
    export.export_adapter(learner, str(tmp_path / "1"), loss_name="mse")
  finally:
    weight.assign_sub(tf.ones_like(weight))
  other = tf.saved_model.load(str(tmp_path / "1")).signatures["adapt"](
      support_x=support_x, support_y=support_y)
  assert other["state"].shape == stored["state"].shape
  for fingerprint, match in (
      (other["state_fingerprint"], "belongs to another adapter"),
      (tf.constant("kerasmeta-state-v2:0123"), "not a state of layout v1")):
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
      predict(state=stored["state"], state_fingerprint=fingerprint,
              query_x=query_x)
  size = stored["state"].shape[0]
  for state, match in (
      (stored["state"][:-1], rf"state must have shape \[{size}\]"),
      (tf.fill([size], np.nan), "state holds NaN"),
      # Finite weights whose answers overflow: refused, not sent as inf.
      (tf.fill([size], 1e30), "the outputs are not finite")):
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
      predict(state=state, state_fingerprint=stored["state_fingerprint"],
              query_x=query_x)


def test_a_batch_of_users_equals_their_single_requests(mtnet_adapter):
  # [tasks, points, ...]: every task the same size, one call for all.
  _, _, loaded = mtnet_adapter
  tasks = [_sinusoid(5, seed=seed) for seed in range(3)]
  support_x, support_y, query_x = (np.stack(part) for part in zip(*tasks))
  stored = loaded.signatures["adapt_batch"](support_x=support_x,
                                            support_y=support_y)
  served = loaded.signatures["predict_with_state_batch"](query_x=query_x,
                                                         **stored)
  for task, (x, y, q) in enumerate(tasks):
    single = loaded.signatures["adapt"](support_x=x, support_y=y)
    np.testing.assert_allclose(stored["state"][task], single["state"],
                               atol=1e-6)
    np.testing.assert_allclose(
        served["predictions"][task],
        loaded.signatures["adapt_and_predict"](
            support_x=x, support_y=y, query_x=q)["predictions"], atol=1e-6)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="one (row )?per task"):
    loaded.signatures["predict_with_state_batch"](query_x=query_x[:2],
                                                  **stored)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="must hold the same number of tasks"):
    loaded.signatures["adapt_batch"](support_x=support_x,
                                     support_y=support_y[:2])
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"support_x must have shape \[tasks, points, 1\]"):
    loaded.signatures["adapt_batch"](support_x=support_x[0],
                                     support_y=support_y[0])


def test_anils_state_is_its_head(tmp_path):
  model = km.layers.adapt_only(km.models.mlp(hidden_sizes=(8,)), ["output"])
  _randomise(model)
  learner = km.MAML(model, num_inner_steps=2, inner_learning_rate=0.05)
  path = str(tmp_path / "1")
  export.export_adapter(learner, path, loss_name="mse")
  loaded = tf.saved_model.load(path)
  support_x, support_y, query_x = _sinusoid(5)
  stored = loaded.signatures["adapt"](support_x=support_x,
                                      support_y=support_y)
  assert stored["state"].shape == (8 + 1,)  # the output layer: kernel, bias
  np.testing.assert_allclose(
      loaded.signatures["predict_with_state"](query_x=query_x,
                                              **stored)["predictions"],
      _python_answer(learner, support_x, support_y, query_x), atol=1e-5)


def test_meta_sgd_adapter_uses_the_learned_rates(tmp_path):
  model = km.models.mlp(hidden_sizes=(8,))
  _randomise(model)
  learner = km.MetaSGD(model, num_inner_steps=1, inner_learning_rate=0.05)
  rng = np.random.default_rng(2)
  for rate in learner.extra_variables:
    rate.assign(rng.uniform(0.0, 0.2, rate.shape).astype("float32"))
  path = str(tmp_path / "1")
  export.export_adapter(learner, path)
  loaded = tf.saved_model.load(path)
  support_x, support_y, query_x = _sinusoid(5)
  served = loaded.signatures["adapt_and_predict"](
      support_x=support_x, support_y=support_y, query_x=query_x)
  np.testing.assert_allclose(served["predictions"],
                             _python_answer(learner, support_x, support_y,
                                            query_x), atol=1e-5)


def test_an_adapter_of_a_learner_without_gradient_adaptation_is_refused(
    tmp_path):
  learner = km.algorithms.ContinualLearner(km.models.mlp(hidden_sizes=(8,)),
                                           km.tasks.ContinualSineTasks())
  with pytest.raises(TypeError, match="No adapter is registered for "
                     "ContinualLearner; adapters serve: GradientLearner, LEO, "
                     "PolicyGradientMAML"):
    export.export_adapter(learner, str(tmp_path / "1"))


def test_export_adapted_serves_the_model_adapted_in_python(tmp_path,
                                                           mtnet_adapter):
  learner, _, _ = mtnet_adapter
  support_x, support_y, query_x = _sinusoid(5)
  path = str(tmp_path / "adapted")
  export.export_adapted(learner, (support_x, support_y), path)
  served = tf.saved_model.load(path).signatures["serving_default"](x=query_x)
  np.testing.assert_allclose(served["predictions"],
                             _python_answer(learner, support_x, support_y,
                                            query_x), atol=1e-5)


def test_adapter_loads_and_answers_in_a_process_without_kerasmeta(
    mtnet_adapter):
  learner, path, _ = mtnet_adapter
  support_x, support_y, query_x = _sinusoid(5)
  served = helpers.answer_in_fresh_process(
      path, dict(support_x=support_x, support_y=support_y, query_x=query_x),
      "predictions")
  np.testing.assert_allclose(
      served,
      _python_answer(learner, support_x, support_y, query_x), atol=1e-5)


def test_saved_model_cli_is_run_as_a_module_of_this_python():
  assert _saved_model_cli_command() == [sys.executable, "-m",
                                       SAVED_MODEL_CLI_MODULE]


def test_saved_model_cli_falls_back_to_the_script_beside_python(
    monkeypatch, tmp_path):
  monkeypatch.setitem(sys.modules, SAVED_MODEL_CLI_MODULE, None)
  python = tmp_path / "bin" / "python"
  script = tmp_path / "bin" / "saved_model_cli"
  script.parent.mkdir()
  with pytest.raises(FileNotFoundError, match="saved_model_cli not found"):
    _saved_model_cli_command(str(python))
  script.write_text("#!/bin/sh\n")
  script.chmod(0o755)
  assert _saved_model_cli_command(str(python)) == [str(script)]


@pytest.mark.slow
def test_saved_model_cli_lists_the_signatures_and_runs_the_adapter(
    mtnet_adapter, tmp_path):
  learner, path, _ = mtnet_adapter
  # An empty PATH: the CLI must be found from the interpreter, not from PATH.
  cli = _saved_model_cli_command()
  cli_env = {**CLI_ENV, "PATH": str(tmp_path)}
  shown = subprocess.run(cli + ["show", "--dir", path, "--all"],
                         capture_output=True, text=True, env=cli_env)
  assert shown.returncode == 0, shown.stderr[-2000:]
  for name in ("adapt_and_predict", "adapt_and_predict_with_options",
               "predict", "serving_default"):
    assert f"signature_def['{name}']" in shown.stdout
  ran = subprocess.run(
      cli + ["run", "--dir", path, "--tag_set", "serve",
             "--signature_def", "adapt_and_predict", "--input_exprs",
             "support_x=[[-1.0],[0.5],[2.0]];support_y=[[0.3],[-0.2],[1.0]];"
             "query_x=[[0.0],[1.5]]"],
      capture_output=True, text=True, env=cli_env)
  assert ran.returncode == 0, ran.stderr[-2000:]
  assert "Result for output key predictions" in ran.stdout
  numbers = ran.stdout.split("Result for output key predictions:")[1]
  values = np.array([float(v) for v in
                     numbers.replace("[", " ").replace("]", " ").split()])
  expected = _python_answer(
      learner, np.array([[-1.0], [0.5], [2.0]], np.float32),
      np.array([[0.3], [-0.2], [1.0]], np.float32),
      np.array([[0.0], [1.5]], np.float32))
  np.testing.assert_allclose(values, expected.ravel(), atol=1e-5)


def test_an_interrupted_export_leaves_no_version_and_none_is_overwritten(
    tmp_path, mtnet_adapter, monkeypatch):
  learner, _, _ = mtnet_adapter
  model_dir = tmp_path / "model"
  real_save = tf.saved_model.save

  def save_then_stop(module, path, signatures=None):
    real_save(module, path, signatures=signatures)  # files half written...
    os.remove(os.path.join(path, "saved_model.pb"))
    raise KeyboardInterrupt  # ...and the process stopped

  monkeypatch.setattr(tf.saved_model, "save", save_then_stop)
  with pytest.raises(KeyboardInterrupt):
    export.export_adapter(learner, str(model_dir / "1"), loss_name="mse")
  monkeypatch.setattr(tf.saved_model, "save", real_save)
  # No version folder a server would load: the leftover is hidden.
  assert not (model_dir / "1").exists()
  assert [name for name in os.listdir(model_dir)
          if not name.startswith(".")] == []
  assert export.next_version(str(model_dir)) == 1
  export.export_adapter(learner, str(model_dir / "1"), loss_name="mse")
  assert tf.saved_model.load(str(model_dir / "1")).signatures
  with pytest.raises(FileExistsError, match="never overwrites a version"):
    export.export_adapter(learner, str(model_dir / "1"), loss_name="mse")


def test_the_batching_parameters_are_a_batching_parameters_text_proto():
  # tensorflow_serving's BatchingParameters: scalar fields wrapped as
  # `name { value: N }` (Int64Value); the file sets the four that size it.
  path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "export",
                      "serving", "batching_parameters.txt")
  with open(path) as f:
    lines = [line.strip() for line in f
             if line.strip() and not line.startswith("#")]
  fields = {}
  for line in lines:
    name, rest = line.split(" ", 1)
    assert rest.startswith("{ value: ") and rest.endswith(" }"), line
    fields[name] = int(rest[len("{ value: "):-2])
  assert set(fields) == {"max_batch_size", "batch_timeout_micros",
                         "max_enqueued_batches", "num_batch_threads"}
  assert all(value >= 1 for value in fields.values())
