# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import tensorflow as tf

import kerasmeta as km
from tests import helpers


def test_learned_rates_start_at_alpha_and_have_weight_shapes():
  model = helpers.tiny_mlp()
  learner = km.MetaSGD(model, inner_learning_rate=0.05)
  shapes = [tuple(w.shape) for w in km.weight_roles(model).adapted]
  assert [tuple(r.shape) for r in learner.extra_variables] == shapes
  assert all(np.allclose(r.numpy(), 0.05) for r in learner.extra_variables)


def test_meta_sgd_meta_gradient_matches_finite_differences():
  model = helpers.tiny_mlp()
  learner = km.MetaSGD(model, num_inner_steps=1, inner_learning_rate=0.2)
  rng = np.random.default_rng(0)
  for rate in learner.extra_variables:
    rate.assign(rng.uniform(0.05, 0.3, size=rate.shape))
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  gradients, _ = learner.compute_gradients(tasks, seeds)
  epsilon = 1e-6
  for variable, gradient in zip(learner.extra_variables,
                                gradients[-len(learner.extra_variables):]):
    original = variable.numpy().copy()
    for index in np.ndindex(original.shape):
      values = []
      for sign in (1, -1):
        shifted = original.copy()
        shifted[index] += sign * epsilon
        variable.assign(shifted)
        values.append(np.mean([
            float(learner.task_objective(helpers.unbatch(tasks, i),
                                         seeds[i])[0]) for i in range(2)]))
      variable.assign(original)
      np.testing.assert_allclose(gradient.numpy()[index],
                                 (values[0] - values[1]) / (2 * epsilon),
                                 rtol=1e-5, atol=1e-8)


def test_adaptation_uses_the_learned_rate_of_each_weight():
  model = helpers.tiny_mlp()
  learner = km.MetaSGD(model, num_inner_steps=1, inner_learning_rate=0.1)
  rates = learner.extra_variables
  for rate in rates:
    rate.assign(np.zeros(rate.shape))
  rates[0].assign(np.full(rates[0].shape, 0.5))
  task = helpers.unbatch(helpers.random_tasks(1), 0)
  adapted, _ = learner.adapt(task)[:2]
  initial = learner.initial_values()
  assert not np.allclose(adapted[0], initial[0])
  for a, b in zip(adapted[1:], initial[1:]):
    np.testing.assert_array_equal(a, b)


def test_meta_weights_are_fixed_by_adaptation_and_moved_by_a_meta_step():
  from kerasmeta import training
  model = km.models.mlp(hidden_sizes=(8,), cell="mtnet")
  learner = km.MetaSGD(model, num_inner_steps=2, inner_learning_rate=0.05)
  meta = km.weight_roles(model).meta + learner.extra_variables
  assert {v.name for v in meta} >= {"transform", "mask_logits"}
  before = [v.numpy().copy() for v in model.weights + learner.extra_variables]
  distribution = km.SinusoidTasks(shots=5)
  tasks, seeds = next(iter(distribution.dataset(0, 4)))
  learner.adapt(helpers.unbatch(tasks, 0), seed=seeds[0])
  for v, b in zip(model.weights + learner.extra_variables, before):
    np.testing.assert_array_equal(v.numpy(), b)
  optimizer = keras.optimizers.Adam(1e-2)
  optimizer.build(learner.trainable_variables)
  step = training.make_train_step(learner, optimizer,
                                  tf.distribute.get_strategy(), 4,
                                  jit_compile=False)
  step((tasks, seeds))
  before_by_id = {id(v): b for v, b in zip(
      model.weights + learner.extra_variables, before)}
  for v in meta:
    assert not np.array_equal(v.numpy(), before_by_id[id(v)]), v.path
