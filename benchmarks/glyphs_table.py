# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""MAML, MT-net and Warp-MAML on procedural glyphs: 5-way and 20-way 1-shot.

Every method is meta-trained for the same number of meta-steps with the
glyphs config (MT-net's Omniglot settings: 5-way meta-batch 32, alpha 0.4;
20-way meta-batch 16, alpha 0.1; one inner step, three at test), for each
training seed, then evaluated on 600 test episodes of held-out alphabets
(15 queries per class):

  python benchmarks/glyphs_table.py --root=runs/glyphs_reference \
      --steps=500 --seeds_5way=0,1,2 --seeds_20way=0 \
      --output=benchmarks/results/glyphs_table.md

`--settings=reference` (the config's, as the MAML and MT-net code: the
inner loss sums the cross-entropy over the support set and divides by K, a
head on spatially averaged features, K queries per class in meta-training)
or `--settings=kerasmeta` (the mean loss, a head on flattened features, 15
queries per class: the table of earlier rounds). Finished runs are reused;
each run's wall-clock time (training and evaluation, one process) is kept
in its workdir's run_time.json.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

import table_common  # pylint: disable=g-import-not-at-top

METHODS = {"maml": "MAML", "mtnet": "MT-net", "warp_maml": "Warp-MAML"}
WAYS = {5: [], 20: ["--config.meta_batch_size=16",
                    "--config.learner.inner_learning_rate=0.1"]}
SETTINGS = {
    "reference": [],
    "kerasmeta": ["--config.learner.inner_loss_scale=1.0",
                  "--config.head=flatten", "--config.num_query=15"],
}


def parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--root", default="runs/glyphs_reference")
  parser.add_argument("--settings", default="reference",
                      choices=sorted(SETTINGS))
  parser.add_argument("--methods", default=",".join(METHODS))
  parser.add_argument("--steps", type=int, default=500,
                      help="Meta-steps of every run.")
  parser.add_argument("--seeds_5way", default="0,1,2")
  parser.add_argument("--seeds_20way", default="0")
  parser.add_argument(
      "--method_seeds", default="",
      help="METHOD=S1,S2[;...]: other 5-way seeds for some methods (the "
           "runs finished so far, say).")
  parser.add_argument("--data_dir", default="~/.cache/kerasmeta")
  parser.add_argument("--output", default="benchmarks/results/glyphs_table.md")
  parser.add_argument(
      "--baselines", default="benchmarks/results/glyph_baselines.json",
      help="The baselines' results (benchmarks/glyph_baselines.py) to add "
           "as rows on the same test episodes; '' for none.")
  parser.add_argument("--load", default="",
                      help="What else ran on the machine meanwhile (it "
                           "goes into the caption: wall times depend on "
                           "it).")
  return parser.parse_args()


def command(options, method, ways, seed, workdir):
  return (["python", "-m", "apps.meta_train",
           f"--config=glyphs:{method},{ways},1", f"--workdir={workdir}",
           f"--config.num_meta_steps={options.steps}",
           f"--config.seed={seed}", f"--config.data_dir={options.data_dir}"]
          + WAYS[ways] + SETTINGS[options.settings])


def run(options, method, ways, seed):
  """Trains and evaluates one run (or reuses it); its eval and timing."""
  workdir = os.path.join(options.root, f"w{ways}s1_{method}_seed{seed}")
  args = command(options, method, ways, seed, workdir)
  timing = os.path.join(workdir, "run_time.json")
  eval_path = os.path.join(workdir, "eval.json")
  done = (os.path.exists(eval_path) and os.path.exists(timing)
          and json.load(open(eval_path))["step"] == options.steps)
  if not done:
    print("+", " ".join(args), flush=True)
    began = time.time()
    subprocess.run([sys.executable] + args[1:], check=True)
    with open(timing, "w") as f:
      json.dump({"wall_seconds": time.time() - began,
                 "command": " ".join(args)}, f)
  with open(eval_path) as f:
    result = json.load(f)
  with open(timing) as f:
    return result["results"]["accuracy"], json.load(f)


def percent(value):
  return f"{100 * value:.1f}"


def baseline_rows(path, seeds):
  """Rows of the baselines without meta-learning, for the ways tabled."""
  if not path or not os.path.exists(path):
    return []
  with open(path) as f:
    record = json.load(f)
  rows = []
  for ways in (5, 20):
    if not seeds[ways]:
      continue
    for method, result in record["ways"].get(str(ways), {}).items():
      chosen = (f" (step size {result['learning_rate']}, {result['steps']} "
                "steps, chosen on validation)" if "steps" in result else "")
      rows.append(f"| {ways}-way 1-shot | {method}{chosen} | "
                  f"none ({record['pretrain_steps']} pretraining steps) | "
                  f"{percent(result['mean'])} ± {percent(result['ci95'])} | "
                  "one pretrained model | see glyph_baselines.md |")
  return rows


def main():
  options = parse()
  seeds = {5: [int(s) for s in options.seeds_5way.split(",") if s],
           20: [int(s) for s in options.seeds_20way.split(",") if s]}
  own_seeds = {}
  for item in filter(None, options.method_seeds.split(";")):
    method, _, values = item.partition("=")
    own_seeds[method.strip()] = [int(v) for v in values.split(",") if v]
  lines = ["| setting | method | meta-steps | accuracy per seed (± 95% CI "
           "over 600 episodes) | mean ± std over seeds | wall time per "
           "run |", "|---|---|---|---|---|---|"]
  commands = []
  for ways in (5, 20):
    for method in options.methods.split(","):
      if not seeds[ways]:
        continue
      chosen = own_seeds.get(method, seeds[ways]) if ways == 5 \
          else seeds[ways]
      runs = [run(options, method, ways, seed) for seed in chosen]
      means = np.array([accuracy["mean"] for accuracy, _ in runs])
      per_seed = ", ".join(f"{percent(a['mean'])} ± {percent(a['ci95'])}"
                           for a, _ in runs)
      spread = (f"{percent(means.mean())} ± {percent(means.std(ddof=1))}"
                if len(runs) > 1 else "one seed")
      minutes = [t["wall_seconds"] / 60 for _, t in runs]
      lines.append(f"| {ways}-way 1-shot | {METHODS[method]} | "
                   f"{options.steps} | {per_seed} | {spread} | "
                   f"{min(minutes):.1f}-{max(minutes):.1f} min |")
      commands += [t["command"] for _, t in runs]
  lines += baseline_rows(options.baselines, seeds)
  lines += ["", f"Settings: {options.settings}. Accuracy (%) on the query "
            "sets after 3 inner steps, 600 episodes of the test alphabets; "
            "the spread is the standard deviation of the per-seed means "
            "(training seeds; the test episodes are the same). Wall time: "
            "one `apps.meta_train` process (training, then evaluation), on "
            f"{table_common.cpu_model()}, {os.cpu_count()} CPU cores, no "
            f"GPU{'; ' + options.load if options.load else ''}.", "",
            "Invocation: `python benchmarks/glyphs_table.py "
            f"{' '.join(sys.argv[1:])}`; its runs:", ""]
  lines += [f"- `{c}`" for c in commands]
  table_common.write_table(options.output, lines)


if __name__ == "__main__":
  main()
