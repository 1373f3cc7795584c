"""What the few-shot families share: a model by name, a `MetaLearner` by name.

Families whose learner is one of `kerasmeta.algorithms.ALGORITHMS` (MAML,
Meta-SGD, Reptile, Leap, WarpGrad, ...) around a model of
`kerasmeta.experiments.models` take their checks and builders from here.
"""

from kerasmeta import algorithms
from kerasmeta import experiments
from kerasmeta import models


def validate_config(config):
  """Checks model, cell, algorithm, shots and inner steps; returns config."""
  experiments.model_builder(config.model)
  try:
    models.check_cell(config.cell)
    models.check_mask_initializer(config.get("mask_initializer", "zeros"))
    algorithms.get(config.algorithm)
  except ValueError as error:
    raise ValueError(f"Bad config: {error}") from None
  experiments.check_at_least(config, 1, "shots")
  experiments.check_at_least(config, 0, "num_inner_steps")
  inner_loss_scale(config)
  return config


INNER_LOSS_REDUCTIONS = ("mean", "sum_over_shots")


def inner_loss_scale(config):
  """The learner's `inner_loss_scale` of `config.inner_loss_reduction`.

  "mean" (the default): the inner loss is the mean over the support set.
  "sum_over_shots": the MAML and MT-net reference code's classification
  loss, the sum over the N*K support examples divided by K, which is N
  (`config.ways`; 1 for regression) times the mean.
  """
  reduction = config.get("inner_loss_reduction", "mean")
  if reduction not in INNER_LOSS_REDUCTIONS:
    raise ValueError(f"Bad config: inner_loss_reduction must be one of "
                     f"{INNER_LOSS_REDUCTIONS}; received {reduction!r}.")
  return 1.0 if reduction == "mean" else float(config.get("ways", 1))


def build_model(config):
  """The model `config.model` names, built from the config's fields."""
  return experiments.model_builder(config.model)(config)


def build_learner(config, model):
  """The meta-learner `config.algorithm` names, around `model`.

  `first_order` is passed only when the config sets it; learners that are
  first order by definition (FOMAML, Reptile, Leap) decide for themselves.
  `config.warpgrad`'s fields are the options of WarpGrad learners.
  """
  learner_class = algorithms.get(config.algorithm)
  kwargs = dict(loss=config.get("loss", "mse"),
                num_inner_steps=config.num_inner_steps,
                inner_learning_rate=config.inner_learning_rate,
                inner_loss_scale=inner_loss_scale(config))
  if config.get("first_order") is not None:
    kwargs["first_order"] = config.first_order
  if config.get("batch_norm"):
    kwargs["batch_norm"] = config.batch_norm
  if config.get("inner_batch_size"):
    kwargs["inner_batch_size"] = config.inner_batch_size
  if issubclass(learner_class, algorithms.WarpGrad):
    learner_class = _warpgrad_scheme(config, learner_class, kwargs)
  return learner_class(model, **kwargs)


# config.warpgrad.training_mode -> (class, the one option of its own).
WARPGRAD_SCHEMES = {
    "online": (algorithms.WarpGrad, None),
    "offline": (algorithms.OfflineWarpGrad, "replay_batch_size"),
    "continual": (algorithms.ContinualWarpGrad, "warp_update_interval"),
}


def _warpgrad_scheme(config, learner_class, kwargs):
  """The WarpGrad class of `config.warpgrad.training_mode`; adds
  `config.warpgrad`'s options to `kwargs` (the init objective of Warp-MAML
  or Warp-Leap where the config names one of them).

  Raises:
    ValueError: an unknown mode, or an option another mode would use set
      to other than its default (it would be ignored).
  """
  options = config.warpgrad.to_dict() if config.get("warpgrad") else {}
  mode = options.pop("training_mode", "online")
  if mode not in WARPGRAD_SCHEMES:
    raise ValueError(f"Bad config: warpgrad.training_mode must be one of "
                     f"{tuple(WARPGRAD_SCHEMES)}; received {mode!r}.")
  scheme_class, own = WARPGRAD_SCHEMES[mode]
  for other in ("replay_batch_size", "warp_update_interval"):
    value = options.pop(other, 1)
    if other == own:
      kwargs[other] = value
    elif value != 1:
      raise ValueError(
          f"Bad config: warpgrad.{other}={value} is an option of another "
          f"training mode; training_mode is {mode!r}.")
  if learner_class is algorithms.WarpLeap:
    kwargs["init_objective"] = "leap"
  elif learner_class is algorithms.WarpMAML:
    kwargs["init_objective"] = "maml"
  kwargs.update(options)
  return learner_class if mode == "online" else scheme_class
