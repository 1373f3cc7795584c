# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

import kerasmeta as km
from kerasmeta import batched
from tests import helpers


@pytest.mark.parametrize("cell,algorithm,first_order", [
    ("dense", km.MAML, False),
    ("dense", km.MAML, True),
    ("tnet", km.MAML, False),
    ("mtnet", km.MAML, False),
    ("mnet_full", km.MAML, False),
    ("mtnet", km.MetaSGD, False),
])
def test_fast_path_gives_the_general_paths_gradients(cell, algorithm,
                                                     first_order):
  model = km.models.mlp(cell=cell, hidden_sizes=(8, 8))
  rng = np.random.default_rng(0)
  for weight in model.weights:
    weight.assign(rng.normal(size=weight.shape).astype("float32") * 0.5)
  tasks, seeds = next(iter(km.SinusoidTasks(shots=5).dataset(0, 4)))
  results = []
  for vectorize in (False, True):
    learner = algorithm(model, num_inner_steps=3, inner_learning_rate=0.05,
                        first_order=first_order, vectorize=vectorize)
    assert learner.uses_fast_path == vectorize
    results.append(learner.compute_gradients(tasks, seeds))
  (general, general_metrics), (fast, fast_metrics) = results
  for a, b in zip(general, fast):
    np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6)
  for name in general_metrics:
    np.testing.assert_allclose(general_metrics[name], fast_metrics[name],
                               rtol=1e-5)


def test_fast_path_adapts_each_task_as_if_alone():
  model = helpers.tiny_mlp(sizes=(1, 4, 1))
  learner = km.MAML(model, num_inner_steps=2, inner_learning_rate=0.3)
  tasks, seeds = helpers.random_tasks(3), helpers.task_seeds(3)
  assert learner.uses_fast_path
  together = learner.adapt_with(learner.mapper(), tasks, seeds).params
  for i in range(3):
    alone = learner.adapt(helpers.unbatch(tasks, i), seed=seeds[i]).params
    for t, a in zip(together, alone):
      np.testing.assert_allclose(t[i], a, rtol=1e-12)


def test_conv_models_use_the_general_path():
  model = km.models.conv4(input_shape=(8, 8, 1), filters=4, num_classes=2)
  assert not batched.supports(model)
  assert not km.MAML(model).uses_fast_path
  with pytest.raises(ValueError, match="no fast path"):
    km.MAML(model, vectorize=True)
