# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""MAML's TRPO outer step: conjugate gradients, the Fisher-vector product
through the adaptation, and a step within the KL bound."""

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta.algorithms import maml_trpo
from tests import helpers


def test_conjugate_gradient_solves_a_positive_definite_system():
  rng = np.random.default_rng(0)
  root = rng.normal(size=(6, 6))
  matrix = root @ root.T + 0.5 * np.eye(6)
  vector = rng.normal(size=6)
  solve = maml_trpo.conjugate_gradient(
      lambda p: tf.linalg.matvec(tf.constant(matrix), p),
      tf.constant(vector), iterations=6)
  np.testing.assert_allclose(solve.numpy(), np.linalg.solve(matrix, vector),
                             rtol=1e-8)


def _learner(**options):
  environment = km.envs.Navigation2D(horizon=5, goal_tolerance=0.0)
  policy = km.rl.gaussian_mlp_policy(2, 2, hidden_units=(4,), seed=3,
                                     activation="tanh", dtype="float64",
                                     initial_std=0.5)
  return maml_trpo.TRPOPolicyGradientMAML(
      policy, environment, num_inner_steps=1, inner_learning_rate=0.3,
      num_episodes=3, meta_gradient="maml_code", **options)


def _batch():
  tasks = km.envs.EnvironmentTask(tf.constant([[0.3, -0.2], [-0.1, 0.4]]))
  return tasks, helpers.task_seeds(2)


def test_the_kl_of_the_adapted_policies_has_the_fisher_as_its_hessian():
  # At the sampling weights the mean KL is 0 with gradient 0, and its
  # Hessian (through the inner step) is what TRPO preconditions with: its
  # products equal finite differences of the KL's gradient.
  learner = _learner()
  tasks, seeds = _batch()
  recorded = learner.sample_episodes(tasks, seeds)
  alive = recorded[0][-1].alive
  old = tf.stop_gradient(learner.post_update_outputs(tasks, seeds, recorded))
  variables = learner.trainable_variables
  kl = lambda: learner.mean_kl(
      old, learner.post_update_outputs(tasks, seeds, recorded), alive)
  assert float(kl()) == pytest.approx(0.0, abs=1e-12)
  rng = np.random.default_rng(1)
  vector = [tf.constant(rng.normal(size=v.shape)) for v in variables]

  def kl_gradient():
    with tf.GradientTape() as tape:
      value = kl()
    return tape.gradient(value, variables)

  with tf.GradientTape() as outer:
    dot = tf.add_n([tf.reduce_sum(g * v) for g, v in
                    zip(kl_gradient(), vector)])
  product = outer.gradient(dot, variables)
  epsilon = 1e-5
  for variable, v in zip(variables, vector):
    variable.assign_add(epsilon * v)
  plus = kl_gradient()
  for variable, v in zip(variables, vector):
    variable.assign_sub(2 * epsilon * v)
  minus = kl_gradient()
  for variable, v in zip(variables, vector):
    variable.assign_add(epsilon * v)
  for got, high, low in zip(product, plus, minus):
    np.testing.assert_allclose(got.numpy(), (high - low).numpy() /
                               (2 * epsilon), rtol=1e-4, atol=1e-9)


def test_a_step_improves_the_surrogate_within_the_kl_bound():
  learner = _learner(max_kl=0.01)
  tasks, seeds = _batch()
  variables = learner.trainable_variables
  before = [v.numpy().copy() for v in variables]
  recorded = learner.sample_episodes(tasks, seeds)
  old = tf.stop_gradient(learner.post_update_outputs(tasks, seeds, recorded))
  alive = recorded[0][-1].alive
  step = tf.function(lambda t, s: learner.train_step({}, (t, s), None),
                     autograph=False)
  _, metrics = step(tasks, seeds)
  assert set(learner.metric_names) <= set(metrics)
  kl = float(learner.mean_kl(old, learner.post_update_outputs(
      tasks, seeds, recorded), alive))
  assert 0.0 < kl <= 0.01 and kl == pytest.approx(
      float(metrics["outer_kl"]), rel=1e-4)
  replayed = float(learner.batch_objective(tasks, seeds,
                                           recorded=recorded)[0])
  assert replayed < 0.0  # the surrogate was 0 at the sampling weights
  assert any(not np.array_equal(a, v.numpy())
             for a, v in zip(before, variables))


def test_a_line_search_without_an_acceptable_step_leaves_the_weights():
  # Tries that never improve the surrogate are all refused: the weights
  # return to where they started, and the KL reported is 0.
  learner = _learner(max_backtracks=3)
  variables = learner.trainable_variables
  start = [tf.identity(v) * 1.0 for v in variables]
  before = [v.numpy().copy() for v in variables]
  full_step = tf.ones([sum(v.shape.num_elements() for v in variables)],
                      tf.float64)
  loss_before = tf.constant(0.0, tf.float64)
  tried = []

  def objective():
    tried.append(1)
    return loss_before + 1.0, {}

  loss, kl, tries = learner._line_search(  # pylint: disable=protected-access
      start, full_step, loss_before, objective,
      lambda: tf.constant(0.0, tf.float64))
  for a, v in zip(before, variables):
    np.testing.assert_array_equal(a, v.numpy())
  assert (float(loss), float(kl), int(tries)) == (0.0, 0.0, 3)
  # One that improves within the bound is kept, at the full step.
  loss, kl, tries = learner._line_search(  # pylint: disable=protected-access
      start, full_step, loss_before,
      lambda: (loss_before - 1.0, {}), lambda: tf.constant(0.0, tf.float64))
  assert int(tries) == 1
  np.testing.assert_allclose(variables[0].numpy(), before[0] + 1.0)


def test_options_that_do_not_fit_trpo_are_refused():
  with pytest.raises(ValueError, match="outer_epochs=2"):
    _learner(outer_epochs=2, outer_clip=0.2)
  with pytest.raises(ValueError, match="max_kl > 0"):
    _learner(max_kl=0.0)
