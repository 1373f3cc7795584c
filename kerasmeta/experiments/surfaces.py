# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.task = "surfaces"`: WarpGrad on synthetic 2-D loss surfaces.

WarpGrad appendix D: an explicit warp Omega (a residual 2-layer tanh MLP)
meta-learned by `ExplicitWarpGrad` over random surfaces
(`kerasmeta.tasks.SurfaceTasks`). Evaluation: gradient descent against
WarpGrad from the same initialisations on held-out surfaces (figure 5).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras

from kerasmeta import algorithms
from kerasmeta import evaluation
from kerasmeta import evaluators
from kerasmeta import experiments
from kerasmeta import tasks as tasks_lib
from kerasmeta.layers import warp

if TYPE_CHECKING:
  from kerasmeta._typing import Config, JitCompile
  from kerasmeta.algorithms.base import MetaLearner
  from kerasmeta.tasks.base import TaskStream

ALGORITHM = "explicit_warp"  # the one learner of this family


def validate_config(config: Config) -> Config:
  """Checks the algorithm and the counts; returns config."""
  experiments.check_algorithm(config, (ALGORITHM,))
  experiments.check_at_least(config, 1, "num_inits")
  experiments.check_at_least(config.learner, 1, "num_inner_steps",
                             group="config.learner")
  return config


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train") -> TaskStream:
  """`SurfaceTasks` with config.num_inits initialisations per surface."""
  del shots, split  # a surface has initialisations, not shots or splits
  return tasks_lib.SurfaceTasks(num_inits=config.num_inits)


def build_model(config: Config) -> keras.Model:
  """The explicit warp Omega: x + W2 tanh(W1 x + b1) + b2 (appendix D)."""
  return keras.Sequential(
      [keras.Input((2,)),
       warp.residual_tanh_warp(2, hidden_units=config.warp_hidden_units,
                               seed=config.seed, name="omega")],
      name="explicit_warp")


def build_learner(config: Config, model: keras.Model) -> MetaLearner:
  """`ExplicitWarpGrad` of `model` over the surfaces' values."""
  return experiments.learner_from_config(
      config, model, tasks_lib.surfaces.surface_value,
      algorithms_allowed=(ALGORITHM,))


@evaluators.register("surfaces")
class SurfaceEvaluator(evaluators.Evaluator):
  """Gradient descent vs WarpGrad on held-out surfaces (figure 5)."""

  def evaluate(self, learner: Any, *, num_tasks: int, seed: int,
               split: str = "test", shots: Any = None,
               jit_compile: JitCompile = False) -> evaluators.Evaluation:
    self.check_split(split)
    config = self.config
    del shots, jit_compile  # surfaces have neither
    distribution = task_distribution(config)
    results = evaluation.evaluate_surfaces(learner, distribution,
                                           num_tasks=num_tasks, seed=seed)

    def draw(path):
      from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
      plotting.plot_surfaces(learner, distribution, path,
                             num_tasks=config.eval.num_plot_tasks, seed=seed)

    plain, warped = results["gradient_descent"], results["warpgrad"]
    summary = (f"final loss over {num_tasks} surfaces: gradient descent "
               f"{plain['mean']:.3f}±{plain['ci95']:.3f}, WarpGrad "
               f"{warped['mean']:.3f}±{warped['ci95']:.3f}")
    return evaluators.Evaluation(results, draw, summary)


# The evaluator this family's runs are measured by.
EVALUATOR = SurfaceEvaluator.name
