"""MAML (Finn et al. 2017) and first-order MAML.

The meta-objective of a task is the query loss of the model after
`num_inner_steps` steps of SGD on the support loss (MAML eq. 1-2; MT-net
eqs. 4-5 and 8 when the model holds T cells or masks). Second order
differentiates through the inner gradients; first order stops them.
T-net, MT-net and M-net are MAML run on models built from their cells.
"""

import tensorflow as tf

from kerasmeta.algorithms import base


class MAML(base.MetaLearner):
  """Model-agnostic meta-learning (second order unless `first_order`)."""

  name = "maml"

  def task_objective(self, task, seed):
    adapted, support_losses = self.adapt(task, seed)
    query_loss = self.loss_fn(task.query_y, self.predict(adapted,
                                                         task.query_x))
    return query_loss, {
        "support_loss": self.initial_support_loss(task, support_losses),
        "query_loss": tf.stop_gradient(query_loss)}


  def batched_objectives(self, tasks, seeds):
    adapted, support_losses = self.batched_adapt(tasks, seeds)
    query_losses = self.per_task_loss(
        tasks.query_y, self.batched_predict(adapted, tasks.query_x))
    if self.num_inner_steps > 0:
      support_loss = support_losses[0]
    else:
      support_loss = tf.reduce_sum(self.per_task_loss(
          tasks.support_y, self.batched_predict(adapted, tasks.support_x)))
    return query_losses, {
        "support_loss": tf.cast(tf.stop_gradient(support_loss), tf.float32),
        "query_loss": tf.cast(tf.stop_gradient(tf.reduce_sum(query_losses)),
                              tf.float32)}


class FOMAML(MAML):
  """First-order MAML: MAML with the inner gradients' gradient stopped."""

  name = "fomaml"

  def __init__(self, model, **kwargs):
    kwargs["first_order"] = True
    super().__init__(model, **kwargs)
