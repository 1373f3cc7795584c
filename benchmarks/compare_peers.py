# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""kerasmeta's meta-step beside the JAX and PyTorch peers, in one run.

Runs benchmarks/meta_step.py and the peer programs (JAX and PyTorch, kept
outside this repository: --peers-dir) on the same
workload (`PEERS`), interleaved over several rounds so that machine load
falls on all of them alike, and prints the median ms per step of each and
the ratios (kerasmeta / peer; below 1 is faster than the peer):

  python benchmarks/compare_peers.py --bench sinusoid --rounds 3 \
      --peer-python /path/to/venv-with-jax-and-torch/bin/python
  python benchmarks/compare_peers.py --bench lstm_optimizer --rounds 5

The PyTorch peers run with `--threads 1` (their README: the default two
threads run several times slower on a shared 2-core machine).

The peers need `pip install jax jaxlib torch` in their own environment
(the peers' README); --peer-python names its interpreter.
"""

import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# The peers of each workload: name -> script.
PEERS = {
    "sinusoid": {"jax": "maml_jax.py", "torch": "maml_torch.py"},
    "conv4": {"jax": "maml_jax.py", "torch": "maml_torch.py"},
    "leo": {"jax": "leo_jax.py"},
    "navigation": {"jax": "navigation_jax.py", "torch": "navigation_torch.py"},
    "lstm_optimizer": {"jax": "l2l_jax.py"},
    "maze": {"torch": "maze_torch.py"},
}
# Timed steps per run, by default.
STEPS = {"sinusoid": 50, "conv4": 10, "leo": 30, "navigation": 10,
         "lstm_optimizer": 30, "maze": 30}
# The peers that take --threads.
THREADED = ("maze_torch.py", "navigation_torch.py")


def parse():
  parser = argparse.ArgumentParser()
  parser.add_argument("--bench", choices=list(PEERS), default="sinusoid")
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--steps", type=int, default=None)
  parser.add_argument("--meta-batch", type=int, default=None,
                      help="tasks (problems, goals) per meta-step, for "
                           "every program (default: the workload's)")
  parser.add_argument("--peers", default="",
                      help="comma-separated (default: all of the bench's)")
  parser.add_argument("--peers-dir",
                      default=os.path.join(ROOT, "..", "shared", "peers"))
  parser.add_argument("--peer-python", default=sys.executable)
  parser.add_argument("--extra", default="",
                      help="extra arguments for kerasmeta's meta_step.py")
  parser.add_argument("--output", default=None,
                      help="append the JSON lines to this file")
  return parser.parse_args()


def run(command):
  """Runs one benchmark; returns its JSON line plus its peak RSS in MiB."""
  process = subprocess.Popen(command, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=ROOT,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
  # Read the pipes while waiting with os.wait4, which returns the child's
  # own resource usage (its peak resident memory).
  with concurrent.futures.ThreadPoolExecutor(2) as pool:
    out = pool.submit(process.stdout.read)
    err = pool.submit(process.stderr.read)
    _, status, usage = os.wait4(process.pid, 0)
    stdout, stderr = out.result(), err.result()
  process.returncode = os.waitstatus_to_exitcode(status)
  if process.returncode:
    raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-2000:]}")
  line = json.loads(stdout.strip().splitlines()[-1])
  line["peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)
  return line


def main():
  options = parse()
  steps = options.steps or STEPS[options.bench]
  common = ["--bench", options.bench, "--steps", str(steps)]
  if options.meta_batch:
    common += ["--meta-batch", str(options.meta_batch)]
  commands = {"kerasmeta": [sys.executable,
                            os.path.join(HERE, "meta_step.py"), *common,
                            *options.extra.split()]}
  peers = PEERS[options.bench]
  for peer in (options.peers.split(",") if options.peers else peers):
    script = peers[peer]
    commands[peer] = [options.peer_python,
                      os.path.join(options.peers_dir, script), *common,
                      *(["--threads", "1"] if script in THREADED else [])]
  results = {name: [] for name in commands}
  for round_index in range(options.rounds):
    for name, command in commands.items():
      line = run(command)
      results[name].append(line)
      print(json.dumps({"round": round_index, **line}), flush=True)
      if options.output:
        with open(options.output, "a") as f:
          f.write(json.dumps({"round": round_index, **line}) + "\n")
  lines_of = results.get
  medians = {name: statistics.median(r["ms_per_step"] for r in lines)
             for name, lines in results.items()}
  memory = {name: max(r["peak_rss_mib"] for r in lines)
            for name, lines in results.items()}
  print(f"\n{options.bench}: median ms per meta-step over "
        f"{options.rounds} rounds of {steps} steps; peak RSS")
  for name, value in medians.items():
    ratio = ""
    if name != "kerasmeta":
      # Runs of one round are adjacent in time: their ratio is the least
      # touched by the machine's load drifting between rounds.
      per_round = sorted(
          ours["ms_per_step"] / theirs["ms_per_step"]
          for ours, theirs in zip(results["kerasmeta"], lines_of(name)))
      ratio = (f"   kerasmeta / {name}: {medians['kerasmeta'] / value:.2f}x "
               f"of medians, per-round median "
               f"{statistics.median(per_round):.2f}x "
               f"(range {per_round[0]:.2f}-{per_round[-1]:.2f})")
    print(f"  {name:10s} {value:10.3f} ms {memory[name]:8.0f} MiB{ratio}")


if __name__ == "__main__":
  main()
