# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""MAML's 2-D navigation (figure 4): return after 0..3 policy-gradient steps.

Every method meta-trains for the same number of meta-steps (40 goals each,
20 episodes of 100 steps per inner step and per meta-objective, Adam), then
adapts on 40 held-out goals by 3 policy-gradient steps (0.5, then 0.25; 40
episodes each, as MAML's test script), from each training seed of
`--seeds`; the table gives the mean return of each step's episodes over the
goals, its mean ± standard deviation over the seeds (with one seed: ± the
95% interval over goals):

  python benchmarks/navigation_table.py --root=runs/navigation \
      --num_meta_steps=500 --seeds=0,1,2 \
      --output=benchmarks/results/navigation.md

Methods: MAML with three estimators of the meta-gradient (the config's
default, DiCE's Hessian of the inner objective: ProMP's formulation I;
"maml_unbiased": DiCE over the whole computation, with the inner
episodes' score term; "maml_code": the reference code's), MAML with
TRPO's outer step at the paper's budget, ProMP (its LVC estimator, PPO
steps and inner-KL penalty), first-order MAML, the pretrained policy
(trained on all goals jointly, no inner step, adapted at test alike), the
same at the paper's budget for it (100 steps of 20 goals, one Adam step on
pre-update episodes each, as maml_rl with use_maml=False) and a random
initialisation (no training). Finished runs are reused (`workdir_runs`).
The figure is MAML's figure 4: returns against steps
(`navigation_returns.png`) and, for MAML and the pretrained policy,
episodes before and after adaptation (of the first seed).
"""

import argparse
import os
import shutil
import sys

import numpy as np

import table_common  # pylint: disable=g-import-not-at-top
import workdir_runs  # pylint: disable=g-import-not-at-top

METHODS = {
    "maml": "MAML (DiCE Hessian)",
    "maml_unbiased": "MAML (unbiased, with the score term)",
    "maml_code": "MAML (the reference code's estimator)",
    "maml_trpo": "MAML (the reference code's estimator, TRPO, the paper's "
                 "budget: 20 goals a step)",
    "promp": "ProMP (LVC, five PPO steps, inner-KL penalty)",
    "fomaml": "first-order MAML",
    "pretrained": "pretrained",
    "pretrained_paper": "pretrained, the paper's budget (20 goals a step)",
    "random": "random initialisation",
}
# Methods whose budget is part of their definition: (meta-steps, goals per
# meta-step; None: the table's).
OWN_BUDGETS = {"random": (0, None), "pretrained_paper": (100, 20),
               "maml_trpo": (100, 20)}
EPISODE_FIGURES = ("maml", "pretrained")


def parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--root", default="runs/navigation")
  parser.add_argument("--methods", default=",".join(METHODS))
  parser.add_argument("--num_meta_steps", type=int, default=500)
  parser.add_argument("--meta_batch_size", type=int, default=40)
  parser.add_argument("--seeds", default="0",
                      help="Training seeds of every method (the figures: "
                           "the first).")
  parser.add_argument("--output", default="benchmarks/results/navigation.md")
  parser.add_argument("--load", default="",
                      help="What else ran on the machine meanwhile.")
  return parser.parse_args()


def run(options, method, seed):
  """One method from one seed (seed 0 in `root/method`, where runs made
  before seeds reuse, others in `root/method/seed_S`)."""
  steps, goals = OWN_BUDGETS.get(method, (options.num_meta_steps, None))
  overrides = {"num_meta_steps": steps,
               "meta_batch_size": goals or options.meta_batch_size,
               "seed": seed}
  workdir = os.path.join(options.root, method)
  if seed:
    workdir = os.path.join(workdir + "_seeds", f"seed_{seed}")
  return workdir_runs.train_and_evaluate(
      f"navigation:{method}", workdir, overrides,
      fields={"task": "navigation", "variant": method, **overrides},
      shots=None, plot=True)


def cells(evaluations):
  """Per step: the goals' mean return, mean ± standard deviation over
  seeds (one seed: ± its 95% interval over goals)."""
  per_seed = np.array([[r["mean"] for r in e["results"]["return"]]
                       for e in evaluations])
  if len(evaluations) == 1:
    return [f"{r['mean']:.1f} ± {r['ci95']:.1f}"
            for r in evaluations[0]["results"]["return"]]
  return [f"{m:.1f} ± {s:.1f}" for m, s in zip(
      per_seed.mean(0), per_seed.std(0, ddof=1))]


def draw(results, path):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  figure, axis = plt.subplots(figsize=(7, 6))
  for method, evaluation in results.items():
    returns = evaluation["results"]["return"]
    means = np.array([r["mean"] for r in returns])
    intervals = np.array([r["ci95"] for r in returns])
    steps = evaluation["results"]["steps"]
    axis.errorbar(steps, means, yerr=intervals, marker="o", capsize=3,
                  label=METHODS[method])
  axis.set_yscale("symlog")
  axis.set_xticks(steps)
  axis.set_xlabel("policy-gradient steps")
  axis.set_ylabel("average return (symlog)")
  axis.set_title("2-D navigation, 40 held-out goals")
  # Below the axes: the curves span the whole height.
  axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12))
  table_common.save_figure(figure, path)


def main():
  options = parse()
  methods = table_common.chosen_names(options.methods, METHODS, "methods")
  seeds = [int(s) for s in options.seeds.split(",")]
  all_runs = {method: [run(options, method, seed) for seed in seeds]
              for method in methods}
  failed = [f"{m} (seed {seed})" for m, r in all_runs.items()
            for seed, one in zip(seeds, r) if one.status != "finished"]
  if failed:
    sys.exit(f"Diverged: {failed}; see their logs under {options.root}.")
  runs = {m: r[0] for m, r in all_runs.items()}  # the figures' seed
  evaluations = {m: r.evaluation for m, r in runs.items()}
  steps = evaluations[methods[0]]["results"]["steps"]
  lines = ["| method | meta-steps | " + " | ".join(
      f"after {k} step{'s' if k != 1 else ''}" for k in steps)
           + " | wall time |", "|---|---|" + "---|" * len(steps) + "---|"]
  for method in methods:
    wall = np.mean([r.wall_seconds for r in all_runs[method]])
    lines.append(f"| {METHODS[method]} | {evaluations[method]['step']} | "
                 + " | ".join(cells([r.evaluation
                                     for r in all_runs[method]]))
                 + f" | {wall / 60:.1f} min |")
  folder = os.path.dirname(options.output) or "."
  os.makedirs(folder, exist_ok=True)
  figure = os.path.join(folder, "navigation_returns.png")
  draw(evaluations, figure)
  for method in EPISODE_FIGURES:
    if method in runs:
      shutil.copyfile(os.path.join(runs[method].workdir, "eval.png"),
                      os.path.join(folder, f"navigation_{method}_episodes.png"))
  config = evaluations[methods[0]]["config"]
  first_rate = config["eval"]["inner_learning_rate"]
  later_rate = config["eval"].get("later_learning_rate", first_rate / 2)
  lines += [
      "", ("Cells: mean ± standard deviation over the training seeds "
           f"{options.seeds} of the goals' mean return. " if len(seeds) > 1
           else "") +
      f"Mean return (sum of rewards over an episode of at most "
      f"{config['horizon']} steps; reward the negative distance to the "
      f"goal) of the episodes sampled after each number of "
      f"policy-gradient steps (step size {first_rate} for the first, "
      f"{later_rate} after; "
      f"{config['eval']['num_episodes']} episodes per step), "
      + ("averaged over " if len(seeds) > 1 else "mean ± 95% CI over ")
      + f"{config['eval']['num_tasks']} held-out goals. Meta-training: "
      f"{options.meta_batch_size} goals per meta-step (20 in the rows at "
      "the paper's budget), "
      f"{config['learner']['num_episodes']} episodes per inner step and per "
      "meta-objective, one inner step of "
      f"{config['learner']['inner_learning_rate']}, Adam "
      f"{config['outer_learning_rate']} (TRPO with max KL 0.01 in the TRPO "
      "row). "
      "Wall time: training and evaluation of one seed, one process each, on "
      f"{table_common.cpu_model()}, {os.cpu_count()} CPU cores, no GPU"
      f"{'; ' + options.load if options.load else ''}.", "",
      "Invocation: `python benchmarks/navigation_table.py "
      f"{' '.join(sys.argv[1:])}`; figures: `{figure}`"
      + "".join(f", `{folder}/navigation_{m}_episodes.png`"
                for m in EPISODE_FIGURES if m in runs) + "."]
  table_common.write_table(options.output, lines)


if __name__ == "__main__":
  main()
