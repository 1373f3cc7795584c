# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.task = "navigation"`: MAML's 2-D navigation (meta-RL).

Tasks are goals (`kerasmeta.envs.Navigation2D`), the learner is
`PolicyGradientMAML` around MAML's Gaussian MLP policy (or a user's Keras
policy), and the evaluation is MAML's figure 4: the mean return after 0..N
policy-gradient steps on held-out goals, with episodes before and after
adaptation drawn for a few of them.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import numpy as np

from kerasmeta import algorithms
from kerasmeta import envs
from kerasmeta import evaluators
from kerasmeta import experiments
from kerasmeta import rl
from kerasmeta.algorithms import policy_gradient_maml
from kerasmeta.rl import evaluation as rl_evaluation

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Config, JitCompile
  from kerasmeta.algorithms.base import MetaLearner
  from kerasmeta.tasks.base import TaskStream

ALGORITHM = "maml_rl"
ALGORITHMS = (ALGORITHM, "maml_trpo")  # the outer step: Adam's or TRPO's


def environment(config: Config) -> envs.Navigation2D:
  return envs.Navigation2D(
      horizon=config.horizon, goal_tolerance=config.goal_tolerance,
      squared_distance=config.squared_distance)


def validate_config(config: Config) -> Config:
  """Checks the algorithm, the counts and the estimator; returns config."""
  if config.model != "gaussian_mlp":
    raise ValueError(f"Task {config.task!r} builds the policy "
                     f"'gaussian_mlp'; received config.model "
                     f"{config.model!r} (a policy of your own goes to "
                     "PolicyGradientMAML directly).")
  experiments.check_algorithm(config, ALGORITHMS)
  experiments.check_at_least(config, 1, "horizon")
  experiments.check_at_least(config.learner, 0, "num_inner_steps",
                             group="config.learner")
  experiments.check_at_least(config.learner, 1, "num_episodes",
                             group="config.learner")
  experiments.check_at_least(config.eval, 0, "num_inner_steps",
                             group="config.eval")
  meta_gradient = config.learner.meta_gradient
  if meta_gradient not in policy_gradient_maml.META_GRADIENTS:
    raise ValueError(f"config.learner.meta_gradient must be one of "
                     f"{policy_gradient_maml.META_GRADIENTS}; received "
                     f"{meta_gradient!r}.")
  return config


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train") -> TaskStream:
  """Goals of `Navigation2D` (held-out goals come from another seed)."""
  del shots, split  # tasks have neither
  return envs.EnvironmentTasks(environment(config))


def build_model(config: Config) -> keras.Model:
  """MAML's policy: two hidden layers of 100 units (`config.activation`),
  learned log-std (floored at `config.min_std` where set)."""
  plane = environment(config)
  return rl.gaussian_mlp_policy(
      plane.observation_size, plane.action_size,
      hidden_units=tuple(config.hidden_sizes),
      activation=config.activation, initial_std=config.initial_std,
      min_std=config.min_std, seed=config.seed)


def build_learner(config: Config, model: keras.Model) -> MetaLearner:
  """`PolicyGradientMAML(model, environment, **config.learner)`."""
  return experiments.learner_from_config(
      config, model, environment(config), algorithms_allowed=ALGORITHMS)


def evaluation_rates(config: Config) -> tuple[float, float]:
  """The step sizes of the evaluation's steps: MAML's test script takes its
  first step at eval.inner_learning_rate (0.5) and the later ones at
  eval.later_learning_rate (0.25; configs written before the field existed
  get half the first, the script's ratio)."""
  first = config.eval.inner_learning_rate
  later = config.eval.get("later_learning_rate", first / 2)
  return (first, later)


@evaluators.register("returns_after_adaptation")
class ReturnsAfterAdaptation(evaluators.Evaluator):
  """Return after 0..N policy-gradient steps on `num_tasks` held-out goals
  (MAML's figure 4), and a PNG of episodes before and after adaptation."""

  def evaluate(self, learner: Any, *, num_tasks: int, seed: int,
               split: str = "test", shots: Any = None,
               jit_compile: JitCompile = False) -> evaluators.Evaluation:
    self.check_split(split)
    config = self.config
    del shots, jit_compile  # navigation has no shots; rollouts run uncompiled
    held_out = task_distribution(config).evaluation_tasks(num_tasks, seed)
    returns, observations, alive = rl_evaluation.returns_by_step(
        learner, held_out.tasks, held_out.seeds, config.eval.num_inner_steps,
        learning_rate=evaluation_rates(config),
        num_episodes=config.eval.num_episodes, keep_paths=True)
    results = rl_evaluation.summarize_by_step(returns)
    results["per_task"] = returns.tolist()
    shown = min(int(config.eval.num_plot_tasks), num_tasks)
    goals = np.asarray(held_out.tasks.parameters)

    def draw(path):
      from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
      plotting.plot_navigation_adaptation(
          goals[:shown], observations[:shown], alive[:shown], path,
          title=f"{config.get('variant', ALGORITHM)}: episodes before and "
          f"after {config.eval.num_inner_steps} policy-gradient steps")

    means = ", ".join(f"{s['mean']:.1f}±{s['ci95']:.1f}"
                      for s in results["return"])
    summary = (f"return after 0..{config.eval.num_inner_steps} steps over "
               f"{num_tasks} goals: {means}")
    return evaluators.Evaluation(results, draw, summary)


# The evaluator this family's runs are measured by.
EVALUATOR = ReturnsAfterAdaptation.name
