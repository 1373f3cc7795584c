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
    num_tasks, seed, shots: override config.eval's held-out tasks.
    output_name: the JSON file written in the workdir.
    plot: also write eval.png.
  """
  began = time.perf_counter()
  if trainer is None:
    trainer = training.Trainer(experiment.load_config(workdir), workdir)
    if trainer.restore() == 0:
      raise FileNotFoundError(f"No checkpoint in {workdir!r} to evaluate.")
  config, learner = trainer.config, trainer.learner
  eval_config = config.eval
  seed = eval_config.seed if seed is None else seed
  jit_compile = training.resolve_jit_compile(config.get("jit_compile", "auto"),
                                             learner.model)
  if config.task in experiment.CLASSIFICATION_TASKS:
    return _evaluate_classification(workdir, trainer, num_tasks, seed,
                                    output_name, plot, jit_compile, began)
  results = evaluation.evaluate_sinusoid(
      learner, lambda k: experiment.task_distribution(config, shots=k),
      shots or eval_config.shots,
      num_tasks=num_tasks or eval_config.num_tasks,
      max_steps=eval_config.max_inner_steps, seed=seed,
      deterministic=eval_config.deterministic_masks,
      jit_compile=jit_compile)
  output = {"config": config.to_dict(), "step": trainer.step,
            "eval_seed": seed, "results": results}
  with tf.io.gfile.GFile(os.path.join(workdir, output_name), "w") as f:
    json.dump(output, f, indent=2, default=list)
  if plot:
    plotting.plot_sinusoid_adaptation(
        learner, experiment.task_distribution(config),
        os.path.join(workdir, "eval.png"),
        num_tasks=eval_config.num_plot_tasks, seed=seed,
        steps=sorted({0, config.num_inner_steps,
                      eval_config.max_inner_steps}),
        deterministic=eval_config.deterministic_masks)
  for k, by_step in results.items():
    logging.info("K=%s: %s", k, ", ".join(
        f"{s} steps {v['mean']:.3f}±{v['ci95']:.3f}"
        for s, v in by_step.items() if s in ("0", "1", "10")))
  logging.info("Wrote %s in %s in %.1fs.", output_name, workdir,
               time.perf_counter() - began)
  return output


def _evaluate_classification(workdir, trainer, num_tasks, seed, output_name,
                             plot, jit_compile, began):
  """Accuracy over held-out episodes of the test classes."""
  config, learner = trainer.config, trainer.learner
  eval_config = config.eval
  sampler = experiment.task_distribution(config, split="test")
  results = evaluation.evaluate_classification(
      learner, sampler, num_tasks=num_tasks or eval_config.num_tasks,
      num_steps=eval_config.num_inner_steps, seed=seed,
      deterministic=eval_config.deterministic_masks, jit_compile=jit_compile)
  output = {"config": config.to_dict(), "step": trainer.step,
            "eval_seed": seed, "results": results}
  with tf.io.gfile.GFile(os.path.join(workdir, output_name), "w") as f:
    json.dump(output, f, indent=2, default=list)
  if plot:
    plotting.plot_episodes(learner, sampler, os.path.join(workdir,
                                                          "eval.png"),
                           num_tasks=eval_config.num_plot_tasks, seed=seed,
                           num_steps=eval_config.num_inner_steps,
                           deterministic=eval_config.deterministic_masks)
  accuracy = results["accuracy"]
  logging.info("%d-way %d-shot accuracy after %d steps: %.4f ± %.4f; wrote "
               "%s in %.1fs.", config.ways, config.shots,
               eval_config.num_inner_steps, accuracy["mean"],
               accuracy["ci95"], output_name, time.perf_counter() - began)
  return output
