# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""How kerasmeta's meta-step scales, and what the trainer adds around it.

  python benchmarks/scaling.py --section meta_batch   # 4..64 tasks, 5 steps
  python benchmarks/scaling.py --section inner_steps  # 1..10 steps, 25 tasks
  python benchmarks/scaling.py --section trainer      # a whole apps.meta_train

The first two print, for the sinusoid workload of benchmarks/meta_step.py,
the ms per meta-step and per task-step (ms / (tasks x inner steps)); the
last compares the steady steps per second of a whole `apps.meta_train` run
(logging, checkpoints, progress) with the bare compiled step (one step per
call on pre-made batches) and with the trainer's own multi-step call
timed alone (tasks made in the graph, 500 steps a call).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def meta_step(*args):
  result = subprocess.run(
      [sys.executable, os.path.join(HERE, "meta_step.py"), *args],
      capture_output=True, text=True, cwd=ROOT, env=ENV, check=True)
  return json.loads(result.stdout.strip().splitlines()[-1])


def curve(name, values, fixed):
  print(f"| {name} | ms per meta-step | ms per task-step |")
  print("|---|---|---|")
  for value in values:
    tasks = value if name == "meta-batch" else fixed
    steps = fixed if name == "meta-batch" else value
    line = meta_step("--bench", "sinusoid", "--meta-batch", str(tasks),
                     "--inner-steps", str(steps), "--steps", "100")
    per_task_step = line["ms_per_step"] / (tasks * steps)
    print(f"| {value} | {line['ms_per_step']:.3f} | {per_task_step:.4f} |",
          flush=True)


# Times the compiled multi-step call of the trainer that `trainer` runs:
# ten calls of 1,000 steps after one that compiles.
_TIME_THE_CALL = """
import json, statistics, tempfile, time
import tensorflow as tf
from kerasmeta import training
from kerasmeta.apps import configs
config = configs.load("sinusoid:mtnet")
config.log_every, config.checkpoint_every = 1000, 5000
run = training.Trainer.from_config(config, tempfile.mkdtemp())._steps.run
run(tf.constant(0, tf.int64), tf.constant(1))
times = []
for call in range(10):
  began = time.perf_counter()
  run(tf.constant(call * 1000, tf.int64),
      tf.constant(1000))["query_loss"].numpy()
  times.append((time.perf_counter() - began) / 1000 * 1e3)
print(json.dumps({"ms_per_step": statistics.median(times)}))
"""


def trainer(num_steps):
  with tempfile.TemporaryDirectory() as workdir:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "apps.meta_train", f"--workdir={workdir}",
         f"--config.num_meta_steps={num_steps}", "--config.log_every=1000",
         "--config.checkpoint_every=5000", "--noevaluate"],
        cwd=ROOT, env=ENV, check=True, capture_output=True)
    wall = time.perf_counter() - began
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
      logged = [json.loads(line) for line in f]
  # The steady rate: the median of the logged intervals after the first
  # (which holds the compilation).
  steady = sorted(m["steps_per_second"] for m in logged[1:])[
      (len(logged) - 1) // 2]
  common = ("--bench", "sinusoid", "--meta-batch", "4", "--inner-steps", "1",
            "--cell", "mtnet", "--steps", "2000")
  bare = meta_step(*common)
  # The trainer's own compiled call on the same config, timed alone.
  bare_call = json.loads(subprocess.run(
      [sys.executable, "-c", _TIME_THE_CALL], capture_output=True, text=True,
      cwd=ROOT, env=ENV, check=True).stdout.strip().splitlines()[-1])
  print(json.dumps({
      "run": "apps.meta_train (MT-net sinusoid, meta-batch 4, 1 inner step)",
      "num_meta_steps": num_steps, "wall_s_with_startup": round(wall, 1),
      "trainer_steps_per_second": round(steady, 1),
      "bare_step_steps_per_second": round(1e3 / bare["ms_per_step"], 1),
      "bare_call_steps_per_second": round(1e3 / bare_call["ms_per_step"], 1),
      "trainer_overhead_over_its_call": round(
          (1e3 / steady) / bare_call["ms_per_step"] - 1, 3)}))


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--section", choices=["meta_batch", "inner_steps",
                                            "trainer"], required=True)
  parser.add_argument("--num_meta_steps", type=int, default=20000)
  options = parser.parse_args()
  if options.section == "meta_batch":
    curve("meta-batch", [4, 8, 16, 32, 64], 5)
  elif options.section == "inner_steps":
    curve("inner steps", [1, 2, 5, 10], 25)
  else:
    trainer(options.num_meta_steps)


if __name__ == "__main__":
  main()
