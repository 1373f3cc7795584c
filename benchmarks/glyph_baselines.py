# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""The glyph baselines: a pretrained classifier fine-tuned, nearest neighbour.

One conv4 (64 filters, global average pooling; `kerasmeta.pretraining`) is
trained to classify every meta-training class of the glyphs (each rotation
a class), with the same number of steps as the meta-learners of the glyph
table and as many images per step as a 5-way meta-step sees (32 episodes
of 5 support and 5 query images: 320). Then, on the test episodes of the
glyph table (600 per setting, 15 queries per class, the same seed):

- fine-tuned: a zero-initialised N-way head on the pretrained features, all
  weights fine-tuned by SGD on the support set; the step size (from a
  grid) and the number of steps (0..20) are chosen on 600 validation
  episodes of the validation alphabets;
- nearest neighbour on raw pixels, and on the pretrained features.

  python benchmarks/glyph_baselines.py --root=runs/glyph_baselines \
      --output=benchmarks/results/glyph_baselines.md

Writes the Markdown table and `glyph_baselines.json` beside it (the glyph
table adds its rows from it). A finished pretraining is reused.
"""

import argparse
import json
import os
import time


import table_common  # pylint: disable=g-import-not-at-top

VALIDATION_SEED = 4321


def parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--root", default="runs/glyph_baselines")
  parser.add_argument("--data_dir", default="~/.cache/kerasmeta")
  parser.add_argument("--pretrain_epochs", type=int, default=6,
                      help="6 epochs of batch 320: 504 steps.")
  parser.add_argument("--pretrain_batch_size", type=int, default=320)
  parser.add_argument("--learning_rates", default="0.01,0.03,0.1,0.3,1.0")
  parser.add_argument("--max_steps", type=int, default=20)
  parser.add_argument("--ways", default="5,20")
  parser.add_argument("--num_tasks", type=int, default=600)
  parser.add_argument("--output",
                      default="benchmarks/results/glyph_baselines.md")
  return parser.parse_args()


def percent(summary):
  return f"{100 * summary['mean']:.1f}% ± {100 * summary['ci95']:.1f}"


def main():
  options = parse()
  # pylint: disable=g-import-not-at-top
  from kerasmeta import evaluation
  from kerasmeta import few_shot_baselines
  from kerasmeta import pretraining
  from kerasmeta.apps.configs import glyph_features
  from kerasmeta.apps.configs import glyphs
  from kerasmeta.experiments import images
  # pylint: enable=g-import-not-at-top
  began = time.time()
  features_config = glyph_features.get_config()
  features_config.data_dir = options.data_dir
  features_config.epochs = options.pretrain_epochs
  features_config.batch_size = options.pretrain_batch_size
  features, accuracy, accuracy_of = pretraining.train(
      features_config, os.path.join(options.root, "pretrained"))
  glyphs_per_class = (features_config.glyphs.samples_per_character
                      - features_config.holdout_per_class)
  num_classes = len(pretraining.glyph_splits(features_config)["train"][1])
  steps_per_epoch = -(-num_classes * glyphs_per_class
                      // options.pretrain_batch_size)
  pretrain_steps = steps_per_epoch * options.pretrain_epochs
  print(f"pretrained: {accuracy:.3f} on {accuracy_of}, {pretrain_steps} "
        "steps", flush=True)
  rates = [float(r) for r in options.learning_rates.split(",")]
  records, lines = {}, [
      "| setting | method | accuracy (600 test episodes) | chosen on "
      "validation |", "|---|---|---|---|"]
  for ways in [int(w) for w in options.ways.split(",")]:
    config = glyphs.get_config(f"maml,{ways},1")
    config.data_dir = options.data_dir
    sampler = lambda split: images.task_distribution(  # pylint: disable=cell-var-from-loop
        config, split=split, queries=config.eval.num_query)
    best = None
    for rate in rates:
      learner = few_shot_baselines.fine_tuning_learner(features, ways, rate)
      by_step = evaluation.evaluate_classification(
          learner, sampler("validation"), num_tasks=options.num_tasks,
          num_steps=options.max_steps, seed=VALIDATION_SEED)[
              "accuracy_by_step"]
      for step, summary in by_step.items():
        if best is None or summary["mean"] > best[2]:
          best = (rate, int(step), summary["mean"])
      print(f"{ways}-way, rate {rate}: validation accuracy by step "
            + ", ".join(f"{s}: {v['mean']:.3f}" for s, v in by_step.items()
                        if int(s) in (0, 1, 3, 10, options.max_steps)),
            flush=True)
    rate, steps, _ = best
    learner = few_shot_baselines.fine_tuning_learner(features, ways, rate)
    tuned = evaluation.evaluate_classification(
        learner, sampler("test"), num_tasks=options.num_tasks,
        num_steps=steps, seed=config.eval.seed)["accuracy"]
    episodes = sampler("test").evaluation_tasks(options.num_tasks,
                                                config.eval.seed).tasks
    raw = evaluation.summarize(
        few_shot_baselines.nearest_neighbour_accuracies(episodes))
    embedded = evaluation.summarize(
        few_shot_baselines.nearest_neighbour_accuracies(
            episodes, embed=lambda x: features(x, training=False)))
    records[str(ways)] = {
        "pretrained, fine-tuned": dict(tuned, learning_rate=rate,
                                       steps=steps),
        "nearest neighbour, pixels": raw,
        "nearest neighbour, features": embedded}
    setting = f"{ways}-way 1-shot"
    lines += [f"| {setting} | pretrained, fine-tuned | {percent(tuned)} | "
              f"step size {rate}, {steps} steps |",
              f"| {setting} | nearest neighbour, pixels | {percent(raw)} | "
              "- |",
              f"| {setting} | nearest neighbour, features | "
              f"{percent(embedded)} | - |"]
    print("\n".join(lines[-3:]), flush=True)
  lines += ["", f"The pretrained conv4 (64 filters, average-pooled "
            f"features) classifies the {num_classes} meta-training classes "
            f"of the glyphs: {pretrain_steps} steps of Adam 1e-3 on batches "
            f"of {options.pretrain_batch_size} ({options.pretrain_epochs} "
            f"epochs), {100 * accuracy:.1f}% on {accuracy_of}. Fine-tuning: "
            "a zero-initialised head, SGD on the support set with batch-norm "
            "on pretraining's running statistics, step size from "
            f"{rates} and 0..{options.max_steps} steps chosen on "
            f"{options.num_tasks} validation episodes. Nearest neighbour: "
            "Euclidean, 1-NN (with K=1 the nearest centroid). Test "
            "episodes: those of the glyph table (seed "
            f"{config.eval.seed}, 15 queries per class), mean ± 95% CI.", "",
            f"Command: `python benchmarks/glyph_baselines.py` on "
            f"{table_common.cpu_model()}, {os.cpu_count()} CPU cores, no "
            f"GPU: {(time.time() - began) / 60:.1f} min."]
  table_common.write_table(options.output, lines)
  with open(os.path.splitext(options.output)[0] + ".json", "w") as f:
    json.dump({"pretrain_steps": pretrain_steps, "ways": records}, f,
              indent=1)


if __name__ == "__main__":
  main()
