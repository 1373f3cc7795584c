r"""The learned LSTM optimiser against SGD, Nesterov, RMSProp and Adam.

Andrychowicz et al. 2016, figure 4: for each problem (random 10-dimensional
quadratics; an MLP of 20 sigmoid units on 8x8 digits, and on 10 glyph
characters), the LSTM optimiser
is meta-trained (`learned_optimizer:PROBLEM`, 100 steps in truncations of
20), then every optimiser runs 200 steps on the config's 100 held-out
problems, each baseline with its learning rate chosen on 20 validation
problems; on the MLPs also the paper's changed optimisees (two hidden
layers; ReLU). Writes a Markdown table and one PNG per problem:

  python benchmarks/learned_optimizer_table.py --workdir=runs/l2l \
      --num_meta_steps=2000

Re-running skips the problems whose `WORKDIR/PROBLEM/result.json` holds the
same settings (an interrupted run resumes from its last checkpoint).
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time

import table_common  # pylint: disable=g-import-not-at-top

PROBLEMS = ("quadratic", "mlp", "glyphs_mlp")
METHODS = ("lstm", "sgd", "nesterov", "rmsprop", "adam")


def parse(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--workdir", default="runs/l2l")
  parser.add_argument("--num_meta_steps", type=int, default=2000,
                      help="Meta-steps (truncations) of each problem's LSTM.")
  parser.add_argument("--problems", default=",".join(PROBLEMS))
  parser.add_argument("--meta_batch_size", type=int, default=None,
                      help="Problems per meta-step (default: the config's).")
  parser.add_argument("--output",
                      default="benchmarks/results/learned_optimizer.md")
  parser.add_argument("--load", default="",
                      help="What else ran on the machine meanwhile.")
  return parser.parse_args(argv)


def _config(problem, args):
  from kerasmeta.apps.configs import learned_optimizer  # pylint: disable=g-import-not-at-top
  config = learned_optimizer.get_config(problem)
  config.num_meta_steps = args.num_meta_steps
  config.checkpoint_every = max(1, args.num_meta_steps // 4)
  if args.meta_batch_size:
    config.meta_batch_size = args.meta_batch_size
  return config


def run_problem(problem, args):
  """Meta-trains and evaluates one problem; returns its result record."""
  from kerasmeta import experiments  # pylint: disable=g-import-not-at-top
  from kerasmeta import training  # pylint: disable=g-import-not-at-top
  config = _config(problem, args)
  workdir = os.path.join(args.workdir, problem)
  record_path = os.path.join(workdir, "result.json")
  settings = json.loads(experiments.config_to_json(config))
  record = table_common.reusable_record(record_path, "config", settings)
  if record is None and os.path.exists(record_path):  # made before config.learner?
    with open(record_path) as f:
      stored = json.load(f)
    if table_common.upgraded_config(stored["config"]) == settings:
      record = dict(stored, config=settings)
  if record is not None:
    print(f"{problem}: done before ({record_path})", flush=True)
    return record
  began = time.time()
  trainer = training.Trainer.from_config(config, workdir)
  trainer.train()
  trained = time.time() - began
  began = time.time()
  evaluation = experiments.evaluate(trainer.learner, config,
                                   num_tasks=config.eval.num_tasks,
                                   seed=config.eval.seed)
  figure = os.path.join(os.path.dirname(args.output),
                        f"learned_optimizer_{problem}.png")
  evaluation.draw(figure)
  record = {"config": settings, "results": evaluation.results,
            "train_seconds": trained,
            "eval_seconds": time.time() - began, "figure": figure,
            "summary": evaluation.summary}
  with open(record_path, "w") as f:
    json.dump(record, f)
  print(f"{problem}: {evaluation.summary} ({trained:.0f}s training)",
        flush=True)
  return record


def _cell(summary):
  return f"{summary['mean']:.3g} ± {summary['ci95']:.2g}"


def table(records, args, wall):
  lines = [
      "# Learned LSTM optimiser against hand-designed optimisers",
      "",
      "Optimisee loss (mean ± 95% CI over 100 held-out problems) after 100 "
      "steps (the horizon the LSTM was meta-trained for) and 200 steps (the "
      "paper's generalisation in time); each baseline's learning rate (in "
      "brackets) is the best of the config's grid on 20 validation "
      "problems.",
      ""]
  for problem, record in records.items():
    config = record["config"]
    lines += [f"## {problem}", "",
              f"{config['num_meta_steps']} meta-steps of "
              f"{config['meta_batch_size']} problems (truncations of "
              f"{config['learner']['truncation']} of "
              f"{config['learner']['num_steps']} steps), "
              f"{record['train_seconds'] / 60:.1f} min training, "
              f"{record['eval_seconds'] / 60:.1f} min evaluation; figure "
              f"`{os.path.basename(record['figure'])}`.", ""]
    for panel, methods in record["results"].items():
      lines += [f"### {panel.replace('_', ' ')}", "",
                "| optimiser | loss at 100 | loss at 200 |", "|---|---|---|"]
      for name in METHODS:
        method = methods[name]
        rate = method["learning_rate"]
        label = name if rate is None else f"{name} ({rate:g})"
        lines.append(f"| {label} | "
                     f"{_cell(method['loss_at_step']['100'])} | "
                     f"{_cell(method['loss_at_step']['200'])} |")
      lines.append("")
  command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
  cpu = table_common.cpu_model()
  lines += [f"Command: `{command}`; {wall / 60:.1f} min wall clock on "
            f"{os.cpu_count()} cores ({cpu}, {platform.machine()})"
            + (f"; meanwhile: {args.load}" if args.load else "") + "."]
  return lines


def main(argv=None):
  args = parse(argv)
  sys.path.insert(0, os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))))
  began = time.time()
  records = {problem: run_problem(problem, args)
             for problem in args.problems.split(",")}
  table_common.write_table(args.output, table(records, args,
                                              time.time() - began))


if __name__ == "__main__":
  main()
