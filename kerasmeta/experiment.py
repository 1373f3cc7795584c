"""From an ml_collections config to task distribution, model and learner.

The apps, the evaluator and the exporter build everything through these
functions, so a workdir's saved config rebuilds exactly what was trained.
"""

import json
import os

import keras
import ml_collections
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta import models
from kerasmeta import tasks as tasks_lib
from kerasmeta.layers import warp

TASKS = ("sinusoid", "glyphs", "omniglot", "omniglot_alphabets",
         "mini_imagenet", "tiered_imagenet", "surfaces", "continual_sine")
CLASSIFICATION_TASKS = ("glyphs", "omniglot", "omniglot_alphabets",
                        "mini_imagenet", "tiered_imagenet")
# Tasks whose learners are not few-shot `MetaLearner`s, and the one
# algorithm each has.
SPECIAL_TASKS = {"surfaces": "explicit_warp", "continual_sine": "continual"}
MODELS = ("mlp", "conv4")


def validate_config(config):
  """Checks the fields every experiment needs; raises a clear ValueError."""
  if config.task not in TASKS:
    raise ValueError(f"Unknown task {config.task!r} in config.task; expected "
                     f"one of {TASKS}.")
  for field in ("num_meta_steps",):
    if int(config[field]) < 0:
      raise ValueError(f"config.{field} must be >= 0; received "
                       f"{config[field]}.")
  if int(config.meta_batch_size) < 1:
    raise ValueError(f"config.meta_batch_size must be >= 1; received "
                     f"{config.meta_batch_size}.")
  if config.task in SPECIAL_TASKS:
    if config.algorithm != SPECIAL_TASKS[config.task]:
      raise ValueError(f"Task {config.task!r} is learned by algorithm "
                       f"{SPECIAL_TASKS[config.task]!r}; received "
                       f"{config.algorithm!r}.")
    return config
  if config.model not in MODELS:
    raise ValueError(f"Unknown model {config.model!r} in config.model; "
                     f"expected one of {MODELS}.")
  try:
    models.check_cell(config.cell)
    algorithms.get(config.algorithm)
  except ValueError as error:
    raise ValueError(f"Bad config: {error}") from None
  for field in ("shots",):
    if int(config[field]) < 1:
      raise ValueError(f"config.{field} must be >= 1; received "
                       f"{config[field]}.")
  if config.task in CLASSIFICATION_TASKS and config.model != "conv4":
    raise ValueError(f"Task {config.task!r} needs model 'conv4'; received "
                     f"{config.model!r}.")
  if int(config.num_inner_steps) < 0:
    raise ValueError(f"config.num_inner_steps must be >= 0; received "
                     f"{config.num_inner_steps}.")
  return config


def task_distribution(config, shots=None, split="train"):
  """The config's task distribution.

  Args:
    config: an experiment config.
    shots: K, overriding config.shots.
    split: for image tasks, the classes episodes come from: "train",
      "validation" or "test" (sinusoid tasks have no split).
  """
  if config.task == "surfaces":
    return tasks_lib.SurfaceTasks(num_inits=config.num_inits)
  if config.task == "continual_sine":
    return tasks_lib.ContinualSineTasks(
        num_subtasks=config.num_subtasks,
        steps_per_subtask=config.steps_per_subtask,
        batch_size=config.batch_size, num_validation=config.num_validation,
        order=tuple(config.order) if config.get("order") else None)
  shots = int(shots or config.shots)
  if config.task == "sinusoid":
    return tasks_lib.SinusoidTasks(
        shots=shots, num_query=config.get("num_query"),
        variant=config.get("task_variant", "mtnet"))
  if config.task in CLASSIFICATION_TASKS:
    parts = _class_splits(config)
    if split not in parts:
      raise ValueError(f"split must be one of {sorted(parts)}; received "
                       f"{split!r}.")
    if config.task == "omniglot_alphabets":
      return tasks_lib.AlphabetTasks(
          parts[split], train_per_character=shots,
          augment=config.get("augment", True))
    return tasks_lib.EpisodeSampler(
        parts[split], ways=config.ways, shots=shots,
        queries=config.num_query, rotations=tuple(config.rotations))
  raise ValueError(f"Unknown task {config.task!r}.")


_CLASS_SPLITS = {}


def _class_splits(config):
  """{"train", "validation", "test"}: the image classes of each split.

  Loaded (or generated) once per process and data config: the trainer and
  the evaluator of one run ask for different splits of the same data.
  """
  fields = ["task", "data_dir", "input_shape", "omniglot_protocol", "glyphs",
            "ways", "test_alphabets", "validation_alphabets", "split_seed",
            "examples_per_class"]
  key = json.dumps({f: config.get(f) for f in fields}, sort_keys=True,
                   default=lambda v: v.to_dict() if hasattr(v, "to_dict")
                   else list(v))
  if key not in _CLASS_SPLITS:
    _CLASS_SPLITS[key] = _load_class_splits(config)
  return _CLASS_SPLITS[key]


def _load_class_splits(config):
  data_dir = os.path.expanduser(config.data_dir) if config.data_dir else None
  size = int(config.input_shape[0])
  if config.task == "omniglot":
    return tasks_lib.omniglot.load(config.omniglot_protocol,
                                   data_dir=data_dir, size=size)
  if config.task == "omniglot_alphabets":
    return tasks_lib.alphabets.load(
        data_dir=data_dir, size=size, characters=config.ways,
        test_alphabets=config.test_alphabets,
        validation_alphabets=config.validation_alphabets,
        seed=config.split_seed)
  if config.task in ("mini_imagenet", "tiered_imagenet"):
    return tasks_lib.image_folder.load(
        data_dir, size=size,
        examples_per_class=config.get("examples_per_class", 600) or None)
  glyph_config = tasks_lib.glyphs.GlyphConfig(
      num_alphabets=config.glyphs.num_alphabets,
      characters_per_alphabet=config.glyphs.characters_per_alphabet,
      samples_per_character=config.glyphs.samples_per_character,
      size=size, seed=config.glyphs.seed)
  images = tasks_lib.glyphs.generate(glyph_config, cache_dir=data_dir)
  return dict(zip(("train", "validation", "test"),
                  tasks_lib.glyphs.split_by_alphabet(images, glyph_config)))


def build_model(config):
  if config.task == "surfaces":
    # The explicit warp Omega: x + W2 tanh(W1 x + b1) + b2 (appendix D).
    return keras.Sequential(
        [keras.Input((2,)),
         warp.residual_tanh_warp(2, hidden_units=config.warp_hidden_units,
                                 seed=config.seed, name="omega")],
        name="explicit_warp")
  if config.task == "continual_sine":
    return models.mlp(hidden_sizes=tuple(config.hidden_sizes),
                      cell=config.cell, warp_block=config.warp_block,
                      seed=config.seed,
                      kernel_initializer=config.kernel_initializer)
  warp_options = {"warp_block": config.warp_block} \
      if config.get("warp_block") else {}
  if config.model == "mlp":
    return models.mlp(hidden_sizes=tuple(config.hidden_sizes),
                      cell=config.cell,
                      mask_temperature=config.get("mask_temperature", 1.0),
                      **warp_options)
  if config.model == "conv4":
    return models.conv4(input_shape=tuple(config.input_shape),
                        num_classes=config.ways, filters=config.filters,
                        cell=config.cell,
                        pooling=config.get("pooling", "stride"),
                        mask_temperature=config.get("mask_temperature", 1.0),
                        **warp_options)
  raise ValueError(f"Unknown model {config.model!r}.")


def build_learner(config, model=None):
  """The config's meta-learner around `model` (built from config if None)."""
  model = build_model(config) if model is None else model
  if config.task == "surfaces":
    return algorithms.ExplicitWarpGrad(
        model, tasks_lib.surfaces.surface_value,
        num_inner_steps=config.num_inner_steps,
        inner_learning_rate=config.inner_learning_rate,
        exact=config.warpgrad.exact,
        warp_samples=config.warpgrad.warp_samples)
  if config.task == "continual_sine":
    return algorithms.ContinualLearner(
        model, task_distribution(config),
        learning_rate=config.inner_learning_rate,
        ewc_strength=config.ewc_strength, exact=config.warpgrad.exact,
        warp_samples=config.warpgrad.warp_samples)
  learner_class = algorithms.get(config.algorithm)
  kwargs = dict(loss=config.get("loss", "mse"),
                num_inner_steps=config.num_inner_steps,
                inner_learning_rate=config.inner_learning_rate)
  if config.algorithm not in ("fomaml", "reptile", "leap"):
    kwargs["first_order"] = config.get("first_order", False)
  if config.get("batch_norm"):
    kwargs["batch_norm"] = config.batch_norm
  if config.get("inner_batch_size"):
    kwargs["inner_batch_size"] = config.inner_batch_size
  if issubclass(learner_class, algorithms.WarpGrad):
    kwargs.update(config.warpgrad.to_dict() if config.get("warpgrad") else {})
  return learner_class(model, **kwargs)


def config_to_json(config):
  return json.dumps(config.to_dict(), indent=2, sort_keys=True, default=list)


def config_from_json(text):
  return ml_collections.ConfigDict(json.loads(text))


def load_config(workdir):
  """The config a workdir was trained with (workdir/config.json)."""
  path = os.path.join(workdir, "config.json")
  if not tf.io.gfile.exists(path):
    raise FileNotFoundError(
        f"No config.json in {workdir!r}: is it a workdir written by "
        "apps.meta_train?")
  with tf.io.gfile.GFile(path) as f:
    return config_from_json(f.read())


def restore_learner(workdir, checkpoint=None):
  """The learner of a training workdir at its latest (or a named) checkpoint.

  Args:
    workdir: a workdir written by `apps.meta_train`.
    checkpoint: a checkpoint path or number (e.g. 5000); None: the latest.

  Returns:
    `(config, learner, checkpoint_path)`.
  """
  config = load_config(workdir)
  learner = build_learner(config)
  directory = os.path.join(workdir, "checkpoints")
  if checkpoint is None:
    path = tf.train.latest_checkpoint(directory)
    if path is None:
      raise FileNotFoundError(f"No checkpoint in {directory!r}.")
  elif str(checkpoint).isdigit():
    path = os.path.join(directory, f"ckpt-{checkpoint}")
  else:
    path = str(checkpoint)
  if not tf.io.gfile.exists(path + ".index"):
    raise FileNotFoundError(f"No checkpoint {path!r}.")
  tf.train.Checkpoint(**learner.checkpoint_items()).restore(
      path).expect_partial().assert_existing_objects_matched()
  return config, learner, path
