# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""MT-net's sinusoid row as its reference code makes it: one model per K.

The MT-net code (yoonholee/MT-net, main.py) names a run's checkpoints by
the K it was trained with (`exp_string` holds `ubs_` = update_batch_size,
and `train_update_batch_size` defaults to the K being evaluated), so
testing at K = 5 or 20 loads a model meta-trained at that K; its
experiments/sine.sh trains K = 10 with alpha in {0.01, 0.04, 0.1}. This
script meta-trains MAML and MT-net at K = 5 and 20 as well (everything
else as `sinusoid_table.py`: 60,000 steps, meta-batch 4, one inner step),
chooses alpha per method and K on 600 validation tasks at that K, and
compares the query MSE after one step on the 600 test tasks with the
models trained at K = 10 (the table's protocol, whose runs it reuses):

  python benchmarks/sinusoid_per_shot.py --root=runs/sinusoid \
      --output=benchmarks/results/sinusoid_per_shot.md
"""

import argparse
import os
import subprocess
import sys
import time

from sinusoid_table import load  # pylint: disable=g-import-not-at-top
import table_common  # pylint: disable=g-import-not-at-top

METHODS = {"maml": "MAML", "mtnet": "MT-net"}
PAPER_MTNET = {5: 0.76, 10: 0.49, 20: 0.33}  # the MT-net paper, one step
VALIDATION_SEED = 4321


def parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--root", default="runs/sinusoid")
  parser.add_argument("--learning_rates", default="0.01,0.04,0.1")
  parser.add_argument("--num_meta_steps", type=int, default=60000)
  parser.add_argument("--output",
                      default="benchmarks/results/sinusoid_per_shot.md")
  return parser.parse_args()


def finished(path, steps):
  return os.path.exists(path) and load(path)["step"] == steps


def run(args):
  print("+", " ".join(args), flush=True)
  subprocess.run([sys.executable] + args, check=True)


def train_and_evaluate(method, alpha, shots, options):
  """The workdir of `method` at `alpha` trained at K = `shots` (K = 10:
  the sinusoid table's run), evaluated on test and validation at `shots`."""
  suffix = "" if shots == 10 else f"_k{shots}"
  workdir = os.path.join(options.root, f"{method}_alpha{alpha}{suffix}")
  steps = options.num_meta_steps
  if not finished(os.path.join(workdir, "eval.json"), steps):
    run(["-m", "apps.meta_train", f"--config=sinusoid:{method}",
         f"--workdir={workdir}", f"--config.learner.inner_learning_rate={alpha}",
         f"--config.shots={shots}", f"--config.num_meta_steps={steps}"])
  # K = 10: the table's validation file (its runs are these).
  validation = "validation.json" if shots == 10 else \
      f"validation_k{shots}.json"
  if not finished(os.path.join(workdir, validation), steps):
    run(["-m", "apps.evaluate", f"--workdir={workdir}",
         f"--seed={VALIDATION_SEED}", f"--shots={shots}",
         f"--output={validation}", "--noplot"])
  test = load(os.path.join(workdir, "eval.json"))["results"][str(shots)]["1"]
  score = load(os.path.join(workdir, validation))["results"][str(shots)][
      "1"]["mean"]
  return workdir, test, score


def main():
  options = parse()
  began = time.time()
  alphas = options.learning_rates.split(",")
  lines = ["| method | trained at | K=5 | K=10 | K=20 |",
           "|---|---|---|---|---|"]
  workdirs = []
  for method in METHODS:
    best = {}
    for shots in (5, 10, 20):
      for alpha in alphas:
        workdir, test, score = train_and_evaluate(method, alpha, shots,
                                                  options)
        workdirs.append(workdir)
        if shots not in best or score < best[shots][2]:
          best[shots] = (alpha, test, score)
    own = [f"{best[k][1]['mean']:.3f} ± {best[k][1]['ci95']:.3f} "
           f"(alpha {best[k][0]})" for k in (5, 10, 20)]
    # The K = 10 model (alpha chosen at K = 10) evaluated at every K.
    ten = load(os.path.join(options.root, f"{method}_alpha{best[10][0]}",
                            "eval.json"))["results"]
    at_ten = [f"{ten[str(k)]['1']['mean']:.3f} ± {ten[str(k)]['1']['ci95']:.3f}"
              f" (alpha {best[10][0]})" for k in (5, 10, 20)]
    lines.append(f"| {METHODS[method]} | K = 10 (the table) | "
                 + " | ".join(at_ten) + " |")
    lines.append(f"| {METHODS[method]} | the K it is tested at | "
                 + " | ".join(own) + " |")
  lines.append("| MT-net, the paper | ? | " + " | ".join(
      f"{PAPER_MTNET[k]:.2f}" for k in (5, 10, 20)) + " |")
  minutes = sum(table_common.training_seconds(w) for w in set(workdirs)) / 60
  lines += ["", "Query MSE (10 points) after one inner step on 600 test "
            "tasks, mean ± 95% CI; alpha from {" + ", ".join(alphas) + "} "
            "chosen on 600 validation tasks at the K evaluated. "
            f"{options.num_meta_steps} meta-steps, meta-batch 4, seed 0.", "",
            f"Command: `python benchmarks/sinusoid_per_shot.py` on "
            f"{table_common.cpu_model()}, {os.cpu_count()} CPU cores, no "
            f"GPU: meta-training {minutes:.1f} min over the runs; this "
            f"invocation {(time.time() - began) / 60:.1f} min (finished "
            "runs reused)."]
  table_common.write_table(options.output, lines)


if __name__ == "__main__":
  main()
