# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import algorithms
from kerasmeta import distribute
from kerasmeta import training
from kerasmeta.layers import warp
from tests import helpers


def _warped_model(seed=0):
  """x -> Dense(3, tanh) -> tanh residual warp -> Dense(1), float64."""
  keras.utils.set_random_seed(seed)
  dtype = "float64"
  model = keras.Sequential([
      keras.Input((1,), dtype=dtype),
      keras.layers.Dense(3, activation="tanh", dtype=dtype,
                         kernel_initializer=keras.initializers.RandomNormal(
                             stddev=0.7)),
      warp.residual_tanh_warp(3, hidden_units=2, dtype=dtype),
      keras.layers.Dense(1, dtype=dtype),
  ])
  # Move the warp off its identity start so that it matters.
  rng = np.random.default_rng(seed)
  for weight in model.layers[1].trainable_weights:
    weight.assign(rng.normal(scale=0.5, size=weight.shape))
  return model


def _objective_pieces(learner, task):
  mapper = learner.mapped()
  support = learner.task_loss_fn(mapper, task.support_x, task.support_y)
  query = learner.task_loss_fn(mapper, task.query_x, task.query_y)
  return support, query


@pytest.mark.parametrize("exact", [True, False])
def test_warp_objective_gradient_matches_finite_differences(exact):
  model = _warped_model()
  learner = algorithms.WarpGrad(model, init_objective="none",
                                inner_learning_rate=0.4)
  task = helpers.unbatch(helpers.random_tasks(1), 0)
  support, query = _objective_pieces(learner, task)
  rng = np.random.default_rng(3)
  theta = [tf.constant(rng.normal(size=w.shape)) for w in
           learner.roles.adapted]
  phi = learner.warp_variables
  with tf.GradientTape() as tape:
    value, _ = algorithms.warp_objective(support, query, theta, 0.4,
                                         exact=exact)
  gradients = tape.gradient(value, phi)

  if exact:  # eq. 7: the step from theta_k depends on phi
    objective = lambda: algorithms.warp_objective(support, query, theta,
                                                  0.4)[0]
  else:  # eq. 8: the step is taken as given, at the current phi
    sgd = km.inner.sgd(0.4)
    stepped, _, _ = km.inner.step(support, theta, sgd, sgd.init(theta))
    stepped = [tf.constant(s.numpy()) for s in stepped]
    objective = lambda: query(stepped)
  expected = helpers.finite_difference_gradients(objective, phi)
  for gradient, reference in zip(gradients, expected):
    np.testing.assert_allclose(gradient, reference, rtol=1e-6, atol=1e-9)


def test_exact_and_approximate_warp_gradients_differ():
  model = _warped_model()
  learner = algorithms.WarpGrad(model, init_objective="none",
                                inner_learning_rate=0.4)
  task = helpers.unbatch(helpers.random_tasks(1), 0)
  support, query = _objective_pieces(learner, task)
  theta = learner.initial_values()
  results = []
  for exact in (True, False):
    with tf.GradientTape() as tape:
      value, _ = algorithms.warp_objective(support, query, theta, 0.4,
                                           exact=exact)
    results.append(tape.gradient(value, learner.warp_variables))
  difference = max(float(tf.reduce_max(tf.abs(a - b)))
                   for a, b in zip(*results))
  assert difference > 1e-4


def test_warp_maml_gives_theta0_maml_gradient_and_phi_the_warp_gradient():
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  learner = algorithms.WarpMAML(_warped_model(), num_inner_steps=2,
                                inner_learning_rate=0.3, init_step_scale=0.5)
  gradients, metrics = learner.compute_gradients(tasks, seeds)
  num_adapted = len(learner.roles.adapted)

  # theta_0: MAML's meta-gradient (the warp held fixed); lambda scales the
  # step, through the optimiser of theta_0's variable group.
  assert [scale for scale, _ in learner.variable_groups()] == [0.5, 1.0]
  maml = km.MAML(_warped_model(), num_inner_steps=2, inner_learning_rate=0.3)
  maml_gradients, _ = maml.compute_gradients(tasks, seeds)
  by_variable = {id(v): g for v, g in zip(maml.trainable_variables,
                                          maml_gradients)}
  for ours, variable in zip(gradients[:num_adapted], maml.roles.adapted):
    reference = by_variable[id(variable)]
    np.testing.assert_allclose(ours, reference.numpy(), rtol=1e-9)

  # phi: the mean over tasks and over theta_0, theta_1 of eq. 7's gradient.
  expected = [np.zeros(w.shape) for w in learner.warp_variables]
  for index in range(2):
    task = helpers.unbatch(tasks, index)
    _, _, trajectory = learner.adapt(task, return_trajectory=True)[:3]
    support, query = _objective_pieces(learner, task)
    for step in range(2):
      with tf.GradientTape() as tape:
        value, _ = algorithms.warp_objective(
            support, query, [t[step] for t in trajectory], 0.3)
      for total, g in zip(expected, tape.gradient(value,
                                                  learner.warp_variables)):
        total += g.numpy() / 4
  for ours, reference in zip(gradients[num_adapted:], expected):
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-12)
  assert set(metrics) == {"support_loss", "query_loss", "warp_loss",
                          "init_loss"}


def test_without_init_objective_only_the_warp_trains():
  learner = algorithms.WarpGrad(_warped_model(), init_objective="none")
  assert {id(v) for v in learner.trainable_variables} == \
      {id(v) for v in learner.roles.meta}


def test_learned_inner_learning_rate_gets_a_finite_difference_gradient():
  learner = algorithms.WarpGrad(_warped_model(), init_objective="none",
                                learn_inner_optimizer=True, momentum=0.5,
                                inner_learning_rate=0.2, num_inner_steps=2)
  tasks, seeds = helpers.random_tasks(1), helpers.task_seeds(1)
  gradients, _ = learner.compute_gradients(tasks, seeds)
  rate, momentum = learner.inner_optimizer.meta_weights

  # The trajectory is sampled at the current rates and held fixed, so the
  # objective to difference keeps it at the unperturbed values.
  task = helpers.unbatch(tasks, 0)
  mapper = learner.mapped()
  _, _, result = learner.collect(mapper, task)
  constant = lambda t: tf.constant(t.numpy())
  params = [constant(t) for t in result.trajectory]
  states = tf.nest.map_structure(constant, result.state_trajectory)

  def objective():
    values = [learner.warp_loss(mapper, task, [p[k] for p in params],
                                tf.nest.map_structure(lambda s: s[k], states))
              for k in range(2)]
    return tf.reduce_mean(values)

  expected = helpers.finite_difference_gradients(objective, [rate, momentum])
  np.testing.assert_allclose(gradients[-2:], expected, rtol=1e-6)
  assert abs(float(gradients[-2])) > 0


def test_warpgrad_needs_warp_layers_and_inner_steps():
  with pytest.raises(ValueError, match="no meta weights"):
    algorithms.WarpGrad(helpers.tiny_mlp())
  with pytest.raises(ValueError, match="num_inner_steps must be >= 1"):
    algorithms.WarpGrad(_warped_model(), num_inner_steps=0)
  with pytest.raises(ValueError, match="init_objective"):
    algorithms.WarpGrad(_warped_model(), init_objective="reptile")


def _train_step(learner, global_batch_size):
  optimizer = training.make_outer_optimizer(learner, "sgd", 0.1)
  strategy = distribute.make_strategy("default")
  built = training.build_step(learner, optimizer, strategy, global_batch_size)
  return optimizer, built


def test_offline_step_takes_one_warp_update_per_buffer_batch():
  learner = algorithms.OfflineWarpGrad(
      _warped_model(), num_inner_steps=2, init_objective="leap",
      replay_batch_size=4, inner_learning_rate=0.3)
  optimizer, step = _train_step(learner, global_batch_size=3)
  step = step.run
  warp_before = [w.numpy().copy() for w in learner.warp_variables]
  init_before = [w.numpy().copy() for w in learner.roles.adapted]
  metrics = step((helpers.random_tasks(3), helpers.task_seeds(3)))
  # 3 tasks x (K + 1 = 3) parameterisations in batches of 4: 3 warp steps,
  # plus one step of the initialisation, each group with its optimiser.
  assert float(metrics["warp_updates"]) == 3
  init_optimizer, warp_optimizer = optimizer.optimizers
  assert int(init_optimizer.iterations.numpy()) == 1
  assert int(warp_optimizer.iterations.numpy()) == 3
  for before, weight in zip(warp_before + init_before,
                            learner.warp_variables + learner.roles.adapted):
    assert not np.allclose(before, weight.numpy())


def test_continual_step_updates_theta_every_step_and_phi_every_eta():
  learner = algorithms.ContinualWarpGrad(
      _warped_model(), init_objective="maml", warp_update_interval=2,
      inner_learning_rate=0.3)
  _, built = _train_step(learner, global_batch_size=2)
  step, accumulated = built.run, built.state.variables[
      "warp_gradients_accumulated"]
  batch = (helpers.random_tasks(2), helpers.task_seeds(2))
  snapshot = lambda ws: [w.numpy().copy() for w in ws]
  warp0, theta0 = snapshot(learner.warp_variables), snapshot(
      learner.roles.adapted)
  step(batch)
  warp1, theta1 = snapshot(learner.warp_variables), snapshot(
      learner.roles.adapted)
  assert all(np.array_equal(a, b) for a, b in zip(warp0, warp1))
  assert not all(np.array_equal(a, b) for a, b in zip(theta0, theta1))
  assert int(accumulated.numpy()) == 1
  step(batch)
  warp2 = snapshot(learner.warp_variables)
  assert not all(np.array_equal(a, b) for a, b in zip(warp1, warp2))
  assert int(accumulated.numpy()) == 0


def test_continual_mode_with_fixed_theta_and_momentum_trains_the_warp_only():
  learner = algorithms.ContinualWarpGrad(
      _warped_model(), init_objective="none", momentum=0.9,
      warp_update_interval=1, inner_learning_rate=0.3)
  step = _train_step(learner, global_batch_size=2)[1].run
  theta = [w.numpy().copy() for w in learner.roles.adapted]
  warp_before = [w.numpy().copy() for w in learner.warp_variables]
  step((helpers.random_tasks(2), helpers.task_seeds(2)))
  for before, weight in zip(theta, learner.roles.adapted):
    np.testing.assert_array_equal(before, weight.numpy())
  assert not all(np.array_equal(a, w.numpy())
                 for a, w in zip(warp_before, learner.warp_variables))


def test_inner_mini_batches_turn_off_the_shared_pass():
  learner = algorithms.WarpMAML(_warped_model(), num_inner_steps=1,
                                inner_batch_size=2)
  assert not learner.shares_one_pass


@pytest.mark.parametrize("learn_inner_optimizer", [False, True])
def test_one_step_warp_maml_shares_one_pass_with_the_same_gradient(
    learn_inner_optimizer):
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  make = lambda: algorithms.WarpMAML(
      _warped_model(), num_inner_steps=1, inner_learning_rate=0.3,
      init_step_scale=0.7, learn_inner_optimizer=learn_inner_optimizer)
  learner = make()
  assert learner.shares_one_pass
  ours, metrics = learner.compute_gradients(tasks, seeds)
  # The same objective with L and C computed apart.
  reference, reference_metrics = algorithms.mapped_gradients(
      lambda task, seed: learner.separate_objective(learner.mapped(), task,
                                                    seed),
      tasks, seeds, learner.metric_names, learner.trainable_variables,
      dtype=tf.float64)
  for a, b in zip(ours, reference):
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
  for name in metrics:
    np.testing.assert_allclose(metrics[name], reference_metrics[name],
                               rtol=1e-6)


@pytest.mark.parametrize("scheme", ["OfflineWarpGrad", "ContinualWarpGrad"])
def test_the_other_schemes_refuse_one_gradient_per_batch(scheme):
  learner = getattr(algorithms, scheme)(_warped_model(), num_inner_steps=2,
                                        init_objective="leap")
  assert learner.compiles_with_xla == "never" and not learner.distributes
  with pytest.raises(ValueError, match=f"{scheme} is not one gradient"):
    learner.compute_gradients(helpers.random_tasks(2), helpers.task_seeds(2))


def test_each_scheme_takes_only_its_own_options():
  with pytest.raises(TypeError, match="replay_batch_size"):
    algorithms.WarpGrad(_warped_model(), replay_batch_size=2)
  with pytest.raises(TypeError, match="warp_update_interval"):
    algorithms.OfflineWarpGrad(_warped_model(), warp_update_interval=2)
  with pytest.raises(TypeError, match="replay_batch_size"):
    algorithms.ContinualWarpGrad(_warped_model(), replay_batch_size=2)
  # The continual scheme trains theta directly: no inner steps needed.
  assert algorithms.ContinualWarpGrad(_warped_model(),
                                      num_inner_steps=0).num_inner_steps == 0
