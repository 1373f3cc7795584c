# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Reptile (Nichol et al. 2018): move the initialisation towards adapted weights.

For each task, K steps of SGD from theta_0 reach theta_K; the outer update
is `theta_0 <- theta_0 + epsilon * mean(theta_K - theta_0)`. Written as a
gradient for the trainer's optimiser, the meta-gradient is
`theta_0 - theta_K`, the gradient of the surrogate
`1/2 ||theta_0 - sg[theta_K]||^2`. No gradient flows through the inner loop.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta.algorithms import gradient_learner
from kerasmeta.algorithms import maml

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Mapper, Metrics, Seed


def reptile_objective(
    initial: Sequence[tf.Tensor], adapted: Sequence[tf.Tensor],
    sum_fn: Callable[[tf.Tensor], tf.Tensor] = tf.reduce_sum) -> tf.Tensor:
  """`1/2 sum ||theta_0 - sg[theta_K]||^2`; its gradient is theta_0 - theta_K.

  `sum_fn` sums over one task's entries (per task on the fast path).
  """
  return 0.5 * tf.add_n([
      sum_fn(tf.square(start - tf.stop_gradient(end)))
      for start, end in zip(initial, adapted)])


class Reptile(gradient_learner.GradientLearner):
  """Reptile through the `MetaLearner` interface (first order by nature).

  With plain SGD as the outer optimiser (config.outer_optimizer = "sgd")
  and outer learning rate epsilon this is the paper's serial Reptile
  averaged over the meta-batch.
  """

  name = "reptile"
  supports_fast_path = True

  def __init__(self, model: keras.Model, **kwargs: Any) -> None:
    maml.force_first_order(type(self).__name__, kwargs)
    super().__init__(model, **kwargs)

  def objective(self, mapper: Mapper, task: Any,
                seed: Optional[Seed]) -> tuple[tf.Tensor, Metrics]:
    initial = mapper.initial_values(task)
    result = self.adapt_with(mapper, task, seed)
    adapted = [tf.stop_gradient(a) for a in result.params]
    query_loss = mapper.loss(task.query_y,
                             mapper.predict(adapted, task.query_x))
    return reptile_objective(initial, adapted, mapper.sum_per_task), {
        "support_loss": self.support_loss_before(mapper, task, result),
        "query_loss": tf.stop_gradient(query_loss)}
