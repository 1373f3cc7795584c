# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Every exporting family's adapter, loaded and run by TF's C API.

TF Serving reads a SavedModel in C++; `export.serving.c_api` takes the
same path (`TF_LoadSessionFromSavedModel`, `TF_SessionRun`) from a process
that imports neither kerasmeta nor tensorflow, so the answers below come
from the graph and the variables alone.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

import kerasmeta as km
from export.serving import c_api
from kerasmeta import export

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def _randomise(model, seed=0, scale=0.5):
  rng = np.random.default_rng(seed)
  for weight in model.weights:
    weight.assign((rng.normal(size=weight.shape) * scale).astype("float32"))


def _sinusoid_users(rng):
  users = []
  for _ in range(2):
    x = rng.uniform(-5, 5, (12, 1)).astype("float32")
    y = (2 * np.sin(x - 1)).astype("float32")
    users.append(({"support_x": x[:5], "support_y": y[:5]},
                  {"query_x": x[5:]}))
  return users


def _gradient_family(path, model, rng):
  _randomise(model)
  learner = km.MAML(model, num_inner_steps=3, inner_learning_rate=0.05)
  export.export_adapter(learner, path, loss_name="mse")
  return _sinusoid_users(rng)


def _leo_family(path, rng):
  keras.utils.set_random_seed(0)
  learner = km.LEO(6, 3, num_latents=4, num_latent_steps=2,
                   num_finetuning_steps=2, finetuning_learning_rate=0.1)
  for variable in learner.networks.trainable_variables[2:]:
    variable.assign(rng.normal(size=variable.shape).astype("float32") * 0.5)
  export.export_adapter(learner, path, max_steps=10)
  return [({"support_x": rng.normal(size=(6, 6)).astype("float32"),
            "support_y": np.tile(np.arange(3), 2).astype("int32")},
           {"query_x": rng.normal(size=(4, 6)).astype("float32")})
          for _ in range(2)]


def _policy_family(path, rng):
  environment = km.envs.Navigation2D(horizon=8)
  policy = km.rl.gaussian_mlp_policy(2, 2, hidden_units=(16,), seed=1)
  learner = km.PolicyGradientMAML(policy, environment, inner_learning_rate=0.5,
                                  num_episodes=4)
  export.export_adapter(learner, path)
  users = []
  for goal in ([0.3, -0.2], [-0.3, 0.1]):
    paths = learner.sample(learner.initial_values(), tf.constant(goal),
                           tf.constant([3, 4]))
    users.append(({name: getattr(paths, name).numpy() for name in
                   ("observations", "actions", "rewards", "alive")},
                  {"observations": rng.uniform(-0.5, 0.5, (3, 2)).astype(
                      "float32")}))
  return users


# family: (answer signature, its query key, with-state signature)
SIGNATURES = {"mtnet": ("adapt_and_predict", "query_x", "predict_with_state"),
              "anil": ("adapt_and_predict", "query_x", "predict_with_state"),
              "leo": ("adapt_and_predict", "query_x", "predict_with_state"),
              "policy": ("adapt_and_act", "query_observations",
                         "act_with_state")}

# The child process: C API only; every result saved under "family/what/key".
CHILD = r"""
import json, sys
import numpy as np
from export.serving import c_api
plan = json.loads(sys.argv[1])
results = {}
for family, (path, answer, query_key, with_state) in plan.items():
  inputs = np.load(f"{path}.npz", allow_pickle=False)
  user = lambda i, side: {k.split("/")[2]: inputs[k] for k in inputs.files
                          if k.startswith(f"{i}/{side}/")}
  session = c_api.CApiSession(path)
  support, query = user(0, "support"), user(0, "query")
  outputs = {"answer": session.run(answer, **support, **{
      query_key: query[next(iter(query))]})}
  state = session.run("adapt", **support)
  outputs["state"] = state
  outputs["with_state"] = session.run(with_state, **state, **query)
  users = [user(i, "support") for i in (0, 1)]
  batch_state = session.run("adapt_batch", **{
      k: np.stack([u[k] for u in users]) for k in support})
  outputs["batch"] = session.run(with_state + "_batch", **batch_state, **{
      k: np.stack([user(i, "query")[k] for i in (0, 1)]) for k in query})
  outputs["single_1"] = session.run(with_state, **session.run(
      "adapt", **users[1]), **user(1, "query"))
  options = {"num_steps": np.int32(1), "learning_rate": np.float32(0.0)}
  if family in ("mtnet", "anil"):  # scalars: a rate of 0 changes nothing
    outputs["unadapted"] = session.run("adapt_and_predict_with_options",
                                       **support, **query, **options)
    outputs["predict"] = session.run("predict", x=query["query_x"])
  try:
    session.run(with_state, state=state["state"],
                state_fingerprint=b"kerasmeta-state-v0:00", **query)
    results[f"{family}/refused"] = np.array(b"")
  except c_api.CApiError as error:
    results[f"{family}/refused"] = np.array(str(error).encode())
  for what, named in outputs.items():
    for key, value in named.items():
      results[f"{family}/{what}/{key}"] = (value.astype("S")
                                           if value.dtype == object else value)
  session.close()
assert "tensorflow" not in sys.modules and "kerasmeta" not in sys.modules
np.savez(sys.argv[2], **results)
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
  """`{family: (python signatures, users)}`, the C API child's results and
  `{family: SavedModel path}`."""
  root = tmp_path_factory.mktemp("c_api")
  rng = np.random.default_rng(0)
  families = {
      "mtnet": lambda p: _gradient_family(
          p, km.models.mlp(cell="mtnet", hidden_sizes=(16, 16)), rng),
      "anil": lambda p: _gradient_family(p, km.layers.adapt_only(
          km.models.mlp(hidden_sizes=(8,)), ["output"]), rng),
      "leo": lambda p: _leo_family(p, rng),
      "policy": lambda p: _policy_family(p, rng)}
  plan, python = {}, {}
  for family, make in families.items():
    path = str(root / family / "1")
    users = make(path)
    np.savez(f"{path}.npz", **{f"{i}/{side}/{k}": v
                               for i, user in enumerate(users)
                               for side, named in zip(("support", "query"),
                                                      user)
                               for k, v in named.items()})
    plan[family] = (path, *SIGNATURES[family])
    python[family] = (tf.saved_model.load(path).signatures, users)
  output = str(root / "results.npz")
  result = subprocess.run(
      [sys.executable, "-c", CHILD, json.dumps(plan), output], cwd=ROOT,
      capture_output=True, text=True,
      env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"})
  assert result.returncode == 0, result.stderr[-3000:]
  loaded = np.load(output, allow_pickle=False)
  return (python, {k: loaded[k] for k in loaded.files},
          {family: plan[family][0] for family in plan})


def _outputs(results, family, what):
  prefix = f"{family}/{what}/"
  return {k[len(prefix):]: v for k, v in results.items()
          if k.startswith(prefix)}


@pytest.mark.parametrize("family", sorted(SIGNATURES))
def test_the_c_api_answers_as_the_python_loader(served, family):
  python, results, _ = served
  signatures, users = python[family]
  answer, query_key, _ = SIGNATURES[family]
  support, query = users[0]
  want = signatures[answer](**support, **{query_key: next(iter(
      query.values()))})
  got = _outputs(results, family, "answer")
  assert set(got) == set(want)
  for key, value in want.items():
    np.testing.assert_allclose(got[key], value.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("family", ["anil", "mtnet"])
def test_scalar_inputs_reach_the_graph_as_scalars(served, family):
  _, results, _ = served
  unadapted = _outputs(results, family, "unadapted")["predictions"]
  np.testing.assert_allclose(
      unadapted, _outputs(results, family, "predict")["predictions"],
      rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("family", sorted(SIGNATURES))
def test_a_state_stored_through_the_c_api_answers_as_adapting(served, family):
  _, results, _ = served
  answer = _outputs(results, family, "answer")
  with_state = _outputs(results, family, "with_state")
  for key, value in with_state.items():
    np.testing.assert_allclose(value, answer[key], rtol=1e-6, atol=1e-6)
  state = _outputs(results, family, "state")
  assert state["state_fingerprint"].item().startswith(b"kerasmeta-state-v1:")


@pytest.mark.parametrize("family", sorted(SIGNATURES))
def test_a_batch_through_the_c_api_equals_single_requests(served, family):
  _, results, _ = served
  batch = _outputs(results, family, "batch")
  for index, single in ((0, _outputs(results, family, "with_state")),
                        (1, _outputs(results, family, "single_1"))):
    for key, value in single.items():
      np.testing.assert_allclose(batch[key][index], value, rtol=1e-6,
                                 atol=1e-6)


@pytest.mark.parametrize("family", sorted(SIGNATURES))
def test_the_c_api_refuses_a_state_of_another_layout(served, family):
  message = served[1][f"{family}/refused"].item().decode()
  assert "not a state of layout v1" in message, message


@pytest.mark.parametrize("family", ["leo", "policy"])
def test_signatures_are_read_from_the_wire_format_as_tf_reads_them(
    served, family):
  path = served[2][family]
  saved_model = saved_model_pb2.SavedModel()
  with open(os.path.join(path, "saved_model.pb"), "rb") as file:
    saved_model.ParseFromString(file.read())
  meta_graph = saved_model.meta_graphs[0]
  want = {name: {side: {key: (info.name, info.dtype)
                        for key, info in getattr(signature, side).items()}
                 for side in ("inputs", "outputs")}
          for name, signature in meta_graph.signature_def.items()}
  assert c_api.signatures(meta_graph.SerializeToString()) == want


def test_a_session_with_its_own_thread_count_answers_alike(served):
  python, results, paths = served
  with c_api.CApiSession(paths["mtnet"], intra_op_threads=1) as session:
    support, query = python["mtnet"][1][0]
    answer = session.run("adapt_and_predict", **support, **query)
  np.testing.assert_allclose(
      answer["predictions"], _outputs(results, "mtnet", "answer")[
          "predictions"], rtol=1e-6, atol=1e-6)


def test_a_missing_model_or_signature_is_refused_by_name(served, tmp_path):
  with pytest.raises(c_api.CApiError, match="Loading"):
    c_api.CApiSession(str(tmp_path / "absent"))
  with c_api.CApiSession(served[2]["leo"]) as session:
    with pytest.raises(c_api.CApiError, match="No signature 'predict'"):
      session.run("predict", x=np.zeros((1, 6), np.float32))
    with pytest.raises(c_api.CApiError, match="takes"):
      session.run("adapt", support_x=np.zeros((3, 6), np.float32))
