# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.task = "sinusoid"`: few-shot sinusoid regression.

Tasks `y = A sin(w x - b)` (`kerasmeta.tasks.SinusoidTasks`, the MT-net or
MAML protocol by `config.task_variant`), learned by a few-shot meta-learner
around a model by name (the MLP). Evaluation: the query loss after 0..N
inner steps at each K, mean and 95% CI over held-out tasks.
"""

from __future__ import annotations

from typing import Optional, TYPE_CHECKING

from kerasmeta import tasks as tasks_lib
from kerasmeta.experiments import _few_shot
from kerasmeta.experiments import _regression

if TYPE_CHECKING:
  from kerasmeta._typing import Config
  from kerasmeta.tasks.base import TaskStream

validate_config = _few_shot.validate_config
build_model = _few_shot.build_model
build_learner = _few_shot.build_learner


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train") -> TaskStream:
  """`SinusoidTasks` with K = `shots` (default config.shots); no splits."""
  del split  # every sinusoid comes from the one distribution
  return tasks_lib.SinusoidTasks(
      shots=int(shots or config.shots), num_query=config.get("num_query"),
      variant=config.get("task_variant", "mtnet"))


# The evaluator this family's runs are measured by.
EVALUATOR = _regression.RegressionEvaluator.name
