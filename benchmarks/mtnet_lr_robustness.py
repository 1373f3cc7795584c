# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Sensitivity to the inner learning rate alpha (MT-net, Lee & Choi 2018).

Meta-trains MAML, Meta-SGD, T-net, M-net and MT-net on sinusoids (the
MT-net protocol, `sinusoid:VARIANT`) at each alpha of a grid, and plots the
query MSE after one inner step (K = 10, 600 held-out tasks) against alpha.
The paper's claim: T (eq. 16-17) rescales the step the learner takes, so
T-nets and MT-nets lose less when alpha is far from its best value.

Where a few diverging tasks dominate a mean (mean > 10 x median, or some
losses not finite), the plot shows the median (open markers) and the table
both; a run whose meta-training diverged is drawn as a cross on the top
edge.
"""

import math
import os

import table_common  # pylint: disable=g-import-not-at-top
import workdir_runs

METHODS = {"maml": "MAML", "meta_sgd": "Meta-SGD", "tnet": "T-net",
           "mnet": "M-net", "mtnet": "MT-net"}
SHOTS, STEPS = 10, 1


def workdir(root, method, alpha):
  """`ROOT/METHOD_alphaALPHA`, the layout of benchmarks/sinusoid_table.py."""
  return os.path.join(root, f"{method}_alpha{alpha}")


def run_all(args):
  """Trains (or reuses) every (method, alpha) run; returns {(method,
  alpha): Run}, printing progress."""
  runs = {}
  pairs = [(m, a) for m in args.methods for a in args.learning_rates]
  for index, (method, alpha) in enumerate(pairs):
    fields = {"task": "sinusoid", "variant": method,
              "learner.inner_learning_rate": float(alpha), "seed": args.seed,
              "num_meta_steps": args.num_meta_steps}
    run = workdir_runs.train_and_evaluate(
        f"sinusoid:{method}", workdir(args.root, method, alpha),
        {"learner.inner_learning_rate": alpha, "seed": args.seed,
         "num_meta_steps": args.num_meta_steps}, fields, shots=SHOTS,
        reuse_dirs=[workdir(r, method, alpha) for r in args.reuse_roots])
    runs[(method, alpha)] = run
    where = ("reused " + run.workdir if run.reused
             else f"{run.wall_seconds:.0f} s")
    entry = loss_entry(run)
    print(f"[alpha {index + 1}/{len(pairs)}] {method} alpha={alpha}: "
          f"{where}, {run.status}"
          + (f", mean {entry['mean']:.3g} median {entry['median']:.3g}"
             if entry else ""), flush=True)
  return runs


def loss_entry(run):
  """The run's K = 10, one-step summary (mean, ci95, median, ...), or None
  where meta-training diverged."""
  if run.status != "finished":
    return None
  return run.evaluation["results"][str(SHOTS)][str(STEPS)]


def dominated(entry):
  """Whether diverging tasks dominate the mean: some losses not finite, or
  a mean over 10 times the median."""
  return bool(entry["num_nonfinite"]) or entry["mean"] > 10 * entry["median"]


def plotted_value(entry):
  """`(value, is_median)`: the mean, or the median where `dominated`."""
  if dominated(entry):
    return entry["median"], True
  return entry["mean"], False


def number(value):
  return f"{value:.3f}" if abs(value) < 1e3 else f"{value:.1e}"


def cell(run):
  """A table cell: mean ± CI, with the median and the non-finite count
  where they matter; "diverged at step N" for a failed meta-training."""
  entry = loss_entry(run)
  if entry is None:
    step = workdir_runs.diverged_step(run.message)
    return "meta-training diverged" + (f" at step {step}" if step else "")
  text = f"{number(entry['mean'])} ± {number(entry['ci95'])}"
  notes = []
  if dominated(entry):
    notes.append(f"**median {number(entry['median'])}**")
  if entry["num_nonfinite"]:
    notes.append(f"{entry['num_nonfinite']}/{entry['num_tasks']} "
                 "not finite")
  return text + (f" ({'; '.join(notes)})" if notes else "")


def divergence_note(runs):
  """One sentence: which runs diverged, or that none did."""
  entries = {key: loss_entry(run) for key, run in runs.items()}
  failed = [f"{m} alpha={a}" for (m, a), e in entries.items() if e is None]
  nonfinite = sum(e["num_nonfinite"] for e in entries.values() if e)
  medians = [f"{m} alpha={a}" for (m, a), e in entries.items()
             if e is not None and dominated(e)]
  if not (failed or nonfinite or medians):
    return ("Divergence: none. No meta-training stopped, no held-out task's "
            "loss was non-finite and no mean exceeded 10x its median, so "
            "every number and point is a mean.")
  return (f"Divergence: meta-training stopped for {failed or 'none'}; "
          f"{nonfinite} held-out task losses were not finite; the median "
          f"stands in for the mean for {medians or 'none'}.")


def sensitivity(values):
  """`(worst / best, alphas within 2x of the best)` of a method's plotted
  losses over the grid; a run diverged in meta-training (None) is infinitely
  bad."""
  finite = [v for v in values if v is not None]
  if not finite:
    return math.inf, 0
  best = min(finite)
  ratio = math.inf if len(finite) < len(values) else max(finite) / best
  return ratio, sum(v <= 2 * best for v in finite)


def table(args, runs):
  """Markdown lines: method x alpha, and each method's worst/best ratio."""
  lines = ["| method | " + " | ".join(
      f"alpha={a}" for a in args.learning_rates) +
           " | worst/best | alphas within 2x of best |",
           "|---|" + "---|" * (len(args.learning_rates) + 2)]
  values = values_by_method(args, runs)
  for method in args.methods:
    ratio, near = sensitivity(values[method])
    ratio = "∞" if math.isinf(ratio) else f"{ratio:.1f}x"
    lines.append(f"| {METHODS.get(method, method)} | " + " | ".join(
        cell(runs[(method, a)]) for a in args.learning_rates) +
                 f" | {ratio} | {near}/{len(args.learning_rates)} |")
  return lines


def zero_predictor_loss(num_tasks=600, seed=1234):
  """The query MSE of predicting 0 on the held-out tasks: the mean of
  query_y^2 (about E[A^2] / 2 = 4.25), the loss of a model that adapts to
  nothing."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from kerasmeta import experiments  # pylint: disable=g-import-not-at-top
  from kerasmeta.apps.configs import sinusoid  # pylint: disable=g-import-not-at-top
  distribution = experiments.task_distribution(sinusoid.get_config("maml"),
                                               shots=SHOTS)
  tasks, _, _ = distribution.evaluation_tasks(num_tasks, seed)
  return float(np.mean(np.square(tasks.query_y)))


def draw(args, runs, path, reference=None):
  """Log-x alpha, log-y loss; one line per method (see module docstring);
  `reference`, a loss drawn as a dotted line (predicting 0)."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  figure, axis = plt.subplots(figsize=(7, 4.5))
  alphas = [float(a) for a in args.learning_rates]
  plotted = [plotted_value(loss_entry(r))[0] for r in runs.values()
             if loss_entry(r) is not None]
  top = max(plotted) * 3 if plotted else 10.0
  for index, method in enumerate(args.methods):
    color = f"C{index}"
    xs, ys = [], []
    for alpha, alpha_text in zip(alphas, args.learning_rates):
      entry = loss_entry(runs[(method, alpha_text)])
      if entry is None:  # meta-training diverged
        axis.scatter([alpha], [top], marker="x", s=60, color=color,
                     clip_on=False, zorder=3)
        continue
      value, is_median = plotted_value(entry)
      xs.append(alpha)
      ys.append(value)
      axis.scatter([alpha], [value], color=color, zorder=3,
                   facecolors="none" if is_median else color)
      if entry["num_nonfinite"]:
        axis.annotate(f"{entry['num_nonfinite']} NaN", (alpha, value),
                      textcoords="offset points", xytext=(4, 4),
                      fontsize="x-small", color=color)
    axis.plot(xs, ys, color=color, label=METHODS.get(method, method))
  axis.set(xscale="log", yscale="log", xlabel="inner learning rate alpha",
           ylabel=f"query MSE after {STEPS} step (K={SHOTS})",
           title="Sinusoids: loss after adaptation against alpha")
  axis.set_ylim(top=top)
  if reference is not None:
    axis.axhline(reference, color="gray", linestyle=":",
                 label=f"predicting 0 ({reference:.2f})")
  handles, labels = axis.get_legend_handles_labels()
  entries = [loss_entry(r) for r in runs.values()]
  if any(e is not None and dominated(e) for e in entries):
    handles.append(plt.Line2D([], [], marker="o", linestyle="", color="gray",
                              markerfacecolor="none"))
    labels.append("median (mean dominated by diverging tasks)")
  if any(e is None for e in entries):
    handles.append(plt.Line2D([], [], marker="x", linestyle="",
                              color="gray"))
    labels.append("meta-training diverged")
  axis.legend(handles, labels, fontsize="small")
  table_common.save_figure(figure, path)


def values_by_method(args, runs):
  """`{method: [plotted loss or None per alpha]}` (for the summary)."""
  return {m: [None if loss_entry(runs[(m, a)]) is None else
              plotted_value(loss_entry(runs[(m, a)]))[0]
              for a in args.learning_rates] for m in args.methods}

