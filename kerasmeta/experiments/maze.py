# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.task = "maze"`: Miconi's maze, WarpGrad's recurrent meta-RL task.

Tasks are goal cells of `kerasmeta.envs.Maze`; the learner is the
recurrent actor-critic (`RecurrentActorCritic`), one 200-step episode per
goal, 30 per meta-step. Evaluation: the mean return of one episode on each
of the held-out goals (the y axis of WarpGrad's figure 3).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta import envs
from kerasmeta import evaluation
from kerasmeta import evaluators
from kerasmeta import experiments
from kerasmeta.rl import actor_critic

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Config, JitCompile
  from kerasmeta.algorithms.base import MetaLearner
  from kerasmeta.tasks.base import TaskStream

ALGORITHM = "actor_critic"
MODELS = ("recurrent_actor_critic", "warp_rnn", "tnets_rnn", "hebbian_rnn")


def environment(config: Config) -> envs.Maze:
  return envs.Maze(size=config.maze_size, horizon=config.horizon,
                   goal_reward=config.goal_reward,
                   wall_penalty=config.wall_penalty)


def validate_config(config: Config) -> Config:
  experiments.check_algorithm(config, (ALGORITHM,))
  if config.model not in MODELS:
    raise ValueError(f"Task {config.task!r} builds one of the models "
                     f"{MODELS}; received {config.model!r}.")
  if (config.get("warp_projection_bias") is not None
      and config.model != "warp_rnn"):
    raise ValueError(f"warp_projection_bias biases the Warp-RNN's warps; "
                     f"model {config.model!r} has none (received "
                     f"warp_projection_bias={config.warp_projection_bias}).")
  if config.get("modulation") is not None and config.model != "hebbian_rnn":
    raise ValueError(f"modulation sets a Hebbian RNN's plasticity rule; "
                     f"model {config.model!r} has none (received "
                     f"modulation={config.modulation!r}).")
  experiments.check_at_least(config, 1, "horizon", "hidden_units")
  environment(config)  # refuses a bad maze size
  return config


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train") -> TaskStream:
  del shots, split  # goals have neither
  return envs.EnvironmentTasks(environment(config))


def build_model(config: Config) -> keras.Model:
  """The plain RNN, the Warp-RNN of eq. 16, the T-Nets-RNN or a plastic
  (Hebbian) RNN."""
  maze = environment(config)
  sizes = (maze.observation_size, maze.action_size, config.hidden_units)
  if config.model == "warp_rnn":
    return actor_critic.warp_rnn_actor_critic(
        *sizes, config.meta_units, seed=config.seed,
        projection_bias=config.get("warp_projection_bias"))
  if config.model == "tnets_rnn":
    return actor_critic.tnets_rnn_actor_critic(*sizes, seed=config.seed)
  if config.model == "hebbian_rnn":
    return actor_critic.hebbian_rnn_actor_critic(
        *sizes, modulation=config.modulation, seed=config.seed)
  return actor_critic.recurrent_actor_critic(*sizes, seed=config.seed)


def build_learner(config: Config, model: keras.Model) -> MetaLearner:
  """`RecurrentActorCritic(model, environment, **config.learner)`."""
  return experiments.learner_from_config(
      config, model, environment(config), algorithms_allowed=(ALGORITHM,))


@evaluators.register("maze_returns")
class MazeReturns(evaluators.Evaluator):
  """Mean return of one episode on each of `num_tasks` held-out goals."""

  def evaluate(self, learner: Any, *, num_tasks: int, seed: int,
               split: str = "test", shots: Any = None,
               jit_compile: JitCompile = False) -> evaluators.Evaluation:
    self.check_split(split)
    config = self.config
    del shots, jit_compile
    held_out = task_distribution(config).evaluation_tasks(num_tasks, seed)
    run = tf.function(learner.episodes, autograph=False)
    episodes = run(held_out.tasks.parameters, held_out.seeds[0])
    returns = np.sum(episodes.rewards.numpy(), axis=0)
    results = {"return": evaluation.summarize(returns),
               "per_task": returns.tolist()}

    def draw(path):
      from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
      plotting.plot_histogram(returns, path, "return of one episode per goal")

    mean, ci95 = results["return"]["mean"], results["return"]["ci95"]
    summary = f"return over {num_tasks} goals: {mean:.1f}±{ci95:.1f}"
    return evaluators.Evaluation(results, draw, summary)


# The evaluator this family's runs are measured by.
EVALUATOR = MazeReturns.name
