# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Small builders shared by the tests."""

import keras
import numpy as np
import tensorflow as tf

from kerasmeta.tasks import Task


def tiny_mlp(cell_layer=None, dtype="float64", activation="tanh", seed=0,
             sizes=(1, 3, 1)):
  """A tiny float64 MLP; `cell_layer(units, **kw)` builds each weight layer."""
  keras.utils.set_random_seed(seed)
  cell_layer = cell_layer or keras.layers.Dense
  layers = [keras.Input((sizes[0],), dtype=dtype)]
  for index, units in enumerate(sizes[1:]):
    last = index == len(sizes) - 2
    layers.append(cell_layer(
        units, activation=None if last else activation, dtype=dtype,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.7),
        bias_initializer=keras.initializers.RandomNormal(stddev=0.3)))
  return keras.Sequential(layers)


def random_tasks(num_tasks=2, shots=4, queries=5, dim=1, dtype=np.float64,
                 seed=0):
  rng = np.random.default_rng(seed)
  make = lambda n: tf.constant(rng.normal(size=(num_tasks, n, dim)), dtype)
  return Task(make(shots), make(shots), make(queries), make(queries))


def task_seeds(num_tasks, seed=0):
  return tf.constant(np.random.default_rng(seed).integers(
      0, 2**31 - 1, size=(num_tasks, 2)), tf.int32)


def unbatch(tasks, index):
  return Task(*[t[index] for t in tasks])


def finite_difference_gradients(objective, variables, epsilon=1e-6):
  """Central differences of `objective()` (a float) in each variable entry."""
  gradients = []
  for variable in variables:
    original = np.array(variable.numpy())
    gradient = np.zeros_like(original)
    for index in np.ndindex(original.shape):
      for sign in (1, -1):
        shifted = original.copy()
        shifted[index] += sign * epsilon
        variable.assign(shifted)
        gradient[index] += sign * float(objective())
      variable.assign(original)
    gradients.append(gradient / (2 * epsilon))
  return gradients


def answer_in_fresh_process(path, request, output, dtypes=None):
  """`output` of `adapt_and_predict` of the SavedModel at `path`, asked in a
  new Python process that imports TensorFlow and not kerasmeta (checked).

  Args:
    path: the SavedModel directory.
    request: `{input name: array}`.
    output: the output to return.
    dtypes: `{input name: numpy dtype name}` (default float32).
  """
  import json  # pylint: disable=g-import-not-at-top
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  dtypes = {name: (dtypes or {}).get(name, "float32") for name in request}
  script = (
      "import json, sys\n"
      "import numpy as np, tensorflow as tf\n"
      f"loaded = tf.saved_model.load({path!r})\n"
      "r = json.loads(sys.stdin.read())\n"
      f"dtypes = {dtypes!r}\n"
      "out = loaded.signatures['adapt_and_predict'](**{k: np.array(v, "
      "dtypes[k]) for k, v in r.items()})\n"
      "assert not any(m.startswith('kerasmeta') for m in sys.modules)\n"
      f"print(json.dumps(out[{output!r}].numpy().tolist()))\n")
  result = subprocess.run(
      [sys.executable, "-c", script], cwd="/",
      input=json.dumps({k: np.asarray(v).tolist() for k, v in
                        request.items()}),
      capture_output=True, text=True,
      env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"})
  assert result.returncode == 0, result.stderr[-2000:]
  return np.array(json.loads(result.stdout.strip().splitlines()[-1]))


def assert_resumes_exactly(make_config, root, metric_names, split=2):
  """Trains `make_config()` whole, and again stopped at step `split` and
  resumed by a new trainer: the metrics lines (`metric_names`) and the
  weights must be the same."""
  import json  # pylint: disable=g-import-not-at-top
  import os  # pylint: disable=g-import-not-at-top
  from kerasmeta import training  # pylint: disable=g-import-not-at-top

  def metrics(workdir):
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
      return [[line["step"]] + [line[name] for name in metric_names]
              for line in map(json.loads, f)]

  whole = training.Trainer.from_config(make_config(), str(root / "whole"))
  whole.train()
  training.Trainer.from_config(make_config(), str(root / "split")).train(
      num_steps=split)
  resumed = training.Trainer.from_config(make_config(), str(root / "split"))
  resumed.train()
  assert resumed.step == whole.step
  assert metrics(root / "split") == metrics(root / "whole")
  for a, b in zip(resumed.variables, whole.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def checkpoint_tensors(path):
  """`{name: value}` of every tensor a checkpoint holds (the save counter
  and the object graph left out)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  reader = tf.train.load_checkpoint(path)
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()
          if "save_counter" not in name and "OBJECT_GRAPH" not in name}


def assert_same_checkpoints(received_path, expected_path):
  """Every tensor of two checkpoints equal, bit for bit."""
  expected = checkpoint_tensors(expected_path)
  received = checkpoint_tensors(received_path)
  assert sorted(expected) == sorted(received)
  for name, value in expected.items():
    np.testing.assert_array_equal(received[name], value, err_msg=name)


def set_fields(config, **fields):
  """Sets each field where `config` holds it: at the top level or in its
  `learner` group (the learner's arguments). A name it holds in neither is
  refused: `ConfigDict.update` would add it, and nothing would read it."""
  learner = config.get("learner") or {}
  for name, value in fields.items():
    if name in config and name != "learner":
      config[name] = value
    elif name in learner:
      learner[name] = value
    else:
      raise KeyError(f"The config has no field {name!r}, at the top level "
                     "or in config.learner.")
  return config
