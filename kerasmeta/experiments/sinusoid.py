"""`config.task = "sinusoid"`: few-shot sinusoid regression.

Tasks `y = A sin(w x - b)` (`kerasmeta.tasks.SinusoidTasks`, the MT-net or
MAML protocol by `config.task_variant`), learned by a few-shot meta-learner
around a model by name (the MLP). Evaluation: the query loss after 0..N
inner steps at each K, mean and 95% CI over held-out tasks.
"""

from kerasmeta import evaluation
from kerasmeta import experiments
from kerasmeta import tasks as tasks_lib
from kerasmeta.experiments import _few_shot

validate_config = _few_shot.validate_config
build_model = _few_shot.build_model
build_learner = _few_shot.build_learner


def task_distribution(config, shots=None, split="train"):
  """`SinusoidTasks` with K = `shots` (default config.shots); no splits."""
  del split  # every sinusoid comes from the one distribution
  return tasks_lib.SinusoidTasks(
      shots=int(shots or config.shots), num_query=config.get("num_query"),
      variant=config.get("task_variant", "mtnet"))


def evaluate(learner, config, num_tasks, seed, shots=None, jit_compile=False):
  """Query loss after 0..N steps at each K; a plot of a few tasks."""
  eval_config = config.eval
  results = evaluation.evaluate_sinusoid(
      learner, lambda k: task_distribution(config, shots=k),
      shots or eval_config.shots, num_tasks=num_tasks,
      max_steps=eval_config.max_inner_steps, seed=seed,
      deterministic=eval_config.deterministic_masks,
      jit_compile=jit_compile)

  def draw(path):
    from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
    plotting.plot_sinusoid_adaptation(
        learner, task_distribution(config), path,
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
