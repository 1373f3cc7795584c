# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""LEO, MAML, Meta-SGD and nearest class centroid on glyph embeddings.

The offline stand-in for LEO's miniImageNet table (Rusu et al. 2019,
table 1): conv4 is pre-trained to classify the glyph training classes
(`apps.pretrain_features`, kerasmeta/pretraining.py), and its features of
every split are the fixed embeddings. Then, for 5-way 1-shot and 5-shot,
LEO and a linear MAML and Meta-SGD over the embeddings (`leo:VARIANT,
glyphs,SHOTS`) are meta-trained for the same number of meta-steps each and
evaluated on the config's 600 test episodes; the nearest class centroid is
scored on the same episodes:

  python benchmarks/leo_table.py --workdir=runs/leo_glyphs \
      --glyph_data_dir=~/.cache/kerasmeta --pretrain_epochs=5 \
      --num_meta_steps=1000 --output=benchmarks/results/leo_glyphs.md

Everything runs in this one process (`pretraining.run`, then
`Trainer.from_config` and `experiments.evaluate` per run). Re-running skips
what is done: the features where their embeddings exist, and every run
whose `WORKDIR/VARIANT_SHOTSshot/result.json` holds the same settings (an
interrupted run resumes from its last checkpoint).
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time

import table_common  # pylint: disable=g-import-not-at-top

LEARNERS = {"leo": "LEO", "maml": "MAML", "meta_sgd": "Meta-SGD"}
SHOTS = (1, 5)
SPLIT_FILES = ("train", "val", "test")


def parse(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--workdir", default="runs/leo_glyphs",
                      help="Runs go under it: features/, then one folder "
                           "per learner and shots.")
  parser.add_argument("--glyph_data_dir", default="~/.cache/kerasmeta",
                      help="The glyph dataset's cache (glyph_features' "
                           "config.data_dir).")
  parser.add_argument("--pretrain_epochs", type=int, default=None,
                      help="Feature pre-training epochs (default: the "
                           "glyph_features config's).")
  parser.add_argument("--num_meta_steps", type=int, default=1000,
                      help="Meta-steps of every meta-learner.")
  parser.add_argument("--outer_learning_rate", type=float, default=None,
                      help="One outer learning rate for every meta-learner "
                           "(default: the leo config's).")
  parser.add_argument("--learners", default=",".join(LEARNERS),
                      help="Comma-separated subset of leo,maml,meta_sgd.")
  parser.add_argument("--shots", default="1,5")
  parser.add_argument("--output", default="benchmarks/results/leo_glyphs.md")
  parser.add_argument("--load", default="",
                      help="What else ran on the machine meanwhile (it "
                           "goes into the caption: wall times depend on "
                           "it).")
  return parser.parse_args(argv)


def changed(config, default):
  """The fields of `config` that differ from `default`, as "a.b=value"."""
  from kerasmeta import experiments  # pylint: disable=g-import-not-at-top
  ours = experiments.flat_fields(config)
  theirs = experiments.flat_fields(default)
  return [f"{k}={ours[k]!r}" for k in sorted(ours)
          if k not in theirs or ours[k] != theirs[k]]


def features(options):
  """Pre-trains the glyph features unless their embeddings exist; returns
  (embeddings directory, its record)."""
  from kerasmeta import pretraining  # pylint: disable=g-import-not-at-top
  from kerasmeta.apps.configs import glyph_features  # pylint: disable=g-import-not-at-top
  workdir = os.path.join(options.workdir, "features")
  record_path = os.path.join(workdir, "features.json")
  config = glyph_features.get_config()
  config.data_dir = options.glyph_data_dir
  if options.pretrain_epochs is not None:
    config.epochs = options.pretrain_epochs
  target = pretraining.output_dir(config, workdir)
  files = [os.path.join(target, pretraining.DATASET, pretraining.CROP,
                        f"{split}_embeddings.pkl") for split in SPLIT_FILES]
  if all(map(os.path.exists, files)) and os.path.exists(record_path):
    with open(record_path) as f:
      record = json.load(f)
    print(f"Features: reusing {target} ({record['epochs']} epochs, "
          f"accuracy {record['accuracy']:.4f}).", flush=True)
    if (options.pretrain_epochs is not None
        and record["epochs"] != options.pretrain_epochs):
      print(f"  note: they were pre-trained for {record['epochs']} epochs, "
            f"not --pretrain_epochs={options.pretrain_epochs}; delete "
            f"{workdir} to pre-train again.", flush=True)
    return target, record
  print(f"Features: pre-training conv4 for {config.epochs} epochs into "
        f"{workdir}", flush=True)
  began = time.time()
  result = pretraining.run(config, workdir)
  record = {"epochs": int(config.epochs), "accuracy": result.accuracy,
            "accuracy_of": result.accuracy_of,
            "wall_seconds": time.time() - began,
            "changed": changed(config, glyph_features.get_config())}
  with open(record_path, "w") as f:
    json.dump(record, f, indent=1)
  print(f"Features: accuracy on {result.accuracy_of} {result.accuracy:.4f}, "
        f"{record['wall_seconds'] / 60:.1f} min", flush=True)
  return target, record


def learner_config(variant, shots, options, data_dir):
  from kerasmeta.apps.configs import leo as leo_config  # pylint: disable=g-import-not-at-top
  config = leo_config.get_config(f"{variant},glyphs,{shots}")
  default = leo_config.get_config(f"{variant},glyphs,{shots}")
  config.data_dir = data_dir
  config.num_meta_steps = options.num_meta_steps
  # Ten validated checkpoints a run: the best of them is evaluated.
  config.checkpoint_every = max(1, options.num_meta_steps // 10)
  if options.outer_learning_rate is not None:
    config.outer_learning_rate = options.outer_learning_rate
  return config, changed(config, default)


def run(variant, shots, options, data_dir):
  """Meta-trains and evaluates one learner (or reuses its result)."""
  from kerasmeta import experiments  # pylint: disable=g-import-not-at-top
  from kerasmeta import training  # pylint: disable=g-import-not-at-top
  config, settings = learner_config(variant, shots, options, data_dir)
  workdir = os.path.join(options.workdir, f"{variant}_{shots}shot")
  path = os.path.join(workdir, "result.json")
  record = table_common.reusable_record(path, "changed", settings)
  if record is not None:
    print(f"{LEARNERS[variant]} {shots}-shot: reusing {path}", flush=True)
    return record
  print(f"{LEARNERS[variant]} {shots}-shot: {config.num_meta_steps} "
        f"meta-steps into {workdir}", flush=True)
  began = time.time()
  experiments.check_data(config)
  trainer = training.Trainer.from_config(config, workdir)
  metrics = trainer.train()
  # The checkpoint of the best meta-validation accuracy (the paper's).
  selected = trainer.restore_best() if config.get("select_checkpoint") \
      else None
  trained = time.time()
  results, _, summary = experiments.evaluate(
      trainer.learner, config, num_tasks=config.eval.num_tasks,
      seed=config.eval.seed)
  done = time.time()
  record = {
      "variant": variant, "shots": shots, "changed": settings,
      "num_meta_steps": int(config.num_meta_steps),
      "outer_learning_rate": float(config.outer_learning_rate),
      "eval_num_tasks": int(config.eval.num_tasks),
      "eval_seed": int(config.eval.seed),
      "results": results, "summary": summary,
      "selected_step": None if selected is None else selected["step"],
      "validation_accuracy": None if selected is None else
                             selected["score"],
      "last_metrics": {k: float(v) for k, v in (metrics or {}).items()
                       if isinstance(v, (int, float))},
      "train_seconds": trained - began, "eval_seconds": done - trained,
      "wall_seconds": done - began}
  with open(path, "w") as f:
    json.dump(record, f, indent=1, default=float)
  print(f"{LEARNERS[variant]} {shots}-shot: {summary}; train "
        f"{record['train_seconds'] / 60:.1f} min, evaluation "
        f"{record['eval_seconds'] / 60:.1f} min", flush=True)
  return record


def percent(summary):
  return f"{100 * summary['mean']:.1f} ± {100 * summary['ci95']:.1f}"


def main(argv=None):
  options = parse(argv)
  began = time.time()
  command = shlex.join(["python", *sys.argv]) if argv is None else \
      shlex.join(["python", "benchmarks/leo_table.py", *argv])
  data_dir, pretrained = features(options)
  learners = [v.strip() for v in options.learners.split(",") if v.strip()]
  shots_list = [int(s) for s in options.shots.split(",") if s.strip()]
  records = {}
  for shots in shots_list:
    for variant in learners:
      records[variant, shots] = run(variant, shots, options, data_dir)
  total = time.time() - began
  recorded = pretrained.get("wall_seconds", 0.0) + sum(
      r["wall_seconds"] for r in records.values())

  header = "| method | " + " | ".join(
      f"5-way {s}-shot" for s in shots_list) + " |"
  lines = [header, "|---" * (len(shots_list) + 1) + "|"]
  for variant in learners:
    lines.append(f"| {LEARNERS[variant]} | " + " | ".join(
        percent(records[variant, s]["results"]["accuracy"])
        for s in shots_list) + " |")
  centroid_notes = []
  cells = []
  for shots in shots_list:
    centroids = [records[v, shots]["results"]["nearest_centroid"]
                 for v in learners]
    cells.append(percent(centroids[0]))
    if any(abs(c["mean"] - centroids[0]["mean"]) > 1e-9 for c in centroids):
      centroid_notes.append(
          f"{shots}-shot: the runs' centroid accuracies differ ("
          + ", ".join(f"{v} {100 * c['mean']:.2f}%"
                      for v, c in zip(learners, centroids)) + ")")
  lines.append("| nearest class centroid | " + " | ".join(cells) + " |")

  first = records[learners[0], shots_list[0]]
  settings = sorted({s for r in records.values() for s in r["changed"]
                     if not s.startswith(("data_dir=", "num_meta_steps=",
                                          "checkpoint_every="))})
  run_lines = [
      f"| {LEARNERS[v]} | {s} | {r['train_seconds'] / 60:.1f} min | "
      f"{r['eval_seconds'] / 60:.1f} min | {r['wall_seconds'] / 60:.1f} min "
      f"| {r['last_metrics'].get('steps_per_second', float('nan')):.1f} |"
      for (v, s), r in records.items()]
  lines += [
      "",
      f"Query accuracy (%), mean ± 95% CI over {first['eval_num_tasks']} "
      f"5-way episodes of the test classes (config.eval.seed "
      f"{first['eval_seed']}; every method sees the same episodes), on "
      "fixed 64-dimensional glyph features. LEO: 5 latent and 5 "
      "fine-tuning steps; MAML and Meta-SGD: a linear classifier over the "
      "embeddings, 5 inner steps at test. Nearest class centroid: "
      "Euclidean, on the same L2-normalised embeddings, no meta-training.",
      "",
      f"- Meta-steps: {first['num_meta_steps']} for every meta-learner "
      "(the config's 100,000 cut short); a checkpoint every tenth of the "
      "run, scored on 200 validation episodes, and the best of them "
      "evaluated (steps: " + ", ".join(
          f"{LEARNERS[v]} {s}-shot {r.get('selected_step')}"
          for (v, s), r in records.items()) + ").",
      f"- Features: conv4 pre-trained for {pretrained['epochs']} epochs "
      f"(config default 20); classifier accuracy on "
      f"{pretrained['accuracy_of']}: {100 * pretrained['accuracy']:.1f}% "
      + (f"({pretrained['wall_seconds'] / 60:.1f} min)."
         if "wall_seconds" in pretrained else "."),
      "- Settings changed from `leo:VARIANT,glyphs,SHOTS`'s defaults, the "
      "same for every method: " + (", ".join(f"`{s}`" for s in settings)
                                   or "none")
      + " (besides `num_meta_steps`, `checkpoint_every` and `data_dir`). "
      "Meta-batch "
      "12, 15 queries per class, as the config.",
      f"- Machine: {platform.machine()}, `nproc` {os.cpu_count()}, "
      f"{table_common.cpu_model()}, no GPU"
      f"{'; ' + options.load if options.load else ''}.",
      f"- Wall time: {total / 60:.1f} min for this invocation (reused runs "
      "count 0 here); recorded times of the pre-training and all runs "
      f"together: {recorded / 60:.1f} min. Per run below (meta-training "
      "includes graph building and compilation).",
      "",
      "| method | shots | meta-training | evaluation | run | meta-steps/s "
      "(last log, training only) |", "|---|---|---|---|---|---|", *run_lines,
      "",
      "Command:", "", f"    {command}"]
  if centroid_notes:
    lines += ["", "Note: " + "; ".join(centroid_notes) + "."]
  table_common.write_table(options.output, lines)


if __name__ == "__main__":
  main()
