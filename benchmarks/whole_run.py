# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""The README's main job, end to end, beside the same work in JAX.

Times, in one run on one machine, rounds interleaved:

  kerasmeta  python -m apps.meta_train --config=sinusoid:mtnet
             --workdir=W --config.num_meta_steps=N (meta-training, then the
             600-task evaluation at K = 5, 10, 20 after 0..10 steps)
  JAX        benchmarks/whole_run_jax.py --workdir W --num-meta-steps N
             (the same model, protocol, logging, checkpoints and
             evaluation, written from the peer maml_jax.py's step)

Each is a fresh process timed from start to exit (start-up, compilation,
training, evaluation), so the ratio is what a user waits for:

  python benchmarks/whole_run.py --peer-python /tmp/peers/bin/python \
      --rounds 2

Prints one JSON line per run and a summary line with the per-round ratios
(kerasmeta / JAX; below 1 is faster) and their median.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def parse():
  parser = argparse.ArgumentParser()
  parser.add_argument("--rounds", type=int, default=2)
  parser.add_argument("--num_meta_steps", type=int, default=60000)
  parser.add_argument("--peer-python", default=sys.executable)
  parser.add_argument("--output", default=None,
                      help="append the JSON lines to this file")
  return parser.parse_args()


def timed(command):
  """Wall seconds of `command` (a fresh process) and its last stdout line."""
  began = time.perf_counter()
  result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
  wall = time.perf_counter() - began
  if result.returncode:
    raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
  lines = result.stdout.strip().splitlines()
  return wall, lines[-1] if lines else ""


def kerasmeta_run(workdir, num_steps):
  wall, _ = timed([sys.executable, "-m", "apps.meta_train",
                   "--config=sinusoid:mtnet", f"--workdir={workdir}",
                   f"--config.num_meta_steps={num_steps}"])
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    last = json.loads(f.read().strip().splitlines()[-1])
  with open(os.path.join(workdir, "eval.json")) as f:
    results = json.load(f)["results"]
  return {"impl": "kerasmeta", "wall_s": round(wall, 1),
          "query_loss": last["query_loss"],
          "k10_1_step": results["10"]["1"]["mean"],
          "k10_10_steps": results["10"]["10"]["mean"]}


def jax_run(python, workdir, num_steps):
  wall, line = timed([python, os.path.join(HERE, "whole_run_jax.py"),
                      "--workdir", workdir, "--num-meta-steps",
                      str(num_steps)])
  return {**json.loads(line), "wall_s": round(wall, 1)}


def main():
  options = parse()
  ratios = []
  lines = []
  for round_index in range(options.rounds):
    with tempfile.TemporaryDirectory() as root:
      runs = {}
      order = ["kerasmeta", "jax"] if round_index % 2 == 0 else \
          ["jax", "kerasmeta"]
      for impl in order:
        workdir = os.path.join(root, impl)
        runs[impl] = (kerasmeta_run(workdir, options.num_meta_steps)
                      if impl == "kerasmeta" else
                      jax_run(options.peer_python, workdir,
                              options.num_meta_steps))
        runs[impl]["round"] = round_index
        print(json.dumps(runs[impl]), flush=True)
        lines.append(runs[impl])
      ratios.append(runs["kerasmeta"]["wall_s"] / runs["jax"]["wall_s"])
  summary = {"num_meta_steps": options.num_meta_steps,
             "ratios_kerasmeta_over_jax": [round(r, 3) for r in ratios],
             "median_ratio": round(statistics.median(ratios), 3)}
  print(json.dumps(summary))
  if options.output:
    with open(options.output, "a") as f:
      for line in lines + [summary]:
        f.write(json.dumps(line) + "\n")


if __name__ == "__main__":
  main()
