"""Workdir-level evaluation shared by apps.meta_train and apps.evaluate."""

import json
import os
import time

from absl import logging

from kerasmeta import evaluation
from kerasmeta import experiment
from kerasmeta import plotting
from kerasmeta import training


def load_config(workdir):
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    raise FileNotFoundError(
        f"No config.json in {workdir!r}: is it a workdir written by "
        "apps.meta_train?")
  with open(path) as f:
    return experiment.config_from_json(f.read())


def evaluate_workdir(workdir, trainer=None, num_tasks=None):
  """Evaluates `workdir`; returns the eval.json contents."""
  began = time.perf_counter()
  if trainer is None:
    config = load_config(workdir)
    trainer = training.Trainer(config, workdir)
    if trainer.restore() == 0:
      raise FileNotFoundError(f"No checkpoint in {workdir!r} to evaluate.")
  config = trainer.config
  learner = trainer.learner
  eval_config = config.eval
  num_tasks = num_tasks or eval_config.num_tasks
  results = evaluation.evaluate_sinusoid(
      learner, lambda k: experiment.task_distribution(config, shots=k),
      eval_config.shots, num_tasks=num_tasks,
      max_steps=eval_config.max_inner_steps, seed=eval_config.seed,
      deterministic=eval_config.deterministic_masks,
      jit_compile=config.get("jit_compile", True))
  output = {"config": config.to_dict(), "step": trainer.step,
            "results": results}
  with open(os.path.join(workdir, "eval.json"), "w") as f:
    json.dump(output, f, indent=2, default=list)
  plotting.plot_sinusoid_adaptation(
      learner, experiment.task_distribution(config),
      os.path.join(workdir, "eval.png"),
      num_tasks=eval_config.num_plot_tasks, seed=eval_config.seed,
      steps=sorted({0, config.num_inner_steps, eval_config.max_inner_steps}),
      deterministic=eval_config.deterministic_masks)
  for shots, by_step in results.items():
    logging.info("K=%s: " + ", ".join(
        f"{s} steps {v['mean']:.3f}±{v['ci95']:.3f}"
        for s, v in by_step.items() if s in ("0", "1", "10")), shots)
  logging.info("Wrote %s/eval.json and eval.png in %.1fs.", workdir,
               time.perf_counter() - began)
  return output
