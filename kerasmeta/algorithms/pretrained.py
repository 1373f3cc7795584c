# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The "pretrained" baseline of MAML's figure 2: joint training, then
fine-tuning.

MAML (section 5.1) compares with "pretraining on all of the tasks, which
entails training a network to regress to random sinusoid functions and
then, at test-time, fine-tuning with gradient descent on the K provided
points, using an automatically tuned step size". Meta-training here is
that joint training: the objective of a task is the loss of the model
itself, without adaptation, on all of the task's points (the mean of its
support and query losses, which weigh every point alike when the two sets
are of one size, as in the sinusoid protocols). At test time `adapt`
fine-tunes by `num_inner_steps` steps of SGD at `inner_learning_rate`
(tuned on validation tasks by the results scripts), as any
`GradientLearner` does.

For classification episodes, whose labels are a random permutation per
task, joint training over episodes learns nothing about the classes; the
glyph baseline pretrains a classifier of all training classes instead
(`kerasmeta.few_shot_baselines`, `benchmarks/glyph_baselines.py`).
"""

from __future__ import annotations

from typing import Any, Optional, TYPE_CHECKING

import tensorflow as tf

from kerasmeta.algorithms import gradient_learner

if TYPE_CHECKING:
  from kerasmeta._typing import Mapper, Metrics, Seed


class Pretrained(gradient_learner.GradientLearner):
  """Joint training on every task's points; fine-tuning by SGD to adapt."""

  name = "pretrained"
  supports_fast_path = True

  def objective(self, mapper: Mapper, task: Any,
                seed: Optional[Seed]) -> tuple[tf.Tensor, Metrics]:
    del seed  # no masks are sampled: nothing adapts during training
    initial = mapper.initial_values(task)
    support_loss = mapper.loss(task.support_y,
                               mapper.predict(initial, task.support_x))
    query_loss = mapper.loss(task.query_y,
                             mapper.predict(initial, task.query_x))
    return 0.5 * (support_loss + query_loss), {
        "support_loss": tf.stop_gradient(support_loss),
        "query_loss": tf.stop_gradient(query_loss)}
