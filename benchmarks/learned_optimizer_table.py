# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""The learned LSTM optimiser against SGD, Nesterov, RMSProp and Adam.

Andrychowicz et al. 2016, figure 4: for each problem (random 10-dimensional
quadratics; an MLP of 20 sigmoid units on 8x8 digits, and on 10 glyph
characters), the LSTM optimiser is meta-trained from each of `--seeds`
(`learned_optimizer:PROBLEM`, the authors' code's settings: 100 steps in
truncations of 20, the checkpoint of the lowest validation loss kept),
then every optimiser runs 200 steps on the config's 100 held-out problems
(the MLPs on test images), each baseline with its learning rate chosen on
20 validation problems (the baselines do not depend on the training seed:
they run once); on the MLPs also the paper's changed optimisees (two
hidden layers; ReLU). Writes a Markdown table and one PNG per problem (of
the first seed):

  python benchmarks/learned_optimizer_table.py --workdir=runs/l2l \
      --num_meta_steps=2000 --seeds=0,1,2

Re-running skips the runs whose `WORKDIR/PROBLEM/seed_S/result.json` holds
the same settings (an interrupted run resumes from its last checkpoint; a
finished one of other settings is moved aside and run again).
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time

import numpy as np
import table_common  # pylint: disable=g-import-not-at-top

PROBLEMS = ("quadratic", "mlp", "glyphs_mlp")
METHODS = ("lstm", "sgd", "nesterov", "rmsprop", "adam")


def parse(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--workdir", default="runs/l2l")
  parser.add_argument("--num_meta_steps", type=int, default=2000,
                      help="Meta-steps (truncations) of each problem's LSTM.")
  parser.add_argument("--problems", default=",".join(PROBLEMS))
  parser.add_argument("--seeds", default="0,1,2",
                      help="Training seeds of each problem's LSTM.")
  parser.add_argument("--meta_batch_size", type=int, default=None,
                      help="Problems per meta-step (default: the config's).")
  parser.add_argument("--output",
                      default="benchmarks/results/learned_optimizer.md")
  parser.add_argument("--load", default="",
                      help="What else ran on the machine meanwhile.")
  return parser.parse_args(argv)


def _config(problem, args, seed, first):
  from kerasmeta.apps.configs import learned_optimizer  # pylint: disable=g-import-not-at-top
  config = learned_optimizer.get_config(problem)
  config.num_meta_steps = args.num_meta_steps
  config.checkpoint_every = max(1, args.num_meta_steps // 4)
  config.seed = seed
  config.eval.baselines = first
  if args.meta_batch_size:
    config.meta_batch_size = args.meta_batch_size
  return config


def run_problem(problem, args, seed, first):
  """Meta-trains and evaluates one problem from one seed (the baselines
  with the `first` seed only); returns its result record."""
  from kerasmeta import experiments  # pylint: disable=g-import-not-at-top
  config = _config(problem, args, seed, first)
  workdir = os.path.join(args.workdir, problem, f"seed_{seed}")
  record_path = os.path.join(workdir, "result.json")
  settings = json.loads(experiments.config_to_json(config))
  record = table_common.reusable_record(record_path, "config", settings)
  if record is not None:
    print(f"{problem} seed {seed}: done before ({record_path})", flush=True)
    return record
  trainer, best, trained = table_common.train_best(config, workdir,
                                                   record_path)
  began = time.time()
  evaluation = experiments.evaluate(trainer.learner, config,
                                   num_tasks=config.eval.num_tasks,
                                   seed=config.eval.seed)
  figure = None
  if first:
    figure = os.path.join(os.path.dirname(args.output),
                          f"learned_optimizer_{problem}.png")
    evaluation.draw(figure)
  record = {"config": settings, "results": evaluation.results,
            "best_step": best["step"], "train_seconds": trained,
            "eval_seconds": time.time() - began, "figure": figure,
            "summary": evaluation.summary}
  with open(record_path, "w") as f:
    json.dump(record, f)
  print(f"{problem} seed {seed}: {evaluation.summary} (best step "
        f"{best['step']}, {trained:.0f}s training)", flush=True)
  return record


def _cell(summary):
  return f"{summary['mean']:.3g} ± {summary['ci95']:.2g}"


def _seeds_cell(records, panel, step):
  """The learned optimiser's mean loss per seed: their mean ± standard
  deviation over seeds, and each."""
  means = [record["results"][panel]["lstm"]["loss_at_step"][step]["mean"]
           for record in records]
  each = ", ".join(f"{mean:.3g}" for mean in means)
  return f"{np.mean(means):.3g} ± {np.std(means, ddof=1):.2g} ({each})" \
      if len(means) > 1 else f"{means[0]:.3g} ({each})"


def table(runs, args, wall):
  """`runs`: `{problem: [record of each seed]}`, the first with baselines."""
  lines = [
      "# Learned LSTM optimiser against hand-designed optimisers",
      "",
      "Optimisee loss after 100 steps (the horizon the LSTM was meta-trained "
      "for) and 200 steps (the paper's generalisation in time) on 100 "
      "held-out problems (the MLPs on the dataset's test images). The LSTM "
      "row: the mean over problems of each training seed's optimiser, their "
      "mean ± standard deviation over seeds, each seed's in brackets; each "
      "seed keeps the checkpoint of the lowest loss on 20 validation "
      "problems, as the authors' `train.py`. The baselines (mean ± 95% CI "
      "over problems) do not depend on a training seed; each one's learning "
      "rate (in brackets) is the best of the config's grid on 20 validation "
      "problems.",
      ""]
  for problem, records in runs.items():
    first = records[0]
    config = first["config"]
    learner = config["learner"]
    settings = (f"raw gradient times {learner['gradient_scale']:g}"
                if not learner["preprocess"] else
                f"log-and-sign, p = {learner['p']:g}")
    lines += [f"## {problem}", "",
              f"{config['num_meta_steps']} meta-steps of "
              f"{config['meta_batch_size']} problems (truncations of "
              f"{learner['truncation']} of {learner['num_steps']} steps; "
              f"{settings}, output times {learner['output_scale']:g}) from "
              f"each of {len(records)} seeds, best steps "
              f"{', '.join(str(r['best_step']) for r in records)}; "
              f"{np.mean([r['train_seconds'] for r in records]) / 60:.1f} "
              "min training a seed, "
              f"{sum(r['eval_seconds'] for r in records) / 60:.1f} min "
              f"evaluation in all; figure (first seed) "
              f"`{os.path.basename(first['figure'])}`.", ""]
    for panel, methods in first["results"].items():
      lines += [f"### {panel.replace('_', ' ')}", "",
                "| optimiser | loss at 100 | loss at 200 |", "|---|---|---|"]
      lines.append(f"| lstm | {_seeds_cell(records, panel, '100')} | "
                   f"{_seeds_cell(records, panel, '200')} |")
      for name in METHODS[1:]:
        method = methods[name]
        lines.append(f"| {name} ({method['learning_rate']:g}) | "
                     f"{_cell(method['loss_at_step']['100'])} | "
                     f"{_cell(method['loss_at_step']['200'])} |")
      lines.append("")
  command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
  cpu = table_common.cpu_model()
  lines += [f"Command: `{command}`; {wall / 60:.1f} min wall clock on "
            f"{os.cpu_count()} cores ({cpu}, {platform.machine()})"
            + (f"; meanwhile: {args.load}" if args.load else "") + "."]
  return lines


def main(argv=None):
  args = parse(argv)
  sys.path.insert(0, os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))))
  began = time.time()
  seeds = [int(seed) for seed in args.seeds.split(",")]
  runs = {problem: [run_problem(problem, args, seed, seed == seeds[0])
                    for seed in seeds]
          for problem in args.problems.split(",")}
  table_common.write_table(args.output, table(runs, args,
                                              time.time() - began))


if __name__ == "__main__":
  main()
