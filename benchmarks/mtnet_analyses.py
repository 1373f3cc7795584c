# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""MT-net's two analyses (Lee & Choi 2018): subspace and alpha robustness.

(a) Subspace against task complexity: MT-net meta-trained on polynomials
    of order 0, 1, 2 (a few training seeds); per layer the units whose mask
    is open with P(m = 1) = sigmoid(zeta) > 1/2, and the mean P
    (`mtnet_subspace.py`).
(b) Learning-rate robustness: query MSE after one inner step (K = 10, 600
    held-out sinusoids) against the inner learning rate alpha, for MAML,
    Meta-SGD, T-net, M-net and MT-net (`mtnet_lr_robustness.py`).

  python benchmarks/mtnet_analyses.py --root=runs/mtnet_lr \
      --reuse_roots=runs/sinusoid_eps8 --num_meta_steps=60000 \
      --output_dir=benchmarks/results

Every run is `python -m apps.meta_train --noevaluate` then
`python -m apps.evaluate --shots=10 --noplot`; finished runs (under --root,
or with the same settings under a --reuse_roots folder, read only) are
reused, so re-running only redraws. Writes mtnet_subspace.md/.png and
mtnet_lr_robustness.md/.png into --output_dir.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import mtnet_lr_robustness  # pylint: disable=g-import-not-at-top
import mtnet_subspace  # pylint: disable=g-import-not-at-top
import table_common  # pylint: disable=g-import-not-at-top

SECTIONS = ("subspace", "learning_rate")


def _list(kind):
  return lambda text: [kind(part) for part in text.split(",") if part]


def parse(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--root", default="runs/mtnet_analyses",
                      help="Where new runs go.")
  parser.add_argument("--reuse_roots", type=_list(str), default=[],
                      help="Folders of earlier runs (read only), e.g. "
                      "benchmarks/sinusoid_table.py's --root.")
  parser.add_argument("--num_meta_steps", type=int, default=60000)
  parser.add_argument("--output_dir", default="benchmarks/results")
  parser.add_argument("--sections", type=_list(str), default=list(SECTIONS))
  parser.add_argument("--orders", type=_list(int), default=[0, 1, 2])
  parser.add_argument("--seeds", type=_list(int), default=[0, 1, 2],
                      help="Training seeds of the subspace runs.")
  parser.add_argument(
      "--polynomial_learning_rate", default=mtnet_subspace.REFERENCE_ALPHA,
      help="alpha of the subspace runs (the reference's 0.001; another "
      "value writes mtnet_subspace_alphaALPHA.md/.png).")
  parser.add_argument("--methods", type=_list(str),
                      default=list(mtnet_lr_robustness.METHODS))
  parser.add_argument("--learning_rates", type=_list(str),
                      default="0.001,0.003,0.01,0.04,0.1,0.3,1.0".split(","))
  parser.add_argument("--seed", type=int, default=0,
                      help="Training seed of the learning-rate runs.")
  args = parser.parse_args(argv)
  unknown = set(args.sections) - set(SECTIONS)
  if unknown:
    parser.error(f"--sections takes {SECTIONS}; received {sorted(unknown)}.")
  return args


def _command(args):
  return ("python benchmarks/mtnet_analyses.py " + " ".join(
      f"--{name}={','.join(map(str, value)) if isinstance(value, list) else value}"
      for name, value in sorted(vars(args).items())))


def _footer(args, runs, began):
  """Commands, wall times and the machine, for a table's Markdown."""
  made = [r for r in runs.values() if not r.reused]
  recorded = sum(r.wall_seconds for r in runs.values())
  unknown = sum(1 for r in runs.values() if r.wall_seconds == 0)
  return [
      "", f"Command: `{_command(args)}`.",
      "Each run: `python -m apps.meta_train --config=CONFIG "
      "--workdir=ROOT/NAME --noevaluate --config.FIELD=VALUE ...`, then "
      "`python -m apps.evaluate --workdir=ROOT/NAME --shots=10 --noplot` "
      "(600 tasks, eval seed 1234).",
      f"Hardware: {table_common.cpu_model()}, {os.cpu_count()} CPU cores "
      "(shared with another job), no GPU.",
      f"Wall time: {recorded / 60:.1f} min of training and evaluation for "
      f"the {len(runs) - unknown} runs this script made"
      + (f" ({unknown} runs reused from earlier scripts, their time not "
         "counted)" if unknown else "")
      + f"; this invocation {(time.time() - began) / 60:.1f} min "
      f"({len(made)} runs made now, {len(runs) - len(made)} reused)."]


def subspace_section(args, began):
  runs = mtnet_subspace.run_all(args)
  measured = mtnet_subspace.measure(runs)
  name = "mtnet_subspace" + mtnet_subspace.suffix(
      args.polynomial_learning_rate)
  png = os.path.join(args.output_dir, name + ".png")
  mtnet_subspace.draw(args, measured, png)
  totals = {o: [sum(l.active_units for l in measured[(o, s)])
                for s in args.seeds if (o, s) in measured]
            for o in args.orders}
  lines = [
      "MT-net on polynomials of order 0, 1, 2 (the reference code's "
      "experiments/polynomial.sh: y = sum_i u_i x^i / 2^i, u_i ~ U[-1, 1], "
      "x ~ U[-2, 2]; K = 10 support + 10 query points; 1-40-40-1 ReLU MLP of "
      "MT cells, unit masks with logits starting at 0; meta-batch 4, Adam "
      f"1e-3, {args.num_meta_steps} meta-steps; one inner step at alpha = "
      f"{args.polynomial_learning_rate}; the reference's: 0.001, its "
      "default `update_lr`). Training seeds "
      f"{', '.join(map(str, args.seeds))}. A unit is *active* where its "
      "mask is open more often than not, P(m = 1) = sigmoid(zeta) > 0.5; "
      f"the column P > {mtnet_subspace.CLEAR_THRESHOLD} counts the units "
      "clearly open.", "",
      *mtnet_subspace.table(args, runs, measured), "",
      "Active units over all layers (mean, min–max over seeds): " + "; ".join(
          f"order {o}: {sum(t) / len(t):.1f} ({min(t)}–{max(t)})"
          for o, t in totals.items() if t) + ".", "",
      f"Figure: `{os.path.basename(png)}`.",
      *_footer(args, runs, began)]
  table_common.write_table(
      os.path.join(args.output_dir, name + ".md"), lines)


def learning_rate_section(args, began):
  runs = mtnet_lr_robustness.run_all(args)
  png = os.path.join(args.output_dir, "mtnet_lr_robustness.png")
  zero = mtnet_lr_robustness.zero_predictor_loss()
  mtnet_lr_robustness.draw(args, runs, png, reference=zero)
  reused = sorted({os.path.dirname(r.workdir) for r in runs.values()
                   if os.path.dirname(r.workdir) != args.root.rstrip("/")})
  lines = [
      "Sinusoids, the MT-net protocol (`sinusoid:VARIANT`: K = 10, 10 "
      "query points, one inner step, meta-batch 4, Adam 1e-3, "
      f"{args.num_meta_steps} meta-steps, seed {args.seed}), meta-trained "
      "and evaluated at each inner learning rate alpha (Meta-SGD: the "
      "initial value of its learned per-weight rates). Query MSE after one "
      "step at K = 10 on 600 held-out tasks, mean ± 95% CI over the tasks "
      "whose loss is finite. Where the mean is dominated by diverging "
      "tasks (some not finite, or mean > 10 x median) the median is given "
      "in bold and is what the figure plots (open markers); runs whose "
      "meta-training stopped on a non-finite loss are marked. worst/best: "
      "the method's largest plotted loss over its smallest across the "
      f"grid. For scale: predicting 0 for every task scores {zero:.3f} on "
      "these tasks (the dotted line).", "",
      *mtnet_lr_robustness.table(args, runs), "",
      mtnet_lr_robustness.divergence_note(runs), "",
      f"Figure: `{os.path.basename(png)}`."]
  if reused:
    lines += ["", "Reused finished runs from: " + ", ".join(
        f"`{r}`" for r in reused) + " (same config, steps and seed)."]
  lines += _footer(args, runs, began)
  table_common.write_table(
      os.path.join(args.output_dir, "mtnet_lr_robustness.md"), lines)


def main(argv=None):
  args = parse(argv)
  os.makedirs(args.output_dir, exist_ok=True)
  for section in args.sections:
    began = time.time()
    print(f"== {section} ==", flush=True)
    if section == "subspace":
      subspace_section(args, began)
    else:
      learning_rate_section(args, began)


if __name__ == "__main__":
  main()
