# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.task = "continual_sine"`: continual sine regression.

WarpGrad appendix J: task sequences of 5 sub-intervals learned one after
the other by online SGD (`ContinualLearner`: plain, with EWC, or through
meta-learned warp layers), from one fixed, seeded initialisation of an MLP.
Evaluation: every sub-task's loss after the whole sequence, in the training
order and a random one, with the learning rate (and EWC strength) chosen on
validation sequences (figure 10).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

from kerasmeta import algorithms
from kerasmeta import evaluation
from kerasmeta import evaluators
from kerasmeta import experiments
from kerasmeta import models
from kerasmeta import tasks as tasks_lib

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Config, JitCompile
  from kerasmeta.algorithms.base import MetaLearner
  from kerasmeta.tasks.base import TaskStream

ALGORITHM = "continual"  # the one learner of this family


def validate_config(config: Config) -> Config:
  """Checks the algorithm and the sequence sizes; returns config."""
  experiments.check_algorithm(config, (ALGORITHM,))
  experiments.check_at_least(config, 1, "num_subtasks", "steps_per_subtask",
                             "batch_size", "num_validation")
  return config


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train") -> TaskStream:
  """`ContinualSineTasks` in config.order (() or None: left to right)."""
  del shots, split  # sequences have batches per step, not shots or splits
  return tasks_lib.ContinualSineTasks(
      num_subtasks=config.num_subtasks,
      steps_per_subtask=config.steps_per_subtask,
      batch_size=config.batch_size, num_validation=config.num_validation,
      order=tuple(config.order) if config.get("order") else None)


def build_model(config: Config) -> keras.Model:
  """The MLP from its fixed initialisation (seeded by config.seed)."""
  return models.mlp(hidden_sizes=tuple(config.hidden_sizes),
                    cell=config.cell, warp=config.get("warp", False),
                    warp_block=config.warp_block,
                    seed=config.seed,
                    kernel_initializer=config.kernel_initializer)


def build_learner(config: Config, model: keras.Model) -> MetaLearner:
  """The `ContinualLearner` of `model` over the config's sequences."""
  return experiments.learner_from_config(
      config, model, task_distribution(config),
      algorithms_allowed=(ALGORITHM,))


@evaluators.register("continual")
class ContinualEvaluator(evaluators.Evaluator):
  """Forgetting after whole task sequences (figure 10)."""

  def evaluate(self, learner: Any, *, num_tasks: int, seed: int,
               split: str = "test", shots: Any = None,
               jit_compile: JitCompile = False) -> evaluators.Evaluation:
    self.check_split(split)
    config = self.config
    del shots, jit_compile  # the learner traces its own evaluation
    eval_config = config.eval

    def distribution(order):
      ordered = config.copy_and_resolve_references()
      with ordered.unlocked():
        ordered.order = tuple(order) if order is not None else ()
      return task_distribution(ordered)

    results = evaluation.evaluate_continual(
        learner, distribution, num_tasks=num_tasks, seed=seed,
        learning_rates=eval_config.learning_rates,
        ewc_strengths=eval_config.ewc_strengths,
        validation_seed=eval_config.validation_seed,
        num_validation_tasks=eval_config.num_validation_tasks,
        orders={"sequential": None,
                "random": tuple(eval_config.random_order)})

    def draw(path):
      from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
      plotting.plot_continual(
          {f"{config.variant}, {name} order": results[name]["mean_curves"]
           for name in ("sequential", "random")}, path,
          steps_per_subtask=config.steps_per_subtask)

    final = results["sequential"]["final_by_subtask"]
    summary = (f"{config.variant} (alpha {results['learning_rate']}, EWC "
               f"{results['ewc_strength']}): final loss by sub-task " +
               ", ".join(f"{v['mean']:.3f}" for v in final))
    return evaluators.Evaluation(results, draw, summary)


# The evaluator this family's runs are measured by.
EVALUATOR = ContinualEvaluator.name
