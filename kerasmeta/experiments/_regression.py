# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""What the few-shot regression families share: their evaluation.

A regression family (sinusoids, polynomials) is evaluated as the MAML and
MT-net papers evaluate sinusoids: the query MSE after 0..N inner steps at
each K, mean and 95% CI over held-out tasks (tasks whose loss is not
finite counted apart), and a figure of a few tasks' curves.
"""

from kerasmeta import evaluation
from kerasmeta import evaluators
from kerasmeta import experiments


@evaluators.register("regression")
class RegressionEvaluator(evaluators.Evaluator):
  """Query loss after 0..N inner steps at each K; a plot of a few tasks.

  Reads `config.eval`: shots, max_inner_steps, deterministic_masks,
  num_plot_tasks; the held-out tasks come from the config's family
  (`experiments.task_distribution` at each K).
  """

  def evaluate(self, learner, *, num_tasks, seed, split="test",
               shots=None, jit_compile=False):
    self.check_split(split)
    config = self.config
    distribution_for_shots = lambda k: experiments.task_distribution(
        config, shots=k)
    eval_config = config.eval
    results = evaluation.evaluate_sinusoid(
        learner, distribution_for_shots, shots or eval_config.shots,
        num_tasks=num_tasks, max_steps=eval_config.max_inner_steps, seed=seed,
        deterministic=eval_config.deterministic_masks, jit_compile=jit_compile)

    def draw(path):
      from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
      plotting.plot_sinusoid_adaptation(
          learner, distribution_for_shots(None), path,
          num_tasks=eval_config.num_plot_tasks, seed=seed,
          steps=sorted({0, config.learner.num_inner_steps,
                        eval_config.max_inner_steps}),
          deterministic=eval_config.deterministic_masks,
          results=results)

    summary = "; ".join(
        f"K={k}: " + ", ".join(f"{s} steps {v['mean']:.3f}±{v['ci95']:.3f}"
                               for s, v in by_step.items()
                               if s in ("0", "1", "10"))
        for k, by_step in results.items())
    return evaluators.Evaluation(results, draw, summary)
