# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Runs WarpGrad's two synthetic experiments and writes their tables.

(a) Appendix D: meta-trains the explicit warp on random 2-D surfaces, then
    compares gradient descent and WarpGrad from the same initialisations on
    200 held-out surfaces.
(b) Appendix J: continual sine regression, SGD vs EWC vs WarpGrad on 100
    held-out task sequences: every sub-task's loss after the whole sequence.

  python benchmarks/warpgrad_tables.py --root=runs/warpgrad \
      --output=benchmarks/results/warpgrad.md

Each experiment is `python -m apps.meta_train` with the repo's configs (the
commands are printed and written with the tables); finished runs are
reused. Writes the Markdown tables and a figure-10-style PNG beside them.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
import table_common  # pylint: disable=g-import-not-at-top

CONTINUAL = {"sgd": "SGD", "ewc": "EWC", "warpgrad": "WarpGrad"}


def parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--root", default="runs/warpgrad")
  parser.add_argument("--output", default="benchmarks/results/warpgrad.md")
  return parser.parse_args()


def train(config, workdir):
  """Runs apps.meta_train unless workdir already has its eval.json."""
  command = [sys.executable, "-m", "apps.meta_train", f"--config={config}",
             f"--workdir={workdir}"]
  if not os.path.exists(os.path.join(workdir, "eval.json")):
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True)
  with open(os.path.join(workdir, "eval.json")) as f:
    evaluation = json.load(f)
  evaluation["config"] = table_common.upgraded_config(evaluation["config"])
  return evaluation, " ".join(["python"] + command[1:])


def _copy_figure(workdir, output, name):
  """Copies workdir/eval.png beside the tables; returns its file name."""
  target = os.path.splitext(output)[0] + f"_{name}.png"
  os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
  shutil.copyfile(os.path.join(workdir, "eval.png"), target)
  return os.path.basename(target)


def mean_ci(entry):
  return f"{entry['mean']:.3f} ± {entry['ci95']:.3f}" + (
      f" ({entry['num_nonfinite']} not finite)" if entry["num_nonfinite"]
      else "")


def main():
  options = parse()
  began = time.time()
  lines = []

  workdir = os.path.join(options.root, "surfaces")
  result, command = train("warp_surfaces", workdir)
  config, results = result["config"], result["results"]
  minutes = table_common.training_seconds(workdir) / 60
  lines += [
      "### (a) Synthetic loss surfaces (appendix D)", "",
      f"Explicit warp (residual tanh MLP, {config['warp_hidden_units']} "
      f"hidden) meta-trained for {config['num_meta_steps']} steps on "
      f"{config['meta_batch_size']} surfaces x {config['num_inits']} "
      f"initialisations each ({minutes:.1f} min). Final "
      f"loss after {config['learner']['num_inner_steps']} steps of step size "
      f"{config['learner']['inner_learning_rate']} from the same "
      "initialisations, "
      f"{results['warpgrad']['num_tasks']} held-out surfaces (mean over 10 "
      "initialisations each), mean ± 95% CI:", "",
      "| optimiser | final loss |", "|---|---|",
      f"| start | {mean_ci(results['initial'])} |",
      f"| gradient descent | {mean_ci(results['gradient_descent'])} |",
      f"| WarpGrad | {mean_ci(results['warpgrad'])} |",
      f"| WarpGrad - gradient descent (paired) | "
      f"{mean_ci(results['difference'])} |", "",
      f"WarpGrad ends lower on {100 * results['warpgrad_better_fraction']:.0f}"
      f"% of the surfaces. Command: `{command}`. Figure 5 (held-out "
      f"surfaces, trajectories in W and P): `{_copy_figure(workdir, options.output, 'surfaces')}`.", ""]

  runs = {}
  for variant in CONTINUAL:
    workdir = os.path.join(options.root, f"continual_{variant}")
    runs[variant] = (*train(f"continual_sine:{variant}",
                            workdir), table_common.training_seconds(workdir) / 60)
  config = runs["warpgrad"][0]["config"]
  subtasks = config["num_subtasks"]
  for order in ("sequential", "random"):
    title = ("training order (left to right)" if order == "sequential" else
             f"random order {runs['warpgrad'][0]['results'][order]['order']}"
             " (0 = leftmost interval)")
    lines += [
        f"### (b) Continual sine regression, {title}", "",
        "Validation loss (eq. 18) of each sub-task, in the order learned, "
        f"after all {subtasks * config['steps_per_subtask']} online steps; "
        f"{runs['warpgrad'][0]['results'][order]['final_mean']['num_tasks']}"
        " held-out sequences, mean ± 95% CI. alpha (and EWC's lambda) chosen"
        " on 50 validation sequences; WarpGrad uses the alpha it was "
        "meta-trained with.", "",
        "| method | alpha | lambda | " + " | ".join(
            f"sub-task {t + 1}" for t in range(subtasks)) + " | mean |",
        "|" + "---|" * (subtasks + 4)]
    for variant, name in CONTINUAL.items():
      results = runs[variant][0]["results"]
      lines.append(
          f"| {name} | {results['learning_rate']} | "
          f"{results['ewc_strength'] if variant == 'ewc' else '-'} | " +
          " | ".join(mean_ci(v) for v in results[order]["final_by_subtask"])
          + f" | {mean_ci(results[order]['final_mean'])} |")
    lines.append("")
  lines += ["Commands (meta-training time from metrics.jsonl):", ""]
  for variant, (_, command, minutes) in runs.items():
    lines.append(f"- `{command}` ({minutes:.1f} min of meta-training)")
  figure = os.path.splitext(options.output)[0] + "_continual.png"
  plotting.plot_continual(
      {CONTINUAL[v]: runs[v][0]["results"]["sequential"]["mean_curves"]
       for v in CONTINUAL}, figure,
      steps_per_subtask=config["steps_per_subtask"])
  lines += ["", f"Figure 10 (mean log loss of each sub-task over the "
                f"sequence): `{os.path.basename(figure)}`.", "",
            f"Hardware: {platform.machine()}, {os.cpu_count()} CPU cores, no "
            f"GPU. This invocation: {(time.time() - began) / 60:.1f} min "
            "(finished runs are reused)."]
  table_common.write_table(options.output, lines)


if __name__ == "__main__":
  main()
