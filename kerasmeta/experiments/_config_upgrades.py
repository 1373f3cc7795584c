# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Stored configs of older kerasmeta versions, brought up to date.

A workdir's `config.json` is read back to resume, evaluate and export, so a
field renamed or regrouped since it was written is moved here, once, where
the config is loaded (`experiments.config_from_json`). The newest change:
the learner's constructor arguments moved from top-level fields (and the
`leo` and `warpgrad` groups) into `config.learner`, and WarpGrad's
`warpgrad.training_mode` became the algorithm (`warpgrad_offline`,
`warpgrad_continual`).
"""

# Top-level fields that were the arguments of each family's one learner.
_FAMILY_ARGUMENTS = {
    "maml_rl": ("num_inner_steps", "inner_learning_rate", "num_episodes",
                "meta_gradient", "discount", "gae_lambda", "baseline",
                "normalize_advantages", "outer_epochs", "outer_clip"),
    "actor_critic": ("discount", "value_coefficient",
                     "concentration_coefficient", "warp_update_interval"),
    "learning_to_learn": ("num_steps", "truncation", "units", "preprocess",
                          "p", "output_scale"),
    "explicit_warp": ("num_inner_steps", "inner_learning_rate"),
    "continual": ("inner_learning_rate", "ewc_strength"),
}
# Defaults of fields that older configs may lack.
_FAMILY_DEFAULTS = {
    "maml_rl": {"outer_epochs": 1, "outer_clip": 0.0},
    "actor_critic": {"warp_update_interval": 1, "value_baseline": "own",
                     "warp_gradient_reduction": "mean"},
}
_WARP_OBJECTIVE = ("exact", "warp_samples")
# Former top-level fields and groups that no learner group holds now.
_FORMER_ONLY = frozenset({"leo", "warpgrad", "inner_loss_reduction"})
_WARPGRAD_LEARNERS = ("warpgrad", "warp_maml", "warp_leap")
_SCHEMES = {"offline": ("warpgrad_offline", "replay_batch_size"),
            "continual": ("warpgrad_continual", "warp_update_interval")}


# Fields added since, with the value that rebuilds an older run exactly.
ADDED_FIELDS = {
    "navigation": {"activation": "relu", "min_std": None},
    **{task: {"initializer": "glorot"} for task in ("digits_mlp",
                                                     "glyphs_mlp")},
    **{task: {"train_on_val": False} for task in (
        "glyph_embeddings", "mini_imagenet_embeddings",
        "tiered_imagenet_embeddings")},
}


# Learner arguments added since, by algorithm, likewise.
ADDED_LEARNER_FIELDS = {
    "learning_to_learn": {"gradient_scale": 1.0},
    **{algorithm: {"inner_kl_penalty": 0.0, "inner_kl_target": 0.0,
                   "batch_steps": 0} for algorithm in ("maml_rl",
                                                       "maml_trpo")},
}


def upgrade(fields):
  """`fields` (a config's JSON dict) in today's layout; changed in place."""
  _rename_warp_fields(fields)
  for name, value in ADDED_FIELDS.get(fields.get("task"), {}).items():
    fields.setdefault(name, value)
  if "learner" not in fields and "algorithm" in fields:
    _group_learner_arguments(fields)
  if isinstance(fields.get("learner"), dict):
    for name, value in ADDED_LEARNER_FIELDS.get(fields.get("algorithm"),
                                                {}).items():
      fields["learner"].setdefault(name, value)
  return fields


def misplaced_learner_fields(fields):
  """The top-level fields of `fields` (a config with a `learner` group)
  that nothing reads: an argument its learner group holds, or a field or
  group of the former layout."""
  learner = fields.get("learner")
  if not learner:
    return []
  return sorted((set(learner) | _FORMER_ONLY) & (set(fields) - {"learner"}))


def _rename_warp_fields(fields):
  if "cell" in fields and "warp" not in fields:
    # cell "warp" (not a cell: plain layers with warps between them).
    fields["warp"] = fields["cell"] == "warp"
    if fields["warp"]:
      fields["cell"] = "dense"
  warpgrad = fields.get("warpgrad") or {}
  if "init_weight" in warpgrad:  # lambda of eq. 9, a step-size ratio
    warpgrad["init_step_scale"] = warpgrad.pop("init_weight")
  if "buffer_batch_size" in warpgrad:  # eta of the mode that used it
    eta = warpgrad.pop("buffer_batch_size")
    mode = warpgrad.get("training_mode", "online")
    warpgrad.setdefault("replay_batch_size",
                        eta if mode == "offline" else 1)
    warpgrad.setdefault("warp_update_interval",
                        eta if mode == "continual" else 1)


def _group_learner_arguments(fields):
  algorithm = fields["algorithm"]
  warpgrad = fields.pop("warpgrad", None) or {}
  if algorithm == "leo":
    fields["learner"] = fields.pop("leo")
  elif algorithm in _FAMILY_ARGUMENTS:
    learner = dict(_FAMILY_DEFAULTS.get(algorithm, {}))
    for name in _FAMILY_ARGUMENTS[algorithm]:
      if name in fields:
        learner[name] = fields.pop(name)
    if algorithm == "continual":
      learner["learning_rate"] = learner.pop("inner_learning_rate")
    if algorithm in ("continual", "explicit_warp"):
      learner.update({name: warpgrad[name] for name in _WARP_OBJECTIVE})
    fields["learner"] = learner
  else:
    fields["learner"] = _gradient_learner_arguments(fields, warpgrad)


def _gradient_learner_arguments(fields, warpgrad):
  """A few-shot learner's arguments as `_few_shot.build_learner` read them
  before: the inner loop's fields, the loss scale of
  `inner_loss_reduction`, the options passed only where set, and
  `config.warpgrad`'s for WarpGrad's learners (ignored by the others)."""
  reduction = fields.pop("inner_loss_reduction", "mean")
  learner = {
      "loss": fields.pop("loss", "mse"),
      "num_inner_steps": fields.pop("num_inner_steps"),
      "inner_learning_rate": fields.pop("inner_learning_rate"),
      "inner_loss_scale": (float(fields.get("ways", 1))
                           if reduction == "sum_over_shots" else 1.0),
  }
  for name in ("first_order", "batch_norm", "inner_batch_size"):
    value = fields.pop(name, None)
    if value is not None and (value or name == "first_order"):
      learner[name] = value
  algorithm = fields["algorithm"]
  if algorithm in _WARPGRAD_LEARNERS:
    options = dict(warpgrad)
    mode = options.pop("training_mode", "online")
    replay = options.pop("replay_batch_size", 1)
    interval = options.pop("warp_update_interval", 1)
    if mode in _SCHEMES:
      fields["algorithm"], own = _SCHEMES[mode]
      learner[own] = replay if mode == "offline" else interval
      if algorithm != "warpgrad":
        learner["init_objective"] = algorithm.split("_")[1]
    learner.update(options)
  return learner
