# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Reproduces the sinusoid table of the MT-net paper (section 5.1).

For each method and inner learning rate alpha, meta-trains with the MT-net
protocol (K = 10, one inner step, meta-batch 4, Adam 1e-3), evaluates on
600 held-out tasks at K = 5, 10, 20 after 0..10 inner steps, picks each
method's alpha on 600 *validation* tasks (another seed, K = 10, one step),
and writes a Markdown table:

  python benchmarks/sinusoid_table.py --root=runs/sinusoid \
      --num_meta_steps=60000 --output=benchmarks/results/sinusoid_table.md

"pretrained" is MAML's baseline (joint training on all tasks, fine-tuned
at test with the alpha chosen on validation). `--seeds` re-trains the
`--seed_methods` at their chosen alpha with more training seeds and adds
their spread; `--figure` draws MAML beside the pretrained model (MAML's
figure 2). Re-running resumes unfinished runs and skips finished ones.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

import table_common  # pylint: disable=g-import-not-at-top

METHODS = {"pretrained": "pretrained", "maml": "MAML", "meta_sgd": "Meta-SGD",
           "mnet": "M-net", "tnet": "T-net", "mtnet": "MT-net",
           "mnet_full": "M-net-full", "mtnet_full": "MT-net-full",
           "warp_maml": "Warp-MAML"}
VALIDATION_SEED = 4321


def parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--root", default="runs/sinusoid")
  parser.add_argument("--methods", default=",".join(METHODS))
  parser.add_argument("--learning_rates", default="0.01,0.04,0.1")
  parser.add_argument("--num_meta_steps", type=int, default=60000)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--seeds", default="",
                      help="More training seeds for --seed_methods, e.g. 1,2.")
  parser.add_argument("--seed_methods", default="maml,mtnet")
  parser.add_argument("--figure", default="",
                      help="PNG of MAML beside the pretrained model.")
  parser.add_argument("--output", default="benchmarks/results/sinusoid_table.md")
  return parser.parse_args()


def run(args):
  print("+", " ".join(args), flush=True)
  subprocess.run(args, check=True)


def load(path):
  with open(path) as f:
    return json.load(f)


def train_and_evaluate(method, alpha, steps, root, seed):
  suffix = f"_seed{seed}" if seed else ""
  workdir = os.path.join(root, f"{method}_alpha{alpha}{suffix}")
  eval_path = os.path.join(workdir, "eval.json")
  began = time.time()
  if not (os.path.exists(eval_path) and load(eval_path)["step"] == steps):
    run([sys.executable, "-m", "apps.meta_train",
         f"--config=sinusoid:{method}", f"--workdir={workdir}",
         f"--config.learner.inner_learning_rate={alpha}",
         f"--config.num_meta_steps={steps}", f"--config.seed={seed}"])
  validation_path = os.path.join(workdir, "validation.json")
  if not (os.path.exists(validation_path)
          and load(validation_path)["step"] == steps):
    run([sys.executable, "-m", "apps.evaluate", f"--workdir={workdir}",
         f"--seed={VALIDATION_SEED}", "--shots=10",
         "--output=validation.json", "--noplot"])
  return workdir, time.time() - began


def number(value):
  return f"{value:.3f}" if abs(value) < 1e3 else f"{value:.1e}"


def cell(result, k, steps):
  """mean ± CI; where a few diverging tasks dominate it, the median too."""
  entry = result["results"][str(k)][str(steps)]
  text = f"{number(entry['mean'])} ± {number(entry['ci95'])}"
  notes = []
  if entry["mean"] > 10 * entry["median"]:
    notes.append(f"median {number(entry['median'])}")
  if entry["num_nonfinite"]:
    notes.append(f"{entry['num_nonfinite']} not finite")
  return text + (f" ({'; '.join(notes)})" if notes else "")


def main():
  options = parse()
  methods = options.methods.split(",")
  alphas = options.learning_rates.split(",")
  began = time.time()
  rows, best, train_time = [], {}, 0.0
  for method in methods:
    for alpha in alphas:
      workdir, seconds = train_and_evaluate(method, alpha,
                                            options.num_meta_steps,
                                            options.root, options.seed)
      train_time += table_common.training_seconds(workdir)
      test = load(os.path.join(workdir, "eval.json"))
      validation = load(os.path.join(workdir, "validation.json"))
      score = validation["results"]["10"]["1"]["mean"]
      rows.append((method, alpha, test, score))
      if method not in best or score < best[method][2]:
        best[method] = (alpha, test, score)
  header = ("| method | alpha | " + " | ".join(
      f"K={k}, {s} step{'s' if s > 1 else ''}"
      for k in (5, 10, 20) for s in (1, 10)) + " |")
  rule = "|" + "---|" * 8
  lines = [
      f"Sinusoid regression, MT-net protocol: meta-trained at K=10 with one "
      f"inner step, meta-batch 4, Adam 1e-3, {options.num_meta_steps} "
      f"meta-steps, seed {options.seed}. Query MSE (10 points) on 600 "
      "held-out tasks, mean ± 95% CI. alpha chosen per method on 600 "
      "validation tasks (another seed) at K=10 after one step.", "",
      header, rule]
  for method in methods:
    alpha, test, _ = best[method]
    lines.append(f"| {METHODS.get(method, method)} | {alpha} | " + " | ".join(
        cell(test, k, s) for k in (5, 10, 20) for s in (1, 10)) + " |")
  lines += ["", "Every learning rate:", "", header, rule]
  for method, alpha, test, _ in rows:
    lines.append(f"| {METHODS.get(method, method)} | {alpha} | " + " | ".join(
        cell(test, k, s) for k in (5, 10, 20) for s in (1, 10)) + " |")
  seeds = [int(s) for s in options.seeds.split(",") if s]
  if seeds:
    lines += seed_table(options, best, seeds)
    train_time += sum(table_common.training_seconds(os.path.join(
        options.root, f"{m}_alpha{best[m][0]}_seed{s}"))
                      for m in options.seed_methods.split(",") for s in seeds)
  if options.figure:
    draw_figure(options, best)
    lines += ["", f"Figure: `{options.figure}`, MAML beside the pretrained "
              "model on the same held-out tasks (K=10), before adaptation "
              "and after 1 and 10 steps."]
  runs = len(rows) + len(seeds) * len(options.seed_methods.split(","))
  lines += ["", f"Command: `python benchmarks/sinusoid_table.py "
                f"--num_meta_steps={options.num_meta_steps}"
                f"{' --seeds=' + options.seeds if seeds else ''}"
                f"{' --figure=' + options.figure if options.figure else ''}`"
                f" on {table_common.cpu_model()}, {os.cpu_count()} CPU "
                f"cores, no GPU. Meta-training took {train_time / 60:.1f} "
                f"min for the {runs} runs (from their metrics.jsonl); each "
                "run's "
                "evaluation (600 tasks x 3 K x 11 step counts, plus 600 "
                "validation tasks) adds about a minute. This invocation: "
                f"{(time.time() - began) / 60:.1f} min (finished runs are "
                "reused). A loss is marked not finite when adaptation "
                "diverged to Inf/NaN; those tasks are left out of the mean."]
  table_common.write_table(options.output, lines)


def seed_table(options, best, seeds):
  """The seed methods at their alpha over training seeds: K=5/10/20, one
  step, each seed's mean, and the mean ± std of those over seeds."""
  lines = ["", f"Training seeds {options.seed},{options.seeds} (alpha as "
           "chosen above; the 600 test tasks are the same for every seed): "
           "query MSE after one step, per seed, then mean ± standard "
           "deviation over seeds.", "",
           "| method | alpha | K=5 | K=10 | K=20 |", "|---|---|---|---|---|"]
  for method in options.seed_methods.split(","):
    alpha = best[method][0]
    results = [best[method][1]]
    for seed in seeds:
      workdir, _ = train_and_evaluate(method, alpha, options.num_meta_steps,
                                      options.root, seed)
      results.append(load(os.path.join(workdir, "eval.json")))
    cells = []
    for k in (5, 10, 20):
      means = np.array([r["results"][str(k)]["1"]["mean"] for r in results])
      cells.append(" / ".join(number(m) for m in means)
                   + f"; {number(means.mean())} ± {number(means.std(ddof=1))}")
    lines.append(f"| {METHODS[method]} | {alpha} | " + " | ".join(cells)
                 + " |")
  return lines


def draw_figure(options, best):
  """MAML beside the pretrained baseline, each at its chosen alpha."""
  # Imported here: the table itself needs no TensorFlow in this process.
  from kerasmeta import experiments  # pylint: disable=g-import-not-at-top
  from kerasmeta import workdir as workdir_lib  # pylint: disable=g-import-not-at-top
  from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
  learners, config = {}, None
  for method in ("maml", "pretrained"):
    workdir = os.path.join(options.root, f"{method}_alpha{best[method][0]}")
    config, learner, _ = workdir_lib.restore_learner(workdir)
    learners[f"{METHODS[method]} (alpha {best[method][0]})"] = learner
  plotting.plot_sinusoid_comparison(
      learners, experiments.task_distribution(config, shots=10),
      options.figure)


if __name__ == "__main__":
  main()
