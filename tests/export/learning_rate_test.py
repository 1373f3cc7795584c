# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""A served `learning_rate` means one thing for every adapter: alpha, the
trained base step size, with learned step sizes moving in proportion."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import export
from tests import helpers


def _regression_request():
  support_x = np.linspace(-2, 2, 5, dtype=np.float32)[:, None]
  return dict(support_x=support_x, support_y=np.sin(support_x),
              query_x=np.array([[0.3], [1.1]], np.float32))


def _classification_request(ways=3, features=6, shots=2):
  rng = np.random.default_rng(0)
  return dict(
      support_x=rng.normal(size=(ways * shots, features)).astype("float32"),
      support_y=np.tile(np.arange(ways), shots).astype("int32"),
      query_x=rng.normal(size=(4, features)).astype("float32"))


def _learners():
  keras.utils.set_random_seed(0)
  return {
      "maml": (km.MAML(helpers.tiny_mlp(dtype="float32"), num_inner_steps=2,
                       inner_learning_rate=0.1), 0.1, _regression_request()),
      "meta_sgd": (km.MetaSGD(helpers.tiny_mlp(dtype="float32"),
                              num_inner_steps=2, inner_learning_rate=0.05),
                   0.05, _regression_request()),
      "leo": (km.LEO(6, 3, num_latents=4, num_latent_steps=2,
                     num_finetuning_steps=1, latent_learning_rate=0.7),
              0.7, _classification_request()),
  }


@pytest.mark.parametrize("name", ["maml", "meta_sgd", "leo"])
def test_the_served_learning_rate_is_alpha_and_scales_learned_rates(
    name, tmp_path):
  learner, alpha, request = _learners()[name]
  if name == "meta_sgd":  # learned rates that differ from alpha
    rates = learner.extra_variables
    for rate in rates:
      rate.assign(rate * np.linspace(0.5, 2.0, int(np.prod(rate.shape)),
                                     dtype="float32").reshape(rate.shape))
  path = str(tmp_path / "1")
  export.export_adapter(learner, path, max_steps=5)
  served = tf.saved_model.load(path).signatures
  steps = tf.constant(2, tf.int32)
  default = served["adapt_and_predict"](**request)["predictions"]
  at_alpha = served["adapt_and_predict_with_options"](
      **request, num_steps=steps,
      learning_rate=tf.constant(alpha, tf.float32))["predictions"]
  np.testing.assert_allclose(at_alpha, default, rtol=1e-5, atol=1e-6)
  doubled = served["adapt_and_predict_with_options"](
      **request, num_steps=steps,
      learning_rate=tf.constant(2 * alpha, tf.float32))
  support_y = request["support_y"].reshape(len(request["support_x"]), -1)
  task = km.tasks.base.as_task(request["support_x"], support_y)
  if name == "leo":  # both learned rates doubled
    expected = tf.nn.softmax(learner.predict(
        learner.adapt(task, rate_scale=2.0), request["query_x"]))
    answer = doubled["probabilities"]
  else:  # alpha doubled; Meta-SGD: every learned rate doubled
    expected = learner.predict(
        learner.adapt(task, deterministic=True, learning_rate=2 * alpha),
        request["query_x"])
    answer = doubled["predictions"]
  np.testing.assert_allclose(answer, expected, rtol=1e-4, atol=1e-5)
  if name == "meta_sgd":
    np.testing.assert_allclose(
        learner.learning_rates(2 * alpha)[0],
        2 * learner.learning_rates()[0], rtol=1e-6)
