# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""An export stopped part way leaves no version a server would load, for
every learner family that exports (they share `versions.save_atomically`)."""

import os

import keras
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import export
from tests import helpers


def _learners():
  keras.utils.set_random_seed(0)
  return {
      "gradient": km.MAML(helpers.tiny_mlp(dtype="float32"),
                          inner_learning_rate=0.1),
      "leo": km.LEO(6, 3, num_latents=4, num_latent_steps=1,
                    num_finetuning_steps=1),
      "policy": km.PolicyGradientMAML(km.rl.gaussian_mlp_policy(2, 2),
                                      km.envs.Navigation2D()),
  }


@pytest.mark.parametrize("family", ["gradient", "leo", "policy"])
def test_an_interrupted_export_leaves_no_version_on_every_family(
    tmp_path, monkeypatch, family):
  learner = _learners()[family]
  model_dir = tmp_path / "model"
  real_save = tf.saved_model.save

  def save_then_stop(module, path, signatures=None):
    real_save(module, path, signatures=signatures)
    os.remove(os.path.join(path, "saved_model.pb"))  # half written...
    raise KeyboardInterrupt  # ...and the process stopped

  monkeypatch.setattr(tf.saved_model, "save", save_then_stop)
  with pytest.raises(KeyboardInterrupt):
    export.export_adapter(learner, str(model_dir / "1"))
  monkeypatch.setattr(tf.saved_model, "save", real_save)
  assert [name for name in os.listdir(model_dir)
          if not name.startswith(".")] == []
  assert export.next_version(str(model_dir)) == 1
  export.export_adapter(learner, str(model_dir / "1"))
  assert tf.saved_model.load(str(model_dir / "1")).signatures
