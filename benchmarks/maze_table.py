# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""WarpGrad's maze (figure 3 right, figure 9): return against episodes trained.

Every learner trains on the same budget (meta-steps of 30 episodes, one
200-step episode per goal, Adam 1e-3 with Miconi's clipping) from each
training seed; the curve is the mean return of the training episodes
(logged every `log_every` meta-steps, the mean over the steps since the
previous log) against episodes trained, the median over seeds with the
inter-quartile range shaded, as the paper's figure. The table gives, per
learner, the training return over the last tenth of the budget and at
fractions of it (median [IQR] over seeds), and the return on 100 held-out
goals after training (median over seeds):

  python benchmarks/maze_table.py --root=runs/maze --num_meta_steps=3000 \
      --seeds=0,1,2 --output=benchmarks/results/maze.md

The paper's protocol is `--protocol=paper --num_meta_steps=200000
--seeds=0,1,2,3,4,5,6,7,8,9` (configs `maze:VARIANT,paper`), GPU-sized. Finished runs are reused
(`workdir_runs`).
"""

import argparse
import json
import os
import sys

import numpy as np

import table_common  # pylint: disable=g-import-not-at-top
import workdir_runs  # pylint: disable=g-import-not-at-top

LEARNERS = {
    "warp_rnn": "Warp-RNN",
    "hyper_rnn": "HyperRNN",
    "warp_rnn_reference_init": "Warp-RNN, the reference's start (U ~ 0.1)",
    "warp_rnn_reference_optimizer":
        "Warp-RNN, WarpGrad's optimiser settings (summed interval, no clip)",
    "rnn": "RNN",
    "tnets_rnn": "T-Nets-RNN",
    "hebb_simple": "Hebb-RNN (simple modulation)",
    "hebb_retroactive": "Hebb-RNN (retroactive modulation)",
}
FRACTIONS = (0.25, 0.5, 1.0)


def parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--root", default="runs/maze")
  parser.add_argument("--learners", default=",".join(LEARNERS))
  parser.add_argument("--seeds", default="0,1,2")
  parser.add_argument(
      "--learner_seeds", default="warp_rnn_reference_init=0",
      help="LEARNER=S1,S2[;...]: other seeds for some learners (a learner "
      "shown for fewer seeds, to fit a budget).")
  parser.add_argument("--num_meta_steps", type=int, default=3000)
  parser.add_argument("--protocol", default="cpu", choices=("cpu", "paper"),
                      help="The config's protocol (`maze:VARIANT,PROTOCOL`): "
                      "paper has a 100-unit meta-LSTM, cpu 32.")
  parser.add_argument("--maze_size", type=int, default=11)
  parser.add_argument("--log_every", type=int, default=50)
  parser.add_argument("--output", default="benchmarks/results/maze.md")
  parser.add_argument("--load", default="",
                      help="What else ran on the machine meanwhile.")
  return parser.parse_args()


def run(options, learner, seed):
  overrides = {"num_meta_steps": options.num_meta_steps, "seed": seed,
               "maze_size": options.maze_size,
               "log_every": options.log_every}
  name = f"{learner}_seed{seed}"
  return workdir_runs.train_and_evaluate(
      f"maze:{learner},{options.protocol}", os.path.join(options.root, name),
      overrides,
      fields={"task": "maze", "variant": learner,
              "protocol": options.protocol, **overrides},
      shots=None)


def curve(workdir):
  """(meta-steps, training return) logged in a run's metrics.jsonl."""
  steps, returns = [], []
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    for line in f:
      entry = json.loads(line)
      steps.append(entry["step"])
      returns.append(entry["return"])
  return np.array(steps), np.array(returns)


def window_mean(steps, returns, low, high):
  """The training return over meta-steps (low, high]: the logged means of
  the windows ending there, weighted by their lengths (the one window
  holding `high` where none ends in the range: logs sparser than it)."""
  lengths = np.diff(np.concatenate([[0], steps]))
  chosen = (steps > low) & (steps <= high)
  if not chosen.any():
    after = np.flatnonzero(steps >= high)
    if not after.size:
      raise ValueError(f"No meta-step logged at or after {high}.")
    chosen = np.arange(len(steps)) == after[0]
  return float(np.sum(returns[chosen] * lengths[chosen])
               / np.sum(lengths[chosen]))


def quartiles(values):
  return tuple(float(q) for q in np.percentile(values, [25, 50, 75]))


def cell(values):
  low, median, high = quartiles(values)
  return f"{median:.1f} [{low:.1f}, {high:.1f}]"


def draw(curves, episodes_per_step, path, title):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  figure, axis = plt.subplots(figsize=(6.5, 4.5))
  for learner, runs in curves.items():
    steps = runs[0][0]
    length = min(len(s) for s, _ in runs)
    stacked = np.stack([r[:length] for _, r in runs])
    low, median, high = np.percentile(stacked, [25, 50, 75], axis=0)
    episodes = steps[:length] * episodes_per_step
    seeds = f" ({len(runs)} seed{'s' if len(runs) > 1 else ''})"
    line, = axis.plot(episodes, median, label=LEARNERS[learner] + seeds)
    axis.fill_between(episodes, low, high, color=line.get_color(),
                      alpha=0.2)
  axis.set_xlabel("episodes trained")
  axis.set_ylabel("mean return per episode")
  axis.set_title(title)
  axis.legend(fontsize=8)
  table_common.save_figure(figure, path)


def main():
  options = parse()
  learners = table_common.chosen_names(options.learners, LEARNERS,
                                      "learners")
  seeds = [int(s) for s in options.seeds.split(",") if s]
  if not seeds:
    sys.exit("Give at least one seed (--seeds).")
  seeds_of = {learner: seeds for learner in learners}
  for item in filter(None, options.learner_seeds.split(";")):
    learner, _, listed = item.partition("=")
    table_common.chosen_names(learner, LEARNERS, "learners")
    if learner in seeds_of:
      seeds_of[learner] = [int(s) for s in listed.split(",") if s]
  # Seed by seed, so that an interrupted table has every learner's first
  # seeds (a re-run reuses them).
  every_seed = sorted(set().union(*map(set, seeds_of.values())))
  runs = {(l, s): run(options, l, s) for s in every_seed for l in learners
          if s in seeds_of[l]}
  total = options.num_meta_steps
  config = None
  rows, curves = [], {}
  for learner in learners:
    mine = [runs[(learner, s)] for s in seeds_of[learner]]
    diverged = [s for s, r in zip(seeds_of[learner], mine)
                if r.status != "finished"]
    if diverged:
      rows.append(f"| {LEARNERS[learner]} | {len(mine)} | diverged at "
                  f"seeds {diverged} |" + " |" * (len(FRACTIONS) + 1))
      continue
    config = config or mine[0].evaluation["config"]
    curves[learner] = [curve(r.workdir) for r in mine]
    last = [window_mean(s, r, 0.9 * total, total)
            for s, r in curves[learner]]
    at = [[window_mean(s, r, (f - 0.1) * total, f * total)
           for s, r in curves[learner]] for f in FRACTIONS[:-1]]
    held_out = [r.evaluation["results"]["return"]["mean"] for r in mine]
    minutes = np.mean([r.wall_seconds for r in mine]) / 60
    rows.append(f"| {LEARNERS[learner]} | {len(mine)} | "
                + " | ".join(cell(v) for v in at) + f" | {cell(last)} | "
                + f"{np.median(held_out):.1f} | {minutes:.1f} min |")
  if config is None:
    sys.exit("Every learner diverged; see the logs under " + options.root)
  episodes_per_step = config["meta_batch_size"]
  header = ["| learner | seeds | " + " | ".join(
      f"return by {int(f * total * episodes_per_step):,} episodes"
      for f in FRACTIONS[:-1])
            + f" | return by {total * episodes_per_step:,} episodes "
            "(last tenth) | held-out goals | wall time per run |",
            "|---|---|" + "---|" * (len(FRACTIONS) + 2)]
  folder = os.path.dirname(options.output) or "."
  os.makedirs(folder, exist_ok=True)
  # The table's figure beside it: maze.md -> maze_returns.png.
  stem = os.path.splitext(os.path.basename(options.output))[0]
  figure = os.path.join(folder, ("maze_returns" if stem == "maze"
                                 else f"{stem}_returns") + ".png")
  size = config["maze_size"]
  draw(curves, episodes_per_step, figure,
       f"{size} x {size} maze, median and IQR over seeds")
  all_minutes = sum(r.wall_seconds for r in runs.values()) / 60
  lines = header + rows + [
      "", f"Mean return per {config['horizon']}-step episode (+"
      f"{config['goal_reward']:g} per goal reached), median [inter-quartile "
      f"range] over training seeds {seeds} (the seeds column: how many). "
      "\"Return by E episodes\": the training episodes of the tenth of "
      "the budget ending there. "
      f"\"Held-out goals\": one episode on each of "
      f"{config['eval']['num_tasks']} goals after training, median over "
      f"seeds. Every learner: {total} meta-steps of {episodes_per_step} "
      f"episodes, Adam {config['outer_learning_rate']} (epsilon "
      f"{config['outer_epsilon']:g}, global norm clipped at "
      f"{config['outer_clipnorm']:g}; the row of WarpGrad's optimiser "
      "settings: epsilon 1e-8, no clipping, the interval's warp gradients "
      f"summed), {config['hidden_units']} hidden "
      "units; the Warp-RNN's and T-Nets-RNN's warps updated every "
      f"30th step, the HyperRNN's every step. Wall time: training and "
      f"evaluation of one run ({all_minutes:.0f} min for the {len(runs)} "
      f"runs) on {table_common.cpu_model()}, "
      f"{os.cpu_count()} CPU cores, no GPU"
      f"{'; ' + options.load if options.load else ''}.", "",
      f"Invocation: `python benchmarks/maze_table.py "
      f"{' '.join(sys.argv[1:])}`; figure: `{figure}`."]
  table_common.write_table(options.output, lines)


if __name__ == "__main__":
  main()
