# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Every config's training step lowers to XLA on CPU (the TPU prerequisite),
or names the ops that prevent it.

Each config variant's learner is built at tiny sizes, its `train_step` put
in one `tf.function(jit_compile=True)` with the batch made inside it where
the config's tasks are a stream made in the graph (as the trainer's
multi-step call makes them), else fed (the data a download would give, as
zeros of its shapes), and lowered to XLA's HLO: every op must have an XLA
kernel. The configs that run without XLA by default, for speed, are
included. Where a step cannot lower, `CANNOT` names the op and why, and the
test checks that it still fails there (so the list stays true). TPUs have
no float64: the steps are lowered with `precision.wide_float` as a TPU
gives it (float32), and no float64 may be left in their HLO.
"""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import experiments
from kerasmeta import precision
from kerasmeta.algorithms import base
from kerasmeta.tasks import Task
from kerasmeta.tasks import alphabets
from kerasmeta.tasks import base as tasks_base
from kerasmeta.training import optimizers
from kerasmeta.training import steps
from tests.experiments import configs_test

# (config, variant) -> (the op in the error, why): steps that do not lower
# to XLA (their learners declare compiles_with_xla = "never").
CANNOT = {
    ("navigation", "maml_trpo"): (
        "XlaDynamicUpdateSlice",
        "TRPO's Fisher-vector products differentiate the gradient of the "
        "KL through the loop over tasks, whose outputs XLA's context writes "
        "with XlaDynamicUpdateSlice, an op with no gradient"),
}
# Configs whose data is a download: their batches are fed (the stream that
# cannot be made under XLA, the augmented alphabets', is checked below).
DOWNLOADED = ("omniglot", "omniglot_alphabets", "mini_imagenet",
              "warpgrad_mini_imagenet")
BATCH = 2


# One case per distinct step: every learner on the sinusoid's MLP with the
# cells whose op sets are not contained in another's (MT-net's T and unit
# mask hold T-net's and M-net's ops, mtnet_full mnet_full's); on conv4 and
# the glyph stream made in the graph, MAML and MT-net; each downloaded
# config once, its batch fed; one case of the polynomial stream (its
# learners are the sinusoid's); every variant of the other families (each
# its own learner, network or estimator) but those that share another
# case's step at other sizes, settings or initialisation.
SAME_STEP_AS_ANOTHER = (
    ("sinusoid", "tnet"), ("sinusoid", "mnet"), ("sinusoid", "mnet_full"),
    # ContinualWarpGrad trains warp_leap_continual as warp_maml_continual.
    ("sinusoid", "warp_leap_continual"),
    # The baselines continual_sine evaluates are not meta-trained.
    ("continual_sine", "sgd"), ("continual_sine", "ewc"),
    # LEO at other sizes; a linear learner as meta_sgd,tiered,1's.
    ("leo", "leo,mini,5"), ("leo", "maml,glyphs,5"),
    # The Warp-RNN with the reference's initialisation or sizes.
    ("maze", "warp_rnn_reference_init"), ("maze", "warp_rnn,paper"),
    # maml's step with another estimator or budget.
    ("navigation", "fomaml"), ("navigation", "pretrained_paper"),
    ("navigation", "random"), ("navigation", "maml_ppo"),
    ("navigation", "pretrained"))
CASES = (
    [("sinusoid", variant) for variant in configs_test.VARIANTS["sinusoid"]
     if ("sinusoid", variant) not in SAME_STEP_AS_ANOTHER]
    + [("glyphs", variant) for variant in ("maml", "mtnet")]
    + [(name, configs_test.VARIANTS[name][0]) for name in DOWNLOADED
       if name != "mini_imagenet"]  # omniglot's step at other sizes
    + [("polynomial", "mtnet,2")]
    + [(name, variant) for name in (
        "continual_sine", "warp_surfaces", "leo", "learned_optimizer",
        "maze", "navigation")
       for variant in configs_test.VARIANTS[name]
       if (name, variant) not in SAME_STEP_AS_ANOTHER])


def _config(name, variant):
  config = configs_test._config(name, variant)  # pylint: disable=protected-access
  config.meta_batch_size = BATCH
  if "learner" in config and "num_steps" in config.learner and \
      "truncation" in config.learner:  # the learned optimiser
    config.learner.update(num_steps=4, truncation=2)
  if name == "navigation":  # short episodes, few of them
    config.horizon = 5
    config.learner.num_episodes = 2
  return config


def _stream(config):
  """The config's task stream, or None where its data is a download."""
  if config.task in DOWNLOADED or "omniglot" in config.task or \
      "imagenet" in config.task:
    return None
  try:
    tasks = experiments.task_distribution(config)
  except (ValueError, OSError, FileNotFoundError):
    return None
  return tasks if isinstance(tasks, tasks_base.TaskStream) else None


def _fed_batch(config, learner):
  """A batch of zeros of the shapes the config's data would have."""
  if "features" in config:  # LEO and its baselines: embeddings
    shape = (int(config.features),)
  else:
    shape = tuple(learner.model.input_shape[1:])
  ways, shots, queries = config.ways, config.shots, config.num_query
  part = lambda count: (
      tf.zeros([BATCH, ways * count, *shape]),
      tf.tile(tf.repeat(tf.range(ways), count)[tf.newaxis, :, tf.newaxis],
              [BATCH, 1, 1]))
  return Task(*part(shots), *part(queries)), tf.zeros([BATCH, 2], tf.int32)


def _lower(config):
  """Lowers the config's step to HLO (raises where an op cannot)."""
  keras.backend.clear_session()
  keras.utils.set_random_seed(0)
  config = experiments.validate_config(config)
  learner = experiments.build_learner(config)
  optimizer = optimizers.make_outer_optimizer(learner, "adam", 1e-3)
  state = steps.TrainState(learner, BATCH)
  context = base.StepContext(global_batch_size=BATCH, jit_compile=True,
                             compile=lambda fn: fn)
  stream = _stream(config)

  def step(batch_index, fed):
    batch = stream.batch(0, batch_index, BATCH) if stream is not None \
        else fed
    new_state, metrics = learner.train_step(state.read(), batch, optimizer,
                                            context)
    state.write(new_state)
    return metrics

  fed = None if stream is not None else _fed_batch(config, learner)
  function = tf.function(step, jit_compile=True, autograph=False)
  return function.experimental_get_compiler_ir(
      tf.constant(0, tf.int64), fed)(stage="hlo")


@pytest.mark.slow
@pytest.mark.parametrize("name,variant", CASES)
def test_every_configs_step_lowers_to_xla_without_float64(name, variant,
                                                         monkeypatch):
  config = _config(name, variant)
  monkeypatch.setattr(precision, "wide_float", lambda: tf.float32)
  if (name, variant) in CANNOT:
    with pytest.raises(Exception, match=CANNOT[name, variant][0]):
      _lower(config)
    return
  hlo = _lower(config)
  assert "HloModule" in hlo
  assert not re.findall(r"\bf64\[[^\n]*", hlo)[:3]


@pytest.mark.parametrize("augment", [False, True])
def test_the_alphabets_stream_lowers_without_its_augmentation_only(augment):
  # omniglot_alphabets' tasks are made in the trainer's compiled call only
  # where they lower (`AlphabetTasks.compiles_with_xla`).
  stream = alphabets.AlphabetTasks(
      np.zeros([3, 5, 4, 8, 8, 1], np.float32), train_per_character=2,
      augment=augment)
  assert stream.compiles_with_xla == (not augment)
  lower = lambda: tf.function(
      lambda: stream.batch(0, tf.constant(0, tf.int64), BATCH),
      jit_compile=True, autograph=False).experimental_get_compiler_ir()(
          stage="hlo")
  if augment:
    with pytest.raises(Exception, match="ImageProjectiveTransformV3"):
      lower()
  else:
    assert "HloModule" in lower()
