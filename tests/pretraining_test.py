# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Glyph features pre-trained by classification, written as LEO's files."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from kerasmeta import pretraining
from kerasmeta.apps.configs import glyph_features
from kerasmeta.apps.configs import glyphs as glyph_experiments
from kerasmeta.tasks import embeddings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config(**fields):
  """6 alphabets of 2 characters (8 training classes), 6 drawings each,
  14x14, 8 features: a run of seconds."""
  config = glyph_features.get_config()
  config.data_dir = ""  # generated, not cached
  config.input_shape = (14, 14, 1)
  config.glyphs.update(dict(num_alphabets=6, characters_per_alphabet=2,
                            samples_per_character=6))
  config.rotations = (0, 180)
  config.update({**dict(feature_size=8, epochs=1, batch_size=8,
                       holdout_per_class=2), **fields})
  return config


class _Epochs(keras.callbacks.Callback):
  """Records the epochs `fit` runs; raises after epoch `stop`, if given."""

  def __init__(self, stop=None):
    super().__init__()
    self.stop, self.seen = stop, []

  def on_epoch_begin(self, epoch, logs=None):
    self.seen.append(epoch)

  def on_epoch_end(self, epoch, logs=None):
    if epoch == self.stop:
      raise KeyboardInterrupt


def test_the_dataset_is_the_glyph_experiments_one():
  assert glyph_features.get_config().glyphs == \
      glyph_experiments.get_config().glyphs


def _centred_similarities(split):
  """Mean cosine similarity of the (centred) features of two examples of
  one class, and of two classes."""
  features = np.concatenate(split.embeddings)
  features -= features.mean(0)
  features /= np.linalg.norm(features, axis=1, keepdims=True)
  labels = np.repeat(np.arange(len(split.counts)), split.counts)
  similar = features @ features.T
  same = labels[:, None] == labels[None]
  return similar[same & ~np.eye(len(labels), dtype=bool)].mean(), \
      similar[~same].mean()


def test_a_run_writes_three_splits_that_load_reads(tmp_path):
  config = _config(epochs=10, learning_rate=1e-2)
  result = pretraining.run(config, str(tmp_path / "run"), verbose=0)
  out = str(tmp_path / "run" / "embeddings")
  assert result.output_dir == out
  assert result.accuracy_of == "held-out examples of the training classes"
  # 16 classes: chance is 1/16; 10 epochs of 8 steps reach about 0.5.
  assert result.accuracy > 0.25
  assert result.paths["validation"] == os.path.join(
      out, "glyphs", "center", "val_embeddings.pkl")
  assert (tmp_path / "run" / pretraining.WEIGHTS).exists()
  splits = embeddings.load(out, dataset="glyphs")
  # 4 / 1 / 1 alphabets of 2 characters, each in 2 rotations.
  train = splits["train"]
  assert train.classes[:2] == ("c0000", "c0001")
  assert train.classes[8:10] == ("c0000r180", "c0001r180")
  assert [len(splits[s].classes) for s in pretraining.SPLITS] == [16, 4, 4]
  assert splits["test"].classes[0] == "c0010"
  assert set(train.counts) == {6} and train.feature_size == 8
  assert train.keys[1][5] == "glyphs-c0001-c0001_05"
  np.testing.assert_array_equal(train.labels[3], 3)
  within, between = _centred_similarities(train)
  assert within > between + 0.3  # about 0.75 against -0.05
  tasks = embeddings.EmbeddingTasks(splits["test"], ways=2, shots=1,
                                    queries=2)
  assert tasks.sample([0, 1]).query_x.shape == (4, 8)


def test_an_interrupted_run_resumes_from_its_last_epoch(tmp_path):
  config = _config(epochs=2, holdout_per_class=0)
  workdir = str(tmp_path / "run")
  first = _Epochs(stop=0)
  with pytest.raises(KeyboardInterrupt):
    pretraining.run(config, workdir, verbose=0, callbacks=[first])
  assert first.seen == [0]
  assert os.listdir(os.path.join(workdir, pretraining.BACKUP))
  assert not os.path.exists(os.path.join(workdir, pretraining.WEIGHTS))
  second = _Epochs()
  result = pretraining.run(config, workdir, verbose=0, callbacks=[second])
  assert second.seen == [1]  # not from scratch
  assert result.accuracy_of == "training examples"
  third = _Epochs()  # finished: the weights are reloaded, nothing trains
  again = pretraining.run(config, workdir, verbose=0, callbacks=[third])
  assert third.seen == [] and again.accuracy == result.accuracy


def test_a_config_the_run_cannot_use_is_refused(tmp_path):
  with pytest.raises(ValueError, match="holdout_per_class must leave "
                     "training examples of the 6 of a class; received 6"):
    pretraining.run(_config(holdout_per_class=6), str(tmp_path))
  with pytest.raises(ValueError, match=r"multiples of 90 degrees; received "
                     r"\(0, 45\)"):
    pretraining.validate_config(_config(rotations=(0, 45)))


@pytest.mark.slow
def test_the_app_prints_the_accuracy_and_where_the_embeddings_are(tmp_path):
  out = tmp_path / "out"
  run = subprocess.run(
      [sys.executable, "-m", "apps.pretrain_features",
       f"--workdir={tmp_path / 'run'}", "--config.data_dir=",
       "--config.input_shape=(14,14,1)", "--config.glyphs.num_alphabets=6",
       "--config.glyphs.characters_per_alphabet=2",
       "--config.glyphs.samples_per_character=5", "--config.rotations=(0,)",
       "--config.feature_size=4", "--config.epochs=1",
       "--config.holdout_per_class=1", f"--config.output_dir={out}"],
      cwd=ROOT, capture_output=True, text=True,
      env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
  assert run.returncode == 0, run.stderr[-3000:]
  assert "Accuracy on held-out examples of the training classes: " in \
      run.stdout
  assert f"Embeddings written to {out}" in run.stdout
  assert embeddings.load(str(out), "glyphs")["test"].counts == (5, 5)
