# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Every meta-learner through `run_meta_learner_test` (the interface)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import algorithms
from kerasmeta import models
from kerasmeta.layers import warp
from kerasmeta.tasks import continual_sine
from kerasmeta.tasks import surfaces
from tests import helpers


def _warped_model():
  keras.utils.set_random_seed(0)
  return keras.Sequential([
      keras.Input((1,), dtype="float64"),
      keras.layers.Dense(4, activation="tanh", dtype="float64"),
      warp.residual_tanh_warp(4, hidden_units=3, dtype="float64"),
      keras.layers.Dense(1, dtype="float64")])


def _mtnet_model():
  keras.utils.set_random_seed(0)
  return keras.Sequential([
      keras.Input((1,), dtype="float64"),
      km.TDense(4, activation="tanh", mask="unit", dtype="float64"),
      km.TDense(1, mask="unit", dtype="float64")])


# name -> (learner class, model builder, kwargs, finite differences, the
# metric a short run lowers: the query loss after adaptation where the
# gradient is its own, the support loss before adaptation for Reptile and
# Leap, whose initialisation moves towards the tasks' solutions).
GRADIENT_LEARNERS = {
    "maml": (km.MAML, helpers.tiny_mlp, {"num_inner_steps": 2}, True,
             "query_loss"),
    "mtnet": (km.MAML, _mtnet_model, {"num_inner_steps": 1}, False,
              "query_loss"),
    "fomaml": (km.FOMAML, helpers.tiny_mlp, {"num_inner_steps": 1}, False,
               "query_loss"),
    "meta_sgd": (km.MetaSGD, helpers.tiny_mlp, {"num_inner_steps": 1}, True,
                 "query_loss"),
    # The gradients fed to the LSTM are constants: not the derivative.
    "lstm_maml": (km.algorithms.LSTMMAML, helpers.tiny_mlp,
                  {"num_inner_steps": 2, "units": (4,),
                   "output_scale": 0.1}, False, "query_loss"),
    "reptile": (km.Reptile, helpers.tiny_mlp, {"num_inner_steps": 3}, False,
                "support_loss"),
    "leap": (km.Leap, helpers.tiny_mlp, {"num_inner_steps": 3}, False,
             "support_loss"),
    "warp_maml_one_step": (km.WarpMAML, _warped_model,
                           {"num_inner_steps": 1}, True, "query_loss"),
    "warp_maml": (km.WarpMAML, _warped_model, {"num_inner_steps": 2}, False,
                  "query_loss"),
    "warp_leap_momentum": (km.WarpLeap, _warped_model,
                           {"num_inner_steps": 2, "momentum": 0.5,
                            "learn_inner_optimizer": True}, False,
                           "query_loss"),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_LEARNERS))
def test_gradient_learner_meets_the_interface_contract(name):
  learner_class, make_model, kwargs, differences, metric = \
      GRADIENT_LEARNERS[name]
  model = make_model()

  def make(**extra):
    return learner_class(model, inner_learning_rate=0.3, **kwargs, **extra)

  km.testing.run_meta_learner_test(
      make, helpers.random_tasks(3), helpers.task_seeds(3),
      finite_differences=differences, learn_steps=20, learned_metric=metric)


def test_continual_learner_meets_the_interface_contract():
  distribution = continual_sine.ContinualSineTasks(
      num_subtasks=2, steps_per_subtask=2, batch_size=3, num_validation=4)
  model = models.mlp(hidden_sizes=(6, 6), warp=True,
                     warp_block="residual_tanh", seed=0,
                     kernel_initializer="GlorotUniform")
  sequences, seeds = next(iter(distribution.dataset(0, 2)))
  km.testing.run_meta_learner_test(
      lambda: algorithms.ContinualLearner(model, distribution,
                                          learning_rate=0.05),
      sequences, seeds, finite_differences=False, fast_path=False,
      learn_steps=10, learning_rate=0.01, rtol=1e-4, atol=1e-6)


def test_explicit_warpgrad_meets_the_interface_contract():
  keras.utils.set_random_seed(0)
  model = keras.Sequential([keras.Input((2,), dtype="float64"),
                            warp.residual_tanh_warp(2, hidden_units=3,
                                                    dtype="float64")])
  tasks = surfaces.SurfaceTasks(num_inits=3).evaluation_tasks(2, seed=0)
  batch = surfaces.Surface(*[tf.cast(t, tf.float64) for t in tasks.tasks])
  km.testing.run_meta_learner_test(
      lambda: algorithms.ExplicitWarpGrad(model, surfaces.surface_value,
                                          num_inner_steps=4,
                                          inner_learning_rate=0.1),
      batch, tasks.seeds, finite_differences=False, fast_path=False,
      learn_steps=10, learned_metric="warp_loss")


class MeanRegressor(km.algorithms.MetaLearner):
  """The interface's docstring example, written out as a user would."""

  name = "mean_regressor"
  metric_names = ("query_loss",)

  def __init__(self):
    self.value = tf.Variable(0.0)

  @property
  def trainable_variables(self):
    return [self.value]

  def checkpoint_items(self):
    return {"value": self.value}

  def compute_gradients(self, tasks, seeds, global_batch_size=None,
                        scale_loss=None):
    with tf.GradientTape() as tape:
      losses = tf.reduce_mean(
          tf.square(tasks.query_y - self.value), axis=[1, 2])
      objective = km.algorithms.mean_over_tasks(
          losses, global_batch_size, scale_loss)
    return km.algorithms.MetaGradients(
        tape.gradient(objective, [self.value]),
        {"query_loss": tf.reduce_mean(losses)})


def test_the_documented_minimal_subclass_trains_through_the_contract():
  tasks = helpers.random_tasks(3, dtype=np.float32)
  tasks = tasks._replace(query_y=tasks.query_y + 2.0)
  learner = km.testing.run_meta_learner_test(
      MeanRegressor, tasks, helpers.task_seeds(3), fast_path=False,
      objective_fn=None, finite_differences=False, learn_steps=50,
      learning_rate=0.1)
  assert float(learner.value.numpy()) > 1.0


def test_a_learner_whose_metrics_are_sums_fails_the_contract():
  class SummingRegressor(MeanRegressor):
    def compute_gradients(self, tasks, seeds, global_batch_size=None,
                          scale_loss=None):
      result = super().compute_gradients(tasks, seeds, global_batch_size,
                                         scale_loss)
      count = tf.cast(tf.shape(tasks.query_y)[0], tf.float32)
      return result._replace(metrics={
          "query_loss": result.metrics["query_loss"] * count})

  with pytest.raises(AssertionError, match="means over tasks"):
    km.testing.run_meta_learner_test(
        SummingRegressor, helpers.random_tasks(3, dtype=np.float32),
        helpers.task_seeds(3), finite_differences=False, learn_steps=0)


def test_a_wrong_meta_gradient_fails_the_finite_difference_check():
  class HalfMAML(km.MAML):
    def compute_gradients(self, *args, **kwargs):
      result = super().compute_gradients(*args, **kwargs)
      return result._replace(gradients=[g * 0.5 for g in result.gradients])

  model = helpers.tiny_mlp()
  with pytest.raises(AssertionError, match="finite differences give"):
    km.testing.run_meta_learner_test(
        lambda **kwargs: HalfMAML(model, inner_learning_rate=0.3, **kwargs),
        helpers.random_tasks(2), helpers.task_seeds(2), learn_steps=0)


# The families that are not GradientLearners, and WarpGrad's other
# schemes: every learner the trainer takes passes the same contract.

def test_leo_meets_the_interface_contract():
  from tests.algorithms import leo_test  # pylint: disable=g-import-not-at-top
  km.testing.run_meta_learner_test(
      leo_test._learner, leo_test._episodes(3, spread=2.0),  # pylint: disable=protected-access
      leo_test._seeds(3), finite_differences=False, fast_path=False,  # pylint: disable=protected-access
      learn_steps=20, learned_metric="query_loss")


def test_the_learned_lstm_optimiser_meets_the_interface_contract():
  problems = km.tasks.QuadraticProblems()
  tasks, seeds = next(iter(problems.dataset(seed=0, batch_size=3)))
  km.testing.run_meta_learner_test(
      lambda: km.LearningToLearn(problems, num_steps=4, truncation=2),
      tasks, seeds, finite_differences=False, fast_path=False,
      learn_steps=20, learning_rate=0.01, learned_metric="final_loss",
      rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("outer_epochs", [1, 2])
def test_policy_gradient_maml_meets_the_interface_contract(outer_epochs):
  from tests.algorithms import policy_gradient_maml_test as pg_test  # pylint: disable=g-import-not-at-top
  learner = pg_test._navigation_learner(outer_epochs=outer_epochs)  # pylint: disable=protected-access
  stream = km.envs.EnvironmentTasks(learner.environment)
  tasks, seeds = next(iter(stream.dataset(seed=0, batch_size=3)))
  # (learn_steps=0: a few policy-gradient steps on three goals need not
  # raise the return; the navigation tests train it.)
  km.testing.run_meta_learner_test(
      lambda: learner, tasks, seeds, finite_differences=False,
      fast_path=False, learn_steps=0, rtol=1e-4, atol=1e-7)


def test_trpo_policy_gradient_maml_meets_the_interface_contract():
  from tests.algorithms import maml_trpo_test  # pylint: disable=g-import-not-at-top
  learner = maml_trpo_test._learner()  # pylint: disable=protected-access
  stream = km.envs.EnvironmentTasks(learner.environment)
  tasks, seeds = next(iter(stream.dataset(seed=0, batch_size=3)))
  km.testing.run_meta_learner_test(
      lambda: learner, tasks, seeds, finite_differences=False,
      fast_path=False, learn_steps=0, compute_gradients=False,
      rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("warp_update_interval", [1, 2])
def test_the_maze_actor_critic_meets_the_interface_contract(
    warp_update_interval):
  from kerasmeta.rl import actor_critic  # pylint: disable=g-import-not-at-top
  maze = km.envs.Maze(size=7, horizon=10)
  network = actor_critic.warp_rnn_actor_critic(
      maze.observation_size, maze.action_size, 6, meta_units=3, seed=0)
  learner = km.algorithms.RecurrentActorCritic(
      network, maze, warp_update_interval=warp_update_interval)
  stream = km.envs.EnvironmentTasks(maze)
  tasks, seeds = next(iter(stream.dataset(seed=0, batch_size=2)))
  # One batched rollout: the tasks share the batch's random draws.
  km.testing.run_meta_learner_test(
      lambda: learner, tasks, seeds, finite_differences=False,
      fast_path=False, learn_steps=0, means_over_tasks=False)


@pytest.mark.parametrize("mode", ["offline", "continual"])
def test_warpgrads_other_schemes_meet_the_interface_contract(mode):
  if mode == "offline":
    learner = km.algorithms.OfflineWarpGrad(
        _warped_model(), num_inner_steps=2, init_objective="leap",
        inner_learning_rate=0.3, replay_batch_size=2)
  else:
    learner = km.algorithms.ContinualWarpGrad(
        _warped_model(), num_inner_steps=2, init_objective="leap",
        inner_learning_rate=0.3, warp_update_interval=2)
  tasks, seeds = helpers.random_tasks(3), helpers.task_seeds(3)
  assert bool(learner.train_state(3)) == (mode == "continual")
  with pytest.raises(ValueError, match="is not one gradient"):
    learner.compute_gradients(tasks, seeds)
  km.testing.run_meta_learner_test(
      lambda: learner, tasks, seeds, compute_gradients=False,
      learn_steps=20, learning_rate=0.01,
      learned_metric="warp_loss" if mode == "offline" else "query_loss")
