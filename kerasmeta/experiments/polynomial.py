# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.task = "polynomial"`: few-shot polynomial regression.

Tasks `y = sum_i c_i x^i` of order `config.polynomial_order`
(`kerasmeta.tasks.PolynomialTasks`, the MT-net reference code's
polynomials), learned by a few-shot meta-learner around a model by name
(the MLP). Evaluation as the sinusoids': the query MSE after 0..N inner
steps at each K, mean and 95% CI over held-out tasks.
"""

from __future__ import annotations

from typing import Optional, TYPE_CHECKING

from kerasmeta import tasks as tasks_lib
from kerasmeta.experiments import _few_shot
from kerasmeta.experiments import _regression

if TYPE_CHECKING:
  from kerasmeta._typing import Config
  from kerasmeta.tasks.base import TaskStream

build_model = _few_shot.build_model
build_learner = _few_shot.build_learner


def validate_config(config: Config) -> Config:
  """The few-shot checks, and an order >= 0; returns config."""
  order = config.get("polynomial_order")
  if not isinstance(order, int) or isinstance(order, bool) or order < 0:
    raise ValueError(f"Bad config: polynomial_order must be an integer >= 0; "
                     f"received {order!r}.")
  return _few_shot.validate_config(config)


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train") -> TaskStream:
  """`PolynomialTasks` with K = `shots` (default config.shots); no splits."""
  del split  # every polynomial comes from the one distribution
  return tasks_lib.PolynomialTasks(
      shots=int(shots or config.shots), num_query=int(config.num_query),
      order=config.polynomial_order)


# The evaluator this family's runs are measured by.
EVALUATOR = _regression.RegressionEvaluator.name
