"""Several outer steps per batch of sampled episodes (PPO-style meta-RL).

A `PolicyGradientMAML` with `outer_epochs > 1` samples its tasks' episodes
once per meta-step (the inner steps' and the post-adaptation ones, with the
current weights), then takes `outer_epochs` optimiser steps on them: the
first is the learner's meta-gradient itself, the later ones replay the
episodes with importance weights (DiCE's magic boxes against the sampling
log-probabilities) and PPO's clipped post-adaptation surrogate, as ProMP
(Rothfuss et al. 2019) meta-trains. Episodes come from (seed, step), as
every task stream's data: a resumed run samples what an uninterrupted one
did, and the step keeps no state of its own.
"""

import tensorflow as tf

from kerasmeta import distribute
from kerasmeta.algorithms import base
from kerasmeta.training import precision
from kerasmeta.training import steps


def policy_epochs_step(learner, optimizer, strategy, global_batch_size,
                       jit_compile="auto"):
  """The `TrainStep` of a `PolicyGradientMAML` with several outer epochs."""
  if distribute.is_distributed(strategy):
    raise ValueError("Several outer epochs per batch run on one replica; "
                     "use the default strategy (or outer_epochs=1).")
  variables = learner.trainable_variables

  def run(batch):
    tasks, seeds = batch
    recorded = learner.sample_episodes(tasks, seeds)
    nonfinite, metrics = [], None
    for _ in range(learner.outer_epochs):
      with tf.GradientTape() as tape:
        total, epoch_metrics = learner.batch_objective(
            tasks, seeds, recorded=recorded, clip=learner.outer_clip,
            global_batch_size=global_batch_size)
      gradients = base.gradients(tape, total, variables)
      checked = steps.with_gradient_check(gradients, epoch_metrics)
      nonfinite.append(checked[steps.NONFINITE_GRADIENTS])
      metrics = metrics or epoch_metrics  # the sampled episodes' returns
      optimizer.apply(gradients, variables)
    return {**metrics, steps.NONFINITE_GRADIENTS: tf.reduce_max(nonfinite)}

  jit = precision.resolve_jit_compile(jit_compile, learner.model)
  return steps.TrainStep(tf.function(run, jit_compile=jit, autograph=False),
                         {})
