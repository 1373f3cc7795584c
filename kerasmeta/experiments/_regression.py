"""What the few-shot regression families share: their evaluation.

A regression family (sinusoids, polynomials) is evaluated as the MAML and
MT-net papers evaluate sinusoids: the query MSE after 0..N inner steps at
each K, mean and 95% CI over held-out tasks (tasks whose loss is not
finite counted apart), and a figure of a few tasks' curves.
"""

from kerasmeta import evaluation
from kerasmeta import experiments


def evaluate(learner, config, distribution_for_shots, num_tasks, seed,
             shots=None, jit_compile=False):
  """Query loss after 0..N steps at each K; a plot of a few tasks.

  Args:
    learner: the config's learner (trained).
    config: its config (`config.eval`: shots, max_inner_steps,
      deterministic_masks, num_plot_tasks).
    distribution_for_shots: `K -> task distribution` with K support points;
      it has `evaluation_tasks`, `function` and `input_range`.
    num_tasks: held-out tasks per K.
    seed: their seed.
    shots: the K values (None: config.eval.shots).
    jit_compile: compile the evaluation with XLA.

  Returns:
    An `experiments.Evaluation`.
  """
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
        steps=sorted({0, config.num_inner_steps,
                      eval_config.max_inner_steps}),
        deterministic=eval_config.deterministic_masks)

  summary = "; ".join(
      f"K={k}: " + ", ".join(f"{s} steps {v['mean']:.3f}±{v['ci95']:.3f}"
                             for s, v in by_step.items()
                             if s in ("0", "1", "10"))
      for k, by_step in results.items())
  return experiments.Evaluation(results, draw, summary)
