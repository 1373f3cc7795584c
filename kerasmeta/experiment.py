"""From an ml_collections config to task distribution, model and learner.

The apps, the evaluator and the exporter build everything through these
functions, so a workdir's saved config rebuilds exactly what was trained.
"""

import json

import ml_collections

from kerasmeta import algorithms
from kerasmeta import models
from kerasmeta import tasks as tasks_lib

TASKS = ("sinusoid",)
MODELS = ("mlp", "conv4")


def validate_config(config):
  """Checks the fields every experiment needs; raises a clear ValueError."""
  if config.task not in TASKS:
    raise ValueError(f"Unknown task {config.task!r} in config.task; expected "
                     f"one of {TASKS}.")
  if config.model not in MODELS:
    raise ValueError(f"Unknown model {config.model!r} in config.model; "
                     f"expected one of {MODELS}.")
  try:
    models.check_cell(config.cell)
    algorithms.get(config.algorithm)
  except ValueError as error:
    raise ValueError(f"Bad config: {error}") from None
  for field in ("num_meta_steps", "meta_batch_size", "shots"):
    if int(config[field]) < 1:
      raise ValueError(f"config.{field} must be >= 1; received "
                       f"{config[field]}.")
  if int(config.num_inner_steps) < 0:
    raise ValueError(f"config.num_inner_steps must be >= 0; received "
                     f"{config.num_inner_steps}.")
  return config


def task_distribution(config, shots=None):
  """The config's task distribution, with `shots` support points if given."""
  if config.task == "sinusoid":
    return tasks_lib.SinusoidTasks(
        shots=int(shots or config.shots),
        num_query=config.get("num_query"),
        variant=config.get("task_variant", "mtnet"))
  raise ValueError(f"Unknown task {config.task!r}.")


def build_model(config):
  if config.model == "mlp":
    return models.mlp(hidden_sizes=tuple(config.hidden_sizes),
                      cell=config.cell,
                      mask_temperature=config.get("mask_temperature", 1.0))
  if config.model == "conv4":
    return models.conv4(input_shape=tuple(config.input_shape),
                        num_classes=config.ways, filters=config.filters,
                        cell=config.cell,
                        mask_temperature=config.get("mask_temperature", 1.0))
  raise ValueError(f"Unknown model {config.model!r}.")


def build_learner(config, model=None):
  """The config's meta-learner around `model` (built from config if None)."""
  model = build_model(config) if model is None else model
  learner_class = algorithms.get(config.algorithm)
  kwargs = dict(loss=config.get("loss", "mse"),
                num_inner_steps=config.num_inner_steps,
                inner_learning_rate=config.inner_learning_rate)
  if config.algorithm != "fomaml":
    kwargs["first_order"] = config.get("first_order", False)
  return learner_class(model, **kwargs)


def config_to_json(config):
  return json.dumps(config.to_dict(), indent=2, sort_keys=True, default=list)


def config_from_json(text):
  return ml_collections.ConfigDict(json.loads(text))
