"""Reptile (Nichol et al. 2018): move the initialisation towards adapted weights.

For each task, K steps of SGD from theta_0 reach theta_K; the outer update
is `theta_0 <- theta_0 + epsilon * mean(theta_K - theta_0)`. Written as a
gradient for the trainer's optimiser, the meta-gradient is
`theta_0 - theta_K`, the gradient of the surrogate
`1/2 ||theta_0 - sg[theta_K]||^2`. No gradient flows through the inner loop.
"""

import tensorflow as tf

from kerasmeta.algorithms import base


def reptile_objective(initial, adapted):
  """`1/2 sum ||theta_0 - sg[theta_K]||^2`; its gradient is theta_0 - theta_K."""
  return 0.5 * tf.add_n([
      tf.reduce_sum(tf.square(start - tf.stop_gradient(end)))
      for start, end in zip(initial, adapted)])


class Reptile(base.MetaLearner):
  """Reptile through the `MetaLearner` interface (first order by nature).

  With plain SGD as the outer optimiser (config.outer_optimizer = "sgd")
  and outer learning rate epsilon this is the paper's serial Reptile
  averaged over the meta-batch.
  """

  name = "reptile"

  def __init__(self, model, **kwargs):
    kwargs["first_order"] = True
    super().__init__(model, **kwargs)

  def task_objective(self, task, seed):
    initial = self.initial_values()
    adapted, support_losses = self.adapt(task, seed)
    adapted = [tf.stop_gradient(a) for a in adapted]
    query_loss = self.loss_fn(task.query_y, self.predict(adapted,
                                                         task.query_x))
    return reptile_objective(initial, adapted), {
        "support_loss": self.initial_support_loss(task, support_losses),
        "query_loss": tf.stop_gradient(query_loss)}

