"""Workdir-level evaluation shared by apps.meta_train and apps.evaluate."""

import json
import os
import time

from absl import logging
import tensorflow as tf

from kerasmeta import evaluation
from kerasmeta import experiment
from kerasmeta import plotting
from kerasmeta import training


def evaluate_workdir(workdir, trainer=None, num_tasks=None, seed=None,
                     shots=None, output_name="eval.json", plot=True):
  """Evaluates `workdir`'s latest checkpoint; returns what it writes.

  Args:
    workdir: a meta_train workdir.
    trainer: the `Trainer` of a run still in memory (else one is rebuilt
      from workdir/config.json and restored).
    num_tasks, seed: override config.eval's held-out tasks.
    shots: the K values of a regression evaluation (default config.eval's).
    output_name: the JSON file written in the workdir.
    plot: also write eval.png.
  """
  began = time.perf_counter()
  if trainer is None:
    trainer = training.Trainer(experiment.load_config(workdir), workdir)
    # A run with nothing to meta-train (continual SGD / EWC) checkpoints
    # step 0: test for a checkpoint, not for steps taken.
    if trainer.manager.latest_checkpoint is None:
      raise FileNotFoundError(f"No checkpoint in {workdir!r} to evaluate.")
    trainer.restore()
  config = trainer.config
  seed = config.eval.seed if seed is None else seed
  num_tasks = num_tasks or config.eval.num_tasks
  evaluate = {"surfaces": _surfaces, "continual_sine": _continual}.get(
      config.task, _classification if config.task in
      experiment.CLASSIFICATION_TASKS else _regression)
  results, draw, summary = evaluate(trainer, num_tasks, seed, shots)
  output = {"config": config.to_dict(), "step": trainer.step,
            "eval_seed": seed, "results": results}
  with tf.io.gfile.GFile(os.path.join(workdir, output_name), "w") as f:
    json.dump(output, f, indent=2, default=list)
  if plot:
    draw(os.path.join(workdir, "eval.png"))
  logging.info("%s; wrote %s in %s in %.1fs.", summary, output_name, workdir,
               time.perf_counter() - began)
  return output


def _jit_compile(trainer):
  return training.resolve_jit_compile(
      trainer.config.get("jit_compile", "auto"), trainer.learner.model)


def _regression(trainer, num_tasks, seed, shots):
  """Query loss after 0..N steps at each K; a plot of a few tasks."""
  config, learner = trainer.config, trainer.learner
  eval_config = config.eval
  results = evaluation.evaluate_sinusoid(
      learner, lambda k: experiment.task_distribution(config, shots=k),
      shots or eval_config.shots, num_tasks=num_tasks,
      max_steps=eval_config.max_inner_steps, seed=seed,
      deterministic=eval_config.deterministic_masks,
      jit_compile=_jit_compile(trainer))

  def draw(path):
    plotting.plot_sinusoid_adaptation(
        learner, experiment.task_distribution(config), path,
        num_tasks=eval_config.num_plot_tasks, seed=seed,
        steps=sorted({0, config.num_inner_steps,
                      eval_config.max_inner_steps}),
        deterministic=eval_config.deterministic_masks)

  summary = "; ".join(
      f"K={k}: " + ", ".join(f"{s} steps {v['mean']:.3f}±{v['ci95']:.3f}"
                             for s, v in by_step.items()
                             if s in ("0", "1", "10"))
      for k, by_step in results.items())
  return results, draw, summary


def _classification(trainer, num_tasks, seed, shots):
  """Accuracy over held-out episodes of the test classes."""
  del shots  # episodes have the config's K
  config, learner = trainer.config, trainer.learner
  eval_config = config.eval
  sampler = experiment.task_distribution(config, split="test")
  results = evaluation.evaluate_classification(
      learner, sampler, num_tasks=num_tasks,
      num_steps=eval_config.num_inner_steps, seed=seed,
      deterministic=eval_config.deterministic_masks,
      jit_compile=_jit_compile(trainer))

  def draw(path):
    plotting.plot_episodes(learner, sampler, path,
                           num_tasks=eval_config.num_plot_tasks, seed=seed,
                           num_steps=eval_config.num_inner_steps,
                           deterministic=eval_config.deterministic_masks)

  accuracy = results["accuracy"]
  summary = (f"{config.ways}-way {config.shots}-shot accuracy after "
             f"{eval_config.num_inner_steps} steps: {accuracy['mean']:.4f} ± "
             f"{accuracy['ci95']:.4f}")
  return results, draw, summary


def _surfaces(trainer, num_tasks, seed, shots):
  """Gradient descent vs WarpGrad on held-out surfaces (figure 5)."""
  del shots
  config, learner = trainer.config, trainer.learner
  distribution = experiment.task_distribution(config)
  results = evaluation.evaluate_surfaces(learner, distribution,
                                         num_tasks=num_tasks, seed=seed)

  def draw(path):
    plotting.plot_surfaces(learner, distribution, path,
                           num_tasks=config.eval.num_plot_tasks, seed=seed)

  plain, warped = results["gradient_descent"], results["warpgrad"]
  summary = (f"final loss over {num_tasks} surfaces: gradient descent "
             f"{plain['mean']:.3f}±{plain['ci95']:.3f}, WarpGrad "
             f"{warped['mean']:.3f}±{warped['ci95']:.3f}")
  return results, draw, summary


def _continual(trainer, num_tasks, seed, shots):
  """Forgetting after whole task sequences (figure 10)."""
  del shots
  config, learner = trainer.config, trainer.learner
  eval_config = config.eval

  def distribution(order):
    ordered = config.copy_and_resolve_references()
    with ordered.unlocked():
      ordered.order = tuple(order) if order is not None else ()
    return experiment.task_distribution(ordered)

  results = evaluation.evaluate_continual(
      learner, distribution, num_tasks=num_tasks, seed=seed,
      learning_rates=eval_config.learning_rates,
      ewc_strengths=eval_config.ewc_strengths,
      validation_seed=eval_config.validation_seed,
      num_validation_tasks=eval_config.num_validation_tasks,
      orders={"sequential": None,
              "random": tuple(eval_config.random_order)})

  def draw(path):
    plotting.plot_continual(
        {f"{config.variant}, {name} order": results[name]["mean_curves"]
         for name in ("sequential", "random")}, path,
        steps_per_subtask=config.steps_per_subtask)

  final = results["sequential"]["final_by_subtask"]
  summary = (f"{config.variant} (alpha {results['learning_rate']}, EWC "
             f"{results['ewc_strength']}): final loss by sub-task " +
             ", ".join(f"{v['mean']:.3f}" for v in final))
  return results, draw, summary
