# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""How large the unbiased estimator's score term is on MAML's navigation.

The "unbiased" meta-gradient of `PolicyGradientMAML` adds to the pathwise
gradient of the post-adaptation surrogate the inner episodes' score times
the post-adaptation objective. This script prints, for the initial policy
of `navigation:maml_unbiased` and one meta-batch of goals, the norm of
each part's gradient per weight tensor (about half a minute on 2 CPU
cores):

  python benchmarks/navigation_score_variance.py [--num_tasks=40]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--num_tasks", type=int, default=40)
  parser.add_argument("--seed", type=int, default=3)
  options = parser.parse_args()
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from kerasmeta import experiments  # pylint: disable=g-import-not-at-top
  from kerasmeta.apps.configs import navigation  # pylint: disable=g-import-not-at-top
  from kerasmeta.envs import base as envs_base  # pylint: disable=g-import-not-at-top

  config = navigation.get_config("maml_unbiased")
  learner = experiments.build_learner(config)
  tasks, seeds, _ = experiments.task_distribution(config).evaluation_tasks(
      options.num_tasks, options.seed)
  variables = learner.trainable_variables

  @tf.function(autograph=False)
  def parts(tasks, seeds):
    with tf.GradientTape(persistent=True) as tape:
      def per_task(elements):
        task, seed = elements
        result = learner.task_objective(envs_base.EnvironmentTask(*task),
                                        seed)
        return result.loss, result.value, result.inner_score
      loss, value, score = tf.map_fn(
          per_task, (tuple(tasks), seeds),
          fn_output_signature=(tf.float32,) * 3)
      others = (tf.reduce_sum(value) - value) / (options.num_tasks - 1)
      pathwise = tf.reduce_mean(loss)
      score_term = -tf.reduce_mean(score * tf.stop_gradient(value - others))
    return ([tf.norm(g) for g in tape.gradient(pathwise, variables)],
            [tf.norm(g) for g in tape.gradient(score_term, variables)])

  pathwise, score = parts(tasks, seeds)
  print(f"{options.num_tasks} goals, the initial policy of "
        "navigation:maml_unbiased")
  print("| weight | shape | pathwise part | score part | ratio |")
  print("|---|---|---|---|---|")
  for variable, a, b in zip(variables, pathwise, score):
    print(f"| {variable.name} | {tuple(variable.shape)} | {float(a):.3g} | "
          f"{float(b):.3g} | {float(b) / float(a):.1f} |")


if __name__ == "__main__":
  main()
