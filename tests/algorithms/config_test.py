# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Every learner family's settings: `get_config` and `from_config`."""

import json

import keras
import pytest

import kerasmeta as km
from kerasmeta.layers import warp
from kerasmeta.rl import actor_critic
from kerasmeta.tasks import continual_sine
from kerasmeta.tasks import surfaces
from tests import helpers


def _warped_model():
  keras.utils.set_random_seed(0)
  return keras.Sequential([
      keras.Input((1,)), keras.layers.Dense(4, activation="tanh"),
      warp.residual_tanh_warp(4, hidden_units=3), keras.layers.Dense(1)])


def _maze_network(maze):
  return actor_critic.warp_rnn_actor_critic(
      maze.observation_size, maze.action_size, 6, meta_units=3, seed=0)


def _families():
  """name -> (learner class, its objects, its settings)."""
  maze = km.envs.Maze(size=7, horizon=10)
  navigation = km.envs.Navigation2D()
  return {
      "maml": (km.MAML, dict(model=helpers.tiny_mlp()),
               dict(num_inner_steps=3, inner_learning_rate=0.2,
                    loss="mse")),
      "meta_sgd": (km.MetaSGD, dict(model=helpers.tiny_mlp()),
                   dict(inner_learning_rate=0.05)),
      "warp_leap": (km.WarpLeap, dict(model=_warped_model()),
                    dict(num_inner_steps=2, momentum=0.5)),
      "offline_warpgrad": (km.algorithms.OfflineWarpGrad,
                           dict(model=_warped_model()),
                           dict(replay_batch_size=3, init_objective="leap")),
      "continual_warpgrad": (km.algorithms.ContinualWarpGrad,
                             dict(model=_warped_model()),
                             dict(warp_update_interval=4)),
      "leo": (km.LEO, {}, dict(features=6, ways=3, num_latents=4,
                               num_latent_steps=2)),
      "learning_to_learn": (km.LearningToLearn,
                            dict(problems=km.tasks.QuadraticProblems()),
                            dict(num_steps=8, truncation=4, units=(5, 5))),
      "policy_gradient_maml": (
          km.PolicyGradientMAML,
          dict(model=km.rl.gaussian_mlp_policy(2, 2), environment=navigation),
          dict(num_inner_steps=2, inner_learning_rate=0.3, outer_epochs=2)),
      "actor_critic": (km.algorithms.RecurrentActorCritic,
                       dict(model=_maze_network(maze), environment=maze),
                       dict(discount=0.8, warp_update_interval=3)),
      "continual": (km.algorithms.ContinualLearner,
                    dict(model=km.models.mlp(hidden_sizes=(4,), warp=True,
                                             seed=0),
                         tasks=continual_sine.ContinualSineTasks(
                             num_subtasks=2, steps_per_subtask=2)),
                    dict(learning_rate=0.05, ewc_strength=0.5)),
      "explicit_warpgrad": (
          km.algorithms.ExplicitWarpGrad,
          dict(warp_model=keras.Sequential([
              keras.Input((2,)), warp.residual_tanh_warp(2, hidden_units=3)]),
               objective_fn=surfaces.surface_value),
          dict(num_inner_steps=7, inner_learning_rate=0.2)),
  }


@pytest.mark.parametrize("name", sorted(_families()))
def test_a_learner_is_rebuilt_from_its_config(name):
  learner_class, objects, settings = _families()[name]
  learner = learner_class(**objects, **settings)
  config = learner.get_config()
  for setting, value in settings.items():
    assert config[setting] == value, setting
  assert json.loads(json.dumps(config)) == json.loads(json.dumps(config))
  again = learner_class.from_config(json.loads(json.dumps(config)),
                                    **objects)
  assert type(again) is learner_class
  assert json.dumps(again.get_config()) == json.dumps(config)
  assert not set(objects) & set(config)  # objects are not settings


def test_from_config_without_its_objects_names_the_missing_one():
  learner = km.MAML(helpers.tiny_mlp(), num_inner_steps=2)
  with pytest.raises(TypeError, match="model"):
    km.MAML.from_config(learner.get_config())
