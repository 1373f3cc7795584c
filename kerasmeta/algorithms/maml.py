# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""MAML (Finn et al. 2017) and first-order MAML.

The meta-objective of a task is the query loss of the model after
`num_inner_steps` steps of SGD on the support loss (MAML's algorithm 1,
which the MT-net paper writes as its eqs. 1-2; MT-net eqs. 4-5 and 8 when
the model holds T cells or masks). Second order differentiates through the
inner gradients; first order stops them.
T-net, MT-net and M-net are MAML run on models built from their cells.
"""

from __future__ import annotations

from typing import Any, Optional, TYPE_CHECKING

from absl import logging
import tensorflow as tf

from kerasmeta.algorithms import gradient_learner

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Mapper, Metrics, Seed


class MAML(gradient_learner.GradientLearner):
  """Model-agnostic meta-learning (second order unless `first_order`)."""

  name = "maml"
  supports_fast_path = True

  def objective(self, mapper: Mapper, task: Any,
                seed: Optional[Seed]) -> tuple[tf.Tensor, Metrics]:
    result = self.adapt_with(mapper, task, seed)
    query_loss = mapper.loss(task.query_y,
                             mapper.predict(result.params, task.query_x))
    return query_loss, {
        "support_loss": self.support_loss_before(mapper, task, result),
        "query_loss": tf.stop_gradient(query_loss)}


class FOMAML(MAML):
  """First-order MAML: MAML with the inner gradients' gradient stopped."""

  name = "fomaml"

  def __init__(self, model: keras.Model, **kwargs: Any) -> None:
    force_first_order(type(self).__name__, kwargs)
    super().__init__(model, **kwargs)


def force_first_order(name: str, kwargs: dict[str, Any]) -> None:
  """Sets `first_order=True` (configs share a `first_order: False` default,
  so False is taken as "not asked for" and logged, not refused)."""
  if kwargs.get("first_order") is False:
    logging.info("%s is first order by definition; first_order=False is "
                 "not applied.", name)
  kwargs["first_order"] = True
