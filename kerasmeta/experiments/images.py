# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Few-shot image classification: the tasks of `TASKS`.

glyphs (procedural alphabets, no download), omniglot (tfds), mini_imagenet
and tiered_imagenet (prepared folders) give N-way K-shot episodes
(`EpisodeSampler`); omniglot_alphabets gives whole alphabets as tasks
(`AlphabetTasks`, WarpGrad appendix E). Every one loads its images split
by class into train / validation / test, and is learned by a few-shot
meta-learner around conv4. Evaluation: query accuracy over held-out
episodes of the test classes, mean and 95% CI.
"""

from __future__ import annotations

import collections
import json
import os
from typing import Any, Optional, Sequence, TYPE_CHECKING

from kerasmeta import evaluation
from kerasmeta import evaluators
from kerasmeta import experiments
from kerasmeta import tasks as tasks_lib
from kerasmeta.experiments import _few_shot

if TYPE_CHECKING:
  import numpy as np
  from kerasmeta._typing import Config, JitCompile
  from kerasmeta.tasks.base import TaskStream

build_model = _few_shot.build_model
build_learner = _few_shot.build_learner


def _episodes(config, images, shots, queries=None):
  return tasks_lib.EpisodeSampler(images, ways=config.ways, shots=shots,
                                  queries=queries or config.num_query,
                                  rotations=tuple(config.rotations))


def _alphabet_tasks(config, images, shots, queries=None):
  del queries  # an alphabet task holds out its own drawings
  return tasks_lib.AlphabetTasks(images, train_per_character=shots,
                                 augment=config.get("augment", True))


def _load_glyphs(config, data_dir, size):
  glyph_config = tasks_lib.glyphs.GlyphConfig(
      num_alphabets=config.glyphs.num_alphabets,
      characters_per_alphabet=config.glyphs.characters_per_alphabet,
      samples_per_character=config.glyphs.samples_per_character,
      size=size, seed=config.glyphs.seed)
  images = tasks_lib.glyphs.generate(glyph_config, cache_dir=data_dir)
  return dict(zip(("train", "validation", "test"),
                  tasks_lib.glyphs.split_by_alphabet(images, glyph_config)))


def _load_omniglot(config, data_dir, size):
  return tasks_lib.omniglot.load(config.omniglot_protocol, data_dir=data_dir,
                                 size=size)


def _load_alphabets(config, data_dir, size):
  return tasks_lib.alphabets.load(
      data_dir=data_dir, size=size, characters=config.ways,
      test_alphabets=config.test_alphabets,
      validation_alphabets=config.validation_alphabets,
      seed=config.split_seed)


def _load_folder(config, data_dir, size):
  return tasks_lib.image_folder.load(
      data_dir, size=size,
      examples_per_class=config.get("examples_per_class", 600) or None)


ImageTask = collections.namedtuple("ImageTask", ["load", "distribution"])
ImageTask.__doc__ = """How one image task loads its classes and samples tasks.

Attributes:
  load: `(config, data_dir, size) -> {"train", "validation", "test"}`, the
    images of each split, `[classes, examples, size, size, channels]`.
  distribution: `(config, images of a split, shots, queries=None) -> task
    distribution`; queries per class default to the config's.
"""

TASKS = {
    "glyphs": ImageTask(_load_glyphs, _episodes),
    "omniglot": ImageTask(_load_omniglot, _episodes),
    "omniglot_alphabets": ImageTask(_load_alphabets, _alphabet_tasks),
    "mini_imagenet": ImageTask(_load_folder, _episodes),
    "tiered_imagenet": ImageTask(_load_folder, _episodes),
}


def _image_task(config):
  if config.task not in TASKS:
    raise ValueError(f"Task {config.task!r} is not an image task; expected "
                     f"one of {tuple(TASKS)}.")
  return TASKS[config.task]


def validate_config(config: Config) -> Config:
  """The few-shot checks, and conv4 as the model."""
  _image_task(config)
  _few_shot.validate_config(config)
  if config.algorithm == "pretrained":
    raise ValueError(
        "Bad config: the 'pretrained' variant trains one model on every "
        "task's points, but episodes permute their labels, so there is "
        "nothing common to learn. The glyph baselines pretrain a classifier "
        "of all training classes instead: benchmarks/glyph_baselines.py.")
  if config.model != "conv4":
    raise ValueError(f"Task {config.task!r} needs model 'conv4'; received "
                     f"{config.model!r}.")
  return config


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train",
                      queries: Optional[int] = None) -> TaskStream:
  """Tasks from the classes of `split` ("train", "validation" or "test"),
  with `shots` and `queries` per class (default: the config's)."""
  image_task = _image_task(config)
  parts = class_splits(config)
  if split not in parts:
    raise ValueError(f"split must be one of {sorted(parts)}; received "
                     f"{split!r}.")
  return image_task.distribution(config, parts[split],
                                 int(shots or config.shots), queries)


def check_data(config: Config) -> None:
  """Builds the test split's tasks too, as training and as evaluation take
  them (`config.eval.shots`, `config.eval.num_query`), so that a split too
  small for the config (more ways or queries than it has) fails before
  training, not after."""
  evaluation_config = config.get("eval") or {}
  try:
    task_distribution(config, split="test")
    task_distribution(config, shots=evaluation_config.get("shots"),
                      split="test",
                      queries=evaluation_config.get("num_query"))
  except ValueError as error:
    raise ValueError(f"The test split of {config.task!r} cannot give this "
                     f"config's tasks: {error}") from error


_CLASS_SPLITS: dict[str, dict[str, Any]] = {}
# The fields the loaded images depend on.
_DATA_FIELDS = ("task", "data_dir", "input_shape", "omniglot_protocol",
                "glyphs", "ways", "test_alphabets", "validation_alphabets",
                "split_seed", "examples_per_class")


def class_splits(config: Config) -> dict[str, np.ndarray]:
  """{"train", "validation", "test"}: the image classes of each split.

  Loaded (or generated) once per process and data config: the trainer and
  the evaluator of one run ask for different splits of the same data.
  """
  key = json.dumps({f: config.get(f) for f in _DATA_FIELDS}, sort_keys=True,
                   default=lambda v: v.to_dict() if hasattr(v, "to_dict")
                   else list(v))
  if key not in _CLASS_SPLITS:
    data_dir = (os.path.expanduser(config.data_dir) if config.data_dir
                else None)
    _CLASS_SPLITS[key] = _image_task(config).load(
        config, data_dir, int(config.input_shape[0]))
  return _CLASS_SPLITS[key]


@evaluators.register("few_shot")
class FewShotEvaluator(evaluators.Evaluator):
  """Accuracy over held-out episodes of the test (or validation) classes.

  Episodes have `shots` examples per class to adapt on, else
  `config.eval.shots` where set (WarpGrad's miniImageNet protocol trains
  with more than it tests with), else the config's K; and
  `config.eval.num_query` queries per class where set (more queries
  measure the same expected accuracy more precisely), else the config's.
  """

  def evaluate(self, learner: Any, *, num_tasks: int, seed: int,
               split: str = "test", shots: Any = None,
               jit_compile: JitCompile = False) -> evaluators.Evaluation:
    self.check_split(split)
    config = self.config
    eval_config = config.eval
    if isinstance(shots, (list, tuple)):
      if len(shots) != 1:
        raise ValueError(f"Image episodes are evaluated at one K; received "
                         f"shots={list(shots)}.")
      shots = shots[0]
    shots = int(shots or eval_config.get("shots") or config.shots)
    sampler = task_distribution(config, shots=shots, split=split,
                                queries=eval_config.get("num_query"))
    results = evaluation.evaluate_classification(
        learner, sampler, num_tasks=num_tasks,
        num_steps=eval_config.num_inner_steps, seed=seed,
        deterministic=eval_config.deterministic_masks, jit_compile=jit_compile)

    def draw(path):
      from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
      plotting.plot_episodes(learner, sampler, path,
                             num_tasks=eval_config.num_plot_tasks, seed=seed,
                             num_steps=eval_config.num_inner_steps,
                             deterministic=eval_config.deterministic_masks)

    accuracy = results["accuracy"]
    summary = (f"{config.ways}-way {shots}-shot accuracy after "
               f"{eval_config.num_inner_steps} steps: "
               f"{accuracy['mean']:.4f} ± {accuracy['ci95']:.4f}")
    return evaluators.Evaluation(results, draw, summary)

  def score(self, results: dict) -> float:
    """The mean query accuracy (checkpoint selection)."""
    return results["accuracy"]["mean"]


# The evaluator this family's runs are measured by.
EVALUATOR = FewShotEvaluator.name
