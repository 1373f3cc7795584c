# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import experiments
from kerasmeta import training
from kerasmeta import workdir as workdir_lib
from tests.training.trainer_test import small_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def _export(*args):
  return subprocess.run(
      [sys.executable, "-m", "export.export_adapter", *args], cwd=ROOT,
      capture_output=True, text=True,
      env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


@pytest.mark.slow
def test_workdir_exports_as_numbered_versions_that_answer_like_python(
    tmp_path):
  workdir, model_dir = tmp_path / "run", tmp_path / "models" / "sine"
  trainer = training.Trainer.from_config(small_config(num_meta_steps=4,
                                          checkpoint_every=2), str(workdir))
  trainer.train()
  first = _export(f"--workdir={workdir}", f"--output={model_dir}")
  assert first.returncode == 0, first.stderr[-2000:]
  second = _export(f"--workdir={workdir}", f"--output={model_dir}",
                   "--checkpoint=2")
  assert second.returncode == 0, second.stderr[-2000:]
  assert sorted(os.listdir(model_dir)) == ["1", "2"]
  again = _export(f"--workdir={workdir}", f"--output={model_dir}",
                  "--version=1")
  assert again.returncode != 0 and "exists" in again.stderr
  assert (model_dir / "1" / "saved_model.pb").exists()

  _, learner, path = workdir_lib.restore_learner(str(workdir))
  assert path.endswith("ckpt-4")
  support_x = np.linspace(-4, 4, 5, dtype=np.float32)[:, None]
  support_y = np.sin(support_x)
  query_x = np.array([[0.3], [1.7]], np.float32)
  served = tf.saved_model.load(str(model_dir / "1")).signatures[
      "adapt_and_predict"](support_x=support_x, support_y=support_y,
                           query_x=query_x)
  adapted, _ = learner.adapt(km.Task(support_x, support_y, query_x, query_x),
                             deterministic=True)[:2]
  np.testing.assert_allclose(served["predictions"],
                             learner.predict(adapted, query_x), atol=1e-5)


def test_a_missing_workdir_is_refused(tmp_path):
  missing = _export(f"--workdir={tmp_path / 'nothing'}",
                    f"--output={tmp_path / 'models'}")
  assert missing.returncode != 0 and "No config.json" in missing.stderr
