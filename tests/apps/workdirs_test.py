# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The apps' shared pieces: the evaluation's TensorBoard scalars."""

import glob
import os

import numpy as np
import tensorflow as tf

from kerasmeta.apps import workdirs


def _scalars(directory):
  found = {}
  for path in glob.glob(os.path.join(directory, "events.out.tfevents.*")):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        found.setdefault(value.tag, {})[event.step] = float(
            tf.make_ndarray(value.tensor))
  return found


def test_an_evaluation_is_written_per_k_and_inner_step(tmp_path):
  results = {"5": {"0": {"mean": 3.0, "ci95": 0.2},
                   "1": {"mean": 1.0, "ci95": 0.1}},
             "10": {"0": {"mean": 2.5, "ci95": 0.2}},
             "accuracy": 0.75}
  workdirs.write_tensorboard(results, str(tmp_path), trained_step=600)
  scalars = _scalars(str(tmp_path))
  assert scalars["eval/K=5/mean"] == {0: 3.0, 1: 1.0}
  assert scalars["eval/K=5/ci95"] == {0: np.float32(0.2), 1: np.float32(0.1)}
  assert scalars["eval/K=10/mean"] == {0: 2.5}
  assert scalars["eval/accuracy"] == {600: 0.75}
