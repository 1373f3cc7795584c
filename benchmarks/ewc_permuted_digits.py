# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""EWC, L2 and plain SGD on permuted 8x8 digits (Kirkpatrick et al. 2017).

Figure 2 of the paper on scikit-learn's handwritten digits: a sequence of
tasks, each a seeded permutation of the pixels, learned in turn by one MLP
(`kerasmeta/experiments/_permuted_digits.py`). Each penalty's strength is
the best of a small grid by the mean validation accuracy over all tasks
after the last one (seed 0); the table then gives the final test accuracy
of every task over `--seeds` runs (other permutations, initialisations and
batch orders). Writes a Markdown table and one PNG of three panels: A, each
of the first three tasks' test accuracy through training; B, the mean test
accuracy over the tasks seen so far; C, the Fisher overlap of two tasks per
layer for a small and a large permuted square:

  python benchmarks/ewc_permuted_digits.py --num_tasks=5
"""

import argparse
import os
import shlex
import sys
import time

import numpy as np

import table_common  # pylint: disable=g-import-not-at-top

GRIDS = {"sgd": (0.0,),
         "l2": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
         "ewc": (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0)}
COLORS = {"sgd": "tab:blue", "l2": "tab:green", "ewc": "tab:red"}
LABELS = {"sgd": "SGD", "l2": "L2", "ewc": "EWC"}
DATASETS = {"digits": "scikit-learn's 8x8 handwritten digits",
            "mnist": "MNIST (28x28)"}


def parse(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--num_tasks", type=int, default=5)
  parser.add_argument("--seeds", type=int, default=3,
                      help="Runs of the table (seed 0 picks the strengths).")
  parser.add_argument("--epochs_per_task", type=int, default=20)
  parser.add_argument("--square_sides", default="4,8",
                      help="Small and large permuted squares (figure C).")
  parser.add_argument("--dataset", default="digits",
                      choices=sorted(DATASETS),
                      help="mnist only where tfds already holds it.")
  parser.add_argument("--output_dir", default="benchmarks/results")
  return parser.parse_args(argv)


def run(args):
  """Every number of the table and the figure."""
  from kerasmeta.experiments import _permuted_digits as protocol_lib  # pylint: disable=g-import-not-at-top
  data = protocol_lib.load_dataset(args.dataset)
  input_dim = data["train"][0].shape[1]
  protocol = protocol_lib.Protocol(epochs_per_task=args.epochs_per_task)
  learner = protocol_lib.ContinualMLP(input_dim, protocol)
  tasks = protocol_lib.permuted_tasks(data, args.num_tasks, seed=0)
  chosen, scores = {}, {}
  for regime, grid in GRIDS.items():
    chosen[regime], scores[regime] = protocol_lib.choose_strength(
        learner, tasks, regime, grid)
    print(f"{regime}: validation {scores[regime]}", flush=True)
  finals = {regime: [record["test_after_task"]]
            for regime, record in chosen.items()}
  for seed in range(1, args.seeds):
    seeded = protocol_lib.ContinualMLP(
        input_dim, protocol_lib.Protocol(epochs_per_task=args.epochs_per_task,
                                         seed=seed))
    seed_tasks = protocol_lib.permuted_tasks(data, args.num_tasks, seed=seed)
    for regime, record in chosen.items():
      finals[regime].append(seeded.run(seed_tasks, regime,
                                       record["strength"])["test_after_task"])
  sides = [int(side) for side in args.square_sides.split(",")]
  overlaps = protocol_lib.overlap_by_depth(
      data, sides, chosen["ewc"]["strength"], protocol,
      seeds=tuple(range(args.seeds)))
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return {"chosen": chosen, "scores": scores,
          "finals": {r: np.asarray(f) for r, f in finals.items()},
          "overlaps": overlaps, "protocol": protocol,
          "input_dim": input_dim, "train_size": len(data["train"][1]),
          "gpus": len(tf.config.list_physical_devices("GPU"))}


def draw(results, path):
  """Figure 2 A/B/C of the paper."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  chosen = results["chosen"]
  shown = min(3, len(chosen["sgd"]["task_starts"]))
  figure = plt.figure(figsize=(15, 4.2))
  grid = figure.add_gridspec(shown, 3, width_ratios=(1.3, 1, 1))
  for task in range(shown):
    axis = figure.add_subplot(grid[task, 0])
    for regime, record in chosen.items():
      steps = np.asarray(record["steps"])
      since = steps >= record["task_starts"][task]
      axis.plot(steps[since], record["test_curve"][since, task],
                color=COLORS[regime], lw=1.2, label=LABELS[regime])
    for start in chosen["sgd"]["task_starts"][1:]:
      axis.axvline(start, color="grey", lw=0.5, ls=":")
    axis.set_ylim(0, 1.02)
    axis.set_xlim(0, chosen["sgd"]["steps"][-1])
    axis.set_ylabel(f"task {'ABC'[task]}", fontsize=8)
    if task == 0:
      axis.set_title("A: test accuracy through training", fontsize=10)
      axis.legend(fontsize=7, loc="lower left", ncol=3)
    if task < shown - 1:
      axis.set_xticklabels([])
    else:
      axis.set_xlabel("SGD steps")
  axis = figure.add_subplot(grid[:, 1])
  finals = results["finals"]
  for regime, after in finals.items():
    seen = np.asarray([[row[t, :t + 1].mean() for t in range(len(row))]
                       for row in after])
    counts = np.arange(1, seen.shape[1] + 1)
    axis.errorbar(counts, seen.mean(0), yerr=seen.std(0), color=COLORS[regime],
                  marker="o", capsize=2,
                  label=_label(chosen[regime]))
  single = np.mean([after[0, 0] for after in finals["sgd"]])
  axis.axhline(single, color="black", ls="--", lw=1, label="single task")
  axis.set_xticks(np.arange(1, seen.shape[1] + 1))
  axis.set_ylim(0, 1.02)
  axis.set_xlabel("number of tasks learned")
  axis.set_ylabel("mean test accuracy over tasks seen")
  axis.set_title("B: average over the tasks seen", fontsize=10)
  axis.legend(fontsize=7, loc="lower left")
  axis = figure.add_subplot(grid[:, 2])
  for side, shade in zip(sorted(results["overlaps"]), ("grey", "black")):
    layers = results["overlaps"][side]
    values = np.asarray(list(layers.values()))
    depth = np.arange(1, len(layers) + 1)
    axis.errorbar(depth, values.mean(1), yerr=values.std(1), color=shade,
                  marker="o", capsize=2, label=f"{side}x{side} square")
  axis.set_xticks(depth)
  axis.set_xticklabels(list(layers), fontsize=8)
  axis.set_ylim(0, 1.02)
  axis.set_xlabel("layer")
  axis.set_ylabel("Fisher overlap")
  axis.set_title("C: Fisher overlap of two tasks", fontsize=10)
  axis.legend(fontsize=7, loc="lower right")
  table_common.save_figure(figure, path)


def _label(record):
  """"EWC (lambda=300)"; "SGD"."""
  label = LABELS[record["regime"]]
  if record["regime"] == "sgd":
    return label
  return f"{label} (lambda={record['strength']:g})"


def _pm(values):
  values = np.asarray(values)
  return f"{values.mean():.3f} ± {values.std():.3f}"


def table(results, args, wall, figure):
  finals, chosen = results["finals"], results["chosen"]
  num_tasks = finals["sgd"].shape[-1]
  protocol = results["protocol"]
  seeds = finals["sgd"].shape[0]
  lines = [
      "# EWC on permuted digits",
      "",
      f"Kirkpatrick et al. 2017, figure 2, on {DATASETS[args.dataset]}: "
      f"{num_tasks} tasks, each a seeded permutation of all "
      f"{results['input_dim']} pixels, learned in turn by one MLP "
      f"{results['input_dim']}-"
      f"{'-'.join(map(str, protocol.hidden_sizes))}-10 (ReLU) with plain "
      f"SGD (rate {protocol.learning_rate}, batches of "
      f"{protocol.batch_size}, {protocol.epochs_per_task} epochs of the "
      f"{results['train_size']} training images per task). L2 penalises "
      "`lambda/2 ||theta - theta*_k||^2` and EWC `lambda/2 sum_i F_k,i "
      "(theta_i - theta*_k,i)^2` (empirical diagonal Fisher of task k's "
      "training images at its end), summed over the earlier tasks k; the "
      "penalty is taken by an exact proximal step after each SGD step. "
      "Each lambda is the best of its grid by the mean validation accuracy "
      "over all tasks after the last (seed 0); test accuracies are the mean "
      f"± sd over {seeds} seeds (permutations, initialisation, batch order).",
      "",
      "## Final test accuracy of each task (after the last task)",
      "",
      "| method | " + " | ".join(f"task {t + 1}" for t in range(num_tasks))
      + " | mean |",
      "|---" * (num_tasks + 2) + "|"]
  for regime, after in finals.items():
    last = after[:, -1, :]
    lines.append(f"| {_label(chosen[regime])} | "
                 + " | ".join(f"{v:.3f}" for v in last.mean(0))
                 + f" | {_pm(last.mean(1))} |")
  lines += ["", "## Mean test accuracy over the tasks seen (figure B)", "",
            "| method | " + " | ".join(
                f"after {t + 1}" for t in range(num_tasks)) + " |",
            "|---" * (num_tasks + 1) + "|"]
  for regime, after in finals.items():
    seen = [[row[t, :t + 1].mean() for row in after]
            for t in range(num_tasks)]
    lines.append(f"| {LABELS[regime]} | "
                 + " | ".join(f"{np.mean(s):.3f}" for s in seen) + " |")
  single = _pm([after[0, 0] for after in finals["sgd"]])
  lines += ["", f"A single task alone: {single} (task 1 after task 1).", "",
            "## Validation accuracy (mean over tasks, seed 0) by lambda", "",
            "| method | lambda: validation accuracy |",
            "|---|---|"]
  for regime in ("l2", "ewc"):
    lines.append(f"| {LABELS[regime]} | " + ", ".join(
        f"{k:g}: {v:.3f}" for k, v in results["scores"][regime].items())
                 + " |")
  overlaps = results["overlaps"]
  layers = list(next(iter(overlaps.values())))
  lines += ["", "## Fisher overlap of two tasks per layer (figure C)", "",
            f"Two tasks permuting only the central square, learned in turn "
            f"with EWC (lambda={chosen['ewc']['strength']:g}); each Fisher "
            "at the end of its task, per layer (kernel and bias), normalised "
            "to unit trace; overlap `1 - 1/2 ||F_A^(1/2) - F_B^(1/2)||_F^2`, "
            f"mean ± sd over {seeds} seeds.", "",
            "| permuted square | " + " | ".join(layers) + " |",
            "|---" * (len(layers) + 1) + "|"]
  for side, by_layer in sorted(overlaps.items()):
    lines.append(f"| {side}x{side} | "
                 + " | ".join(_pm(by_layer[layer]) for layer in layers)
                 + " |")
  command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
  lines += ["", f"Figure: `{os.path.basename(figure)}`.", "",
            f"Command: `{command}`; {wall / 60:.1f} min wall clock on "
            f"{os.cpu_count()} CPU cores, "
            f"{results['gpus'] or 'no'} GPU ({table_common.cpu_model()})."]
  return lines


def main(argv=None):
  args = parse(argv)
  if args.num_tasks < 2:
    raise ValueError(f"--num_tasks must be >= 2; received {args.num_tasks}.")
  sys.path.insert(0, os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))))
  began = time.time()
  results = run(args)
  figure = os.path.join(args.output_dir, "ewc_permuted_digits.png")
  os.makedirs(args.output_dir, exist_ok=True)
  draw(results, figure)
  table_common.write_table(
      os.path.join(args.output_dir, "ewc_permuted_digits.md"),
      table(results, args, time.time() - began, figure))


if __name__ == "__main__":
  main()
