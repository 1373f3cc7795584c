# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""MT-net's subspace against task complexity (Lee & Choi 2018, eq. 9).

Meta-trains MT-net on polynomials of order 0, 1, 2 (the reference code's
experiments/polynomial.sh: K = 10, meta-batch 4, 60,000 meta-steps, one
inner step at alpha = 0.001), a few training seeds each, then counts per
layer the units whose mask is open more often than not,
P(m = 1) = sigmoid(zeta) > 1/2 (`kerasmeta.layers.subspace`). The paper's
claim: the subspace grows with the task's complexity.
"""

import os

import numpy as np

import table_common  # pylint: disable=g-import-not-at-top
import workdir_runs

# A stricter count: units clearly open, not logits that drifted off zero.
CLEAR_THRESHOLD = 0.6
# The reference's alpha (experiments/polynomial.sh leaves update_lr at it).
REFERENCE_ALPHA = "0.001"


def suffix(alpha):
  """"" for the reference's alpha, else "_alphaALPHA" (names of runs and
  of the output files)."""
  return "" if float(alpha) == float(REFERENCE_ALPHA) else f"_alpha{alpha}"


def workdir(root, order, seed, alpha=REFERENCE_ALPHA):
  return os.path.join(root, f"polynomial_order{order}_seed{seed}"
                      + suffix(alpha))


def run_all(args):
  """Trains (or reuses) every (order, seed) run; returns {(order, seed):
  Run}, printing progress."""
  runs = {}
  pairs = [(o, s) for o in args.orders for s in args.seeds]
  for index, (order, seed) in enumerate(pairs):
    alpha = args.polynomial_learning_rate
    fields = {"task": "polynomial", "variant": "mtnet",
              "polynomial_order": order, "seed": seed,
              "learner.inner_learning_rate": float(alpha),
              "num_meta_steps": args.num_meta_steps}
    run = workdir_runs.train_and_evaluate(
        f"polynomial:mtnet,{order}", workdir(args.root, order, seed, alpha),
        {"seed": seed, "num_meta_steps": args.num_meta_steps,
         "learner.inner_learning_rate": alpha}, fields,
        reuse_dirs=[workdir(r, order, seed, alpha)
                    for r in args.reuse_roots])
    runs[(order, seed)] = run
    print(f"[subspace {index + 1}/{len(pairs)}] order {order} seed {seed}: "
          f"{'reused' if run.reused else f'{run.wall_seconds:.0f} s'}, "
          f"{run.status}", flush=True)
  return runs


def measure(runs):
  """`{(order, seed): [UnitSubspace per masked layer]}` of the finished
  runs, from their final checkpoints."""
  from kerasmeta import workdir as workdir_lib  # pylint: disable=g-import-not-at-top
  from kerasmeta.layers import subspace  # pylint: disable=g-import-not-at-top
  measured = {}
  for key, run in runs.items():
    if run.status != "finished":
      continue
    _, learner, _ = workdir_lib.restore_learner(run.workdir)
    measured[key] = subspace.model_subspace(learner.model)
  return measured


def _spread(values, digits=1):
  values = np.asarray(values, np.float64)
  if values.size == 1:
    return f"{values[0]:.{digits}f}"
  return (f"{values.mean():.{digits}f} ({values.min():.{digits}f}–"
          f"{values.max():.{digits}f})")


def table(args, runs, measured):
  """Markdown lines: per order and layer, active units and mean P."""
  seeds = ", ".join(str(s) for s in args.seeds)
  layers = [(i, layer.name, layer.units)
            for i, layer in enumerate(next(iter(measured.values())))]
  lines = [
      "| order | layer | units | active, P > 0.5: mean (min–max) | per seed "
      f"({seeds}) | P > {CLEAR_THRESHOLD}: mean (min–max) | per seed | "
      "mean P(mask = 1) |",
      "|---|---|---|---|---|---|---|---|"]
  for order in args.orders:
    keys = [(order, s) for s in args.seeds if (order, s) in measured]
    for index, name, units in layers:
      found = [measured[k][index] for k in keys]
      active = [f.active_units for f in found]
      clear = [int(np.sum(f.probabilities > CLEAR_THRESHOLD)) for f in found]
      lines.append(
          f"| {order} | {name} | {units} | {_spread(active)} | "
          f"{', '.join(str(a) for a in active)} | {_spread(clear)} | "
          f"{', '.join(str(c) for c in clear)} | "
          f"{_spread([f.mean_probability for f in found], 3)} |")
  lines += ["", "Query MSE of the same runs (K = 10, 600 held-out tasks, "
            "mean over seeds of each run's mean; 0 steps = before "
            "adaptation):", "",
            "| order | 0 steps | 1 step | 10 steps | tasks not finite |",
            "|---|---|---|---|---|"]
  for order in args.orders:
    results = [runs[(order, s)].evaluation["results"]["10"]
               for s in args.seeds if runs[(order, s)].status == "finished"]
    cells = [_spread([r[str(step)]["mean"] for r in results], 3)
             for step in (0, 1, 10)]
    bad = sum(r["1"]["num_nonfinite"] for r in results)
    lines.append(f"| {order} | " + " | ".join(cells) + f" | {bad} |")
  diverged = [k for k, r in runs.items() if r.status != "finished"]
  if diverged:
    lines += ["", "Meta-training diverged (not counted above): " + ", ".join(
        f"order {o} seed {s} ({runs[(o, s)].message})" for o, s in diverged)]
  return lines


def draw(args, measured, path):
  """Per layer, the fraction of its units active (P > 0.5, solid; clearly
  open, P > CLEAR_THRESHOLD, dashed) and the mean P(m = 1), against the
  order; dots are seeds, lines their means."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  figure, axes = plt.subplots(1, 2, figsize=(10, 4))
  layers = [(i, layer.name, layer.units)
            for i, layer in enumerate(next(iter(measured.values())))]
  for index, name, units in layers:
    color = f"C{index}"
    # Layers side by side at each order, so that equal values stay visible.
    xs = [order + 0.04 * (index - 1) for order in args.orders]
    active, clear, probabilities = [], [], []
    for order in args.orders:
      found = [measured[(order, s)][index] for s in args.seeds
               if (order, s) in measured]
      fractions = [f.active_units / units for f in found]
      axes[0].scatter([order + 0.04 * (index - 1)] * len(fractions),
                      fractions, alpha=0.4, s=20, color=color)
      active.append(np.mean(fractions))
      clear.append(np.mean([np.mean(f.probabilities > CLEAR_THRESHOLD)
                            for f in found]))
      probabilities.append(np.mean([f.mean_probability for f in found]))
    label = f"{name} ({units} unit{'s' if units > 1 else ''})"
    axes[0].plot(xs, active, marker="o", color=color, label=label)
    axes[0].plot(xs, clear, linestyle="--", color=color)
    axes[1].plot(xs, probabilities, marker="o", color=color, label=label)
  axes[0].set(xlabel="polynomial order", ylabel="fraction of the layer's units",
              title=f"active units: P(m=1) > 0.5 (solid), "
              f"> {CLEAR_THRESHOLD} (dashed)", xticks=args.orders,
              ylim=(-0.05, 1.05))
  axes[1].axhline(0.5, color="gray", linestyle=":")
  axes[1].set(xlabel="polynomial order", ylabel="mean P(m=1)",
              title="mean mask probability per layer", xticks=args.orders)
  axes[0].legend(fontsize="small")
  figure.suptitle(f"MT-net on polynomials, alpha = "
                  f"{args.polynomial_learning_rate}; seeds {args.seeds} "
                  "(dots)", fontsize="small")
  table_common.save_figure(figure, path)
