# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Experiments by name: from a config to task distribution, model, learner.

`config.task` names a task family, found as the module
`kerasmeta.experiments.{task}` (tasks that share a family are mapped to its
module in `TASK_MODULES`), and `config.model` names a model, found as
`kerasmeta.experiments.models.{model}`. A new task family is a new module
here; nothing else changes. A family module defines:

  validate_config(config)                     checks its fields; returns config
  task_distribution(config, shots, split)     its task distribution
  build_model(config)                         its default model
  build_learner(config, model)                its learner around `model`:
                                              learner_from_config(config,
                                              model, ...), the class
                                              config.algorithm names, built
                                              from config.learner
  EVALUATOR                                   the name of its evaluator

and, where it has one, `check_data(config)` (every split can give its
tasks). Evaluators are found by name (`kerasmeta.evaluators`): the
family's, or the one `config.eval.evaluator` names. `apps.evaluate` runs
it on the test split; under `config.select_checkpoint = "validation"` the
trainer runs the same evaluator on the validation split and keeps its
`score`.

A model module defines `build(config)`. The apps, the evaluator and the
exporter build everything through the functions below, so a workdir's saved
config rebuilds exactly what was trained.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import pkgutil
from typing import Any, Callable, Mapping, Optional, Sequence, TYPE_CHECKING

import ml_collections
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta import evaluators
from kerasmeta.experiments import _config_upgrades

if TYPE_CHECKING:
  from types import ModuleType
  import keras
  from kerasmeta._typing import Config, JitCompile
  from kerasmeta.algorithms.base import MetaLearner
  from kerasmeta.tasks.base import TaskStream

# Tasks whose family module has another name: task -> module.
TASK_MODULES = {
    "glyphs": "images",
    "omniglot": "images",
    "omniglot_alphabets": "images",
    "mini_imagenet": "images",
    "tiered_imagenet": "images",
    "glyph_embeddings": "embeddings",
    "subspace_embeddings": "embeddings",
    "mini_imagenet_embeddings": "embeddings",
    "tiered_imagenet_embeddings": "embeddings",
    "quadratic": "optimizees",
    "digits_mlp": "optimizees",
    "glyphs_mlp": "optimizees",
}

def _modules(package_path):
  """Public modules (not packages) of a package directory."""
  return sorted(info.name for info in pkgutil.iter_modules(package_path)
                if not info.ispkg and not info.name.startswith("_"))


def known_tasks() -> tuple[str, ...]:
  """Every task name a config may give, sorted."""
  families = set(_modules(__path__)) - set(TASK_MODULES.values())
  return tuple(sorted(families | set(TASK_MODULES)))


def known_models() -> tuple[str, ...]:
  """Every model name a few-shot config may give, sorted."""
  return tuple(_modules([os.path.join(path, "models") for path in __path__]))


def family(task: str) -> ModuleType:
  """The family module of `task` (e.g. `kerasmeta.experiments.sinusoid`)."""
  tasks = known_tasks()
  if task not in tasks:
    raise ValueError(f"Unknown task {task!r} in config.task; expected one of "
                     f"{tasks}.")
  return importlib.import_module(
      f"{__name__}.{TASK_MODULES.get(task, task)}")


def model_builder(name: str) -> Callable[[Config], keras.Model]:
  """`config -> keras.Model`: the `build` of the model module `name`."""
  models = known_models()
  if name not in models:
    raise ValueError(f"Unknown model {name!r} in config.model; expected one "
                     f"of {models}.")
  return importlib.import_module(f"{__name__}.models.{name}").build


def check_at_least(config: Config, minimum: int, *fields: str,
                   group: str = "config") -> None:
  """Raises a ValueError unless every `config.field` is >= `minimum`
  (`group` names `config` in the message, e.g. "config.learner")."""
  for field in fields:
    if int(config[field]) < minimum:
      raise ValueError(f"{group}.{field} must be >= {minimum}; received "
                       f"{config[field]}.")


def validate_config(config: Config) -> Config:
  """Checks the fields the config's experiment needs; raises a ValueError."""
  module = family(config.get("task"))
  _check_finite(config.to_dict() if hasattr(config, "to_dict") else config)
  misplaced = _config_upgrades.misplaced_learner_fields(config)
  if misplaced:
    name = misplaced[0]
    raise ValueError(
        f"config.{name} is an argument of the learner: set "
        f"config.learner.{name} (config.learner holds the arguments of "
        f"algorithm {config.get('algorithm')!r}; top-level fields nothing "
        f"reads: {misplaced}).")
  check_at_least(config, 0, "num_meta_steps")
  check_at_least(config, 1, "meta_batch_size")
  for name in ("log_every", "checkpoint_every", "max_checkpoints"):
    if name in config:
      check_at_least(config, 1, name)
  if config.get("eval", {}).get("evaluator"):
    evaluator(config)  # a known name
  if config.get("select_checkpoint"):
    checkpoint_selector(config)
  return module.validate_config(config)


def flat_fields(fields: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
  """`{"group.field": value}`: a config's (or its dict's) leaf fields under
  their dotted names, as `--config.group.field` names them."""
  flat = {}
  for key, value in fields.items():
    name = f"{prefix}{key}"
    if hasattr(value, "items"):
      flat.update(flat_fields(value, name + "."))
    else:
      flat[name] = value
  return flat


def _check_finite(fields):
  """Refuses NaN and infinite numbers anywhere in a config."""
  for name, value in flat_fields(fields).items():
    for item in value if isinstance(value, (list, tuple)) else [value]:
      if isinstance(item, float) and not math.isfinite(item):
        raise ValueError(f"config.{name} must be finite; received {value}.")


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train") -> TaskStream:
  """The config's task distribution.

  Args:
    config: an experiment config.
    shots: K, overriding config.shots (few-shot tasks).
    split: for image tasks, the classes episodes come from: "train",
      "validation" or "test" (other tasks have no split).
  """
  return family(config.task).task_distribution(config, shots=shots,
                                                split=split)


def check_data(config: Config) -> None:
  """Checks that every split the run will use can give its tasks (a family
  that has splits defines `check_data`)."""
  check = getattr(family(config.task), "check_data", None)
  if check is not None:
    check(config)


def evaluator(config: Config) -> evaluators.Evaluator:
  """The config's `evaluators.Evaluator`: the one `config.eval.evaluator`
  names, else its family's (`EVALUATOR`)."""
  module = family(config.task)
  name = config.get("eval", {}).get("evaluator") or module.EVALUATOR
  if name not in evaluators.names():
    for task in known_tasks():  # registers every family's evaluator
      family(task)
  return evaluators.get(name)(config)


def checkpoint_selector(config: Config) -> Callable[[MetaLearner], float]:
  """`learner -> score` that picks the checkpoint to evaluate and serve
  (`config.select_checkpoint`: "validation"): the config's evaluator on
  `config.eval.num_validation_tasks` tasks of the validation split (seed
  `config.eval.seed`), its `score`; higher is better."""
  if config.select_checkpoint != "validation":
    raise ValueError(f"config.select_checkpoint must be '' or 'validation'; "
                     f"received {config.select_checkpoint!r}.")
  chosen = evaluator(config)
  if not chosen.validates:
    raise ValueError(f"Task {config.task!r} has no validation score (its "
                     f"evaluator {chosen.name!r} has none): "
                     "config.select_checkpoint must be ''.")
  if "num_validation_tasks" not in config.eval:
    raise ValueError("config.select_checkpoint = 'validation' needs "
                     "config.eval.num_validation_tasks.")

  def score(learner):
    results = chosen.evaluate(
        learner, num_tasks=int(config.eval.num_validation_tasks),
        seed=config.eval.seed, split="validation",
        jit_compile=config.get("jit_compile", "auto")).results
    return float(chosen.score(results))
  return score


def build_model(config: Config) -> Optional[keras.Model]:
  """The config's model (its family's default for the config)."""
  return family(config.task).build_model(config)


def check_algorithm(config: Config, allowed: Sequence[str]) -> None:
  """Refuses a `config.algorithm` that is unknown or not one of `allowed`."""
  algorithms.get(config.algorithm)  # "Unknown algorithm ..." first
  if config.algorithm not in allowed:
    expected = (f"algorithm {allowed[0]!r}" if len(allowed) == 1
                else f"one of the algorithms {tuple(allowed)}")
    raise ValueError(f"Task {config.task!r} is learned by {expected}; "
                     f"received {config.algorithm!r}.")


def learner_from_config(
    config: Config, *inputs: Any,
    algorithms_allowed: Optional[Sequence[str]] = None) -> MetaLearner:
  """`algorithms.get(config.algorithm)(*inputs, **config.learner)`.

  The one convention of every family (big_vision's `Model(**config.model)`):
  `config.algorithm` names the learner class and `config.learner` holds its
  constructor's keyword arguments as they are; the family supplies only
  what is not a setting (the model, the environment, the problems).

  Args:
    config: an experiment config.
    *inputs: the constructor's positional arguments.
    algorithms_allowed: the names the family can host (None: any).

  Raises:
    ValueError: an unknown or unhosted algorithm, or a `config.learner`
      field the class does not take, in one line.
  """
  name = config.algorithm
  if algorithms_allowed is not None:
    check_algorithm(config, algorithms_allowed)
  learner_class = algorithms.get(name)
  arguments = config.get("learner") or {}
  arguments = dict(arguments.to_dict() if hasattr(arguments, "to_dict")
                   else arguments)
  try:
    return learner_class(*inputs, **arguments)
  except TypeError as error:
    if "unexpected keyword argument" not in str(error):
      raise
    field = str(error).rsplit(" ", 1)[-1].strip("'")
    raise ValueError(
        f"Bad config: config.learner.{field} is not an argument of "
        f"{learner_class.__name__} (algorithm {name!r}); its group holds "
        f"{sorted(arguments)}.") from None


def build_learner(config: Config,
                  model: Optional[keras.Model] = None) -> MetaLearner:
  """The config's learner around `model` (built from config if None)."""
  module = family(config.task)
  model = module.build_model(config) if model is None else model
  return module.build_learner(config, model)


def evaluate(learner: MetaLearner, config: Config, num_tasks: int, seed: int,
             shots: Any = None,
             jit_compile: JitCompile = False) -> evaluators.Evaluation:
  """Evaluates `learner` on the test split with the config's evaluator, as
  the config's papers do; returns an `evaluators.Evaluation`.

  Args:
    learner: the config's learner (trained).
    config: its config.
    num_tasks: held-out tasks (or task sequences).
    seed: their seed.
    shots: the K values of a regression evaluation (None: config.eval's).
    jit_compile: compile the evaluation with XLA where the family can:
      True, False or "auto" (`evaluation.metrics_by_step`).
  """
  return evaluator(config).evaluate(learner, num_tasks=num_tasks, seed=seed,
                                    shots=shots, jit_compile=jit_compile)


def config_to_json(config: Config) -> str:
  return json.dumps(config.to_dict(), indent=2, sort_keys=True, default=list)


def config_from_json(text: str) -> Config:
  """A config from its JSON, with fields renamed since then brought up to
  date (a workdir written by an older kerasmeta resumes and evaluates)."""
  return ml_collections.ConfigDict(_config_upgrades.upgrade(json.loads(text)))


def load_config(workdir: str) -> Config:
  """The config a workdir was trained with (workdir/config.json)."""
  path = os.path.join(workdir, "config.json")
  if not tf.io.gfile.exists(path):
    raise FileNotFoundError(
        f"No config.json in {workdir!r}: is it a workdir written by "
        "apps.meta_train?")
  with tf.io.gfile.GFile(path) as f:
    return config_from_json(f.read())
