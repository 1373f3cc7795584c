r"""MAML, MT-net and Warp-MAML on procedural glyphs: 5-way and 20-way 1-shot.

Every method is meta-trained for the same number of meta-steps with the
glyphs config's settings (MT-net's: 5-way meta-batch 32, alpha 0.4; 20-way
meta-batch 16, alpha 0.1; one inner step, three at test), then evaluated on
600 test episodes of held-out alphabets:

  python benchmarks/glyphs_table.py --root=runs/glyphs \
      --steps_5way=500 --steps_20way=300 \
      --output=benchmarks/results/glyphs_table.md

Finished runs are reused; each run's wall-clock time (training and
evaluation, one process) is kept in its workdir's run_time.json.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import table_common  # pylint: disable=g-import-not-at-top

METHODS = {"maml": "MAML", "mtnet": "MT-net", "warp_maml": "Warp-MAML"}
SETTINGS = {5: ["--config.ways=5"],
            20: ["--config.ways=20", "--config.meta_batch_size=16",
                 "--config.inner_learning_rate=0.1"]}


def parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--root", default="runs/glyphs")
  parser.add_argument("--steps_5way", type=int, default=500)
  parser.add_argument("--steps_20way", type=int, default=300)
  parser.add_argument("--data_dir", default="~/.cache/kerasmeta")
  parser.add_argument("--output", default="benchmarks/results/glyphs_table.md")
  parser.add_argument("--load", default="",
                      help="What else ran on the machine meanwhile (it "
                           "goes into the caption: wall times depend on "
                           "it).")
  return parser.parse_args()


def command(method, ways, steps, workdir, data_dir):
  return (["python", "-m", "apps.meta_train",
           f"--config=glyphs:{method}", f"--workdir={workdir}",
           "--config.shots=1", f"--config.num_meta_steps={steps}",
           f"--config.data_dir={data_dir}"] + SETTINGS[ways])


def run(method, ways, steps, root, data_dir):
  workdir = os.path.join(root, f"w{ways}s1_{method}")
  args = command(method, ways, steps, workdir, data_dir)
  timing = os.path.join(workdir, "run_time.json")
  eval_path = os.path.join(workdir, "eval.json")
  done = os.path.exists(eval_path) and json.load(open(eval_path))[
      "step"] == steps and os.path.exists(timing)
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
    return result, json.load(f)


def main():
  options = parse()
  lines = ["| setting | method | meta-steps | accuracy (600 episodes) | "
           "wall time |", "|---|---|---|---|---|"]
  commands = []
  for ways, steps in ((5, options.steps_5way), (20, options.steps_20way)):
    for method, name in METHODS.items():
      result, timing = run(method, ways, steps, options.root,
                           options.data_dir)
      accuracy = result["results"]["accuracy"]
      lines.append(f"| {ways}-way 1-shot | {name} | {steps} | "
                   f"{100 * accuracy['mean']:.1f}% ± "
                   f"{100 * accuracy['ci95']:.1f} | "
                   f"{timing['wall_seconds'] / 60:.1f} min |")
      commands.append(timing["command"])
  lines += ["", "Accuracy on the query set after 3 inner steps, mean ± 95% "
            "CI over 600 episodes of the test alphabets. Wall time: one "
            "`apps.meta_train` process (training, then evaluation), on "
            f"{platform.machine()}, {os.cpu_count()} CPU cores, no GPU"
            f"{'; ' + options.load if options.load else ''}. Commands:", ""]
  lines += [f"- `{c}`" for c in commands]
  table_common.write_table(options.output, lines)


if __name__ == "__main__":
  main()
