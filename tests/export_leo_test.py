# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""LEO adapters: answers equal LEO's own, options, checks, fresh process."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import export
from tests import helpers

WAYS, FEATURES = 3, 6


@pytest.fixture(scope="module")
def leo_adapter(tmp_path_factory):
  keras.utils.set_random_seed(0)
  learner = km.LEO(FEATURES, WAYS, num_latents=4, num_latent_steps=2,
                   num_finetuning_steps=2, finetuning_learning_rate=0.1)
  rng = np.random.default_rng(0)
  for variable in learner.networks.trainable_variables[2:]:  # the kernels
    variable.assign(rng.normal(size=variable.shape).astype("float32") * 0.5)
  path = str(tmp_path_factory.mktemp("leo") / "1")
  export.export_adapter(learner, path, max_steps=10)
  return learner, path, tf.saved_model.load(path)


def _request(shots, seed=0, queries=4):
  rng = np.random.default_rng(seed)
  support_x = rng.normal(size=(WAYS * shots, FEATURES)).astype("float32")
  support_y = np.tile(np.arange(WAYS), shots).astype("int32")  # mixed order
  query_x = rng.normal(size=(queries, FEATURES)).astype("float32")
  return support_x, support_y, query_x


def _python_answer(learner, support_x, support_y, query_x, **kwargs):
  task = km.Task(support_x, support_y[:, None], query_x, query_x[:, :0])
  return tf.nn.softmax(learner.predict(learner.adapt(task, **kwargs),
                                       query_x)).numpy()


@pytest.mark.parametrize("shots", [1, 5])
def test_leo_adapter_answers_equal_leo_in_python(leo_adapter, shots):
  learner, _, loaded = leo_adapter
  support_x, support_y, query_x = _request(shots)
  served = loaded.signatures["adapt_and_predict"](
      support_x=support_x, support_y=support_y, query_x=query_x)
  np.testing.assert_allclose(served["probabilities"],
                             _python_answer(learner, support_x, support_y,
                                            query_x), atol=1e-5)
  assert served["classes"].shape == (4,)
  assert set(loaded.signatures) == {
      "serving_default", "adapt_and_predict",
      "adapt_and_predict_with_options", "adapt", "predict_with_state",
      "adapt_batch", "predict_with_state_batch"}


def test_leo_adapter_takes_steps_and_rate_per_request(leo_adapter):
  learner, _, loaded = leo_adapter
  support_x, support_y, query_x = _request(2)
  served = loaded.signatures["adapt_and_predict_with_options"](
      support_x=support_x, support_y=support_y, query_x=query_x,
      num_steps=tf.constant(4), learning_rate=tf.constant(0.5))
  np.testing.assert_allclose(
      served["probabilities"],
      _python_answer(learner, support_x, support_y, query_x,
                     num_steps=4, rate_scale=0.5), atol=1e-5)


@pytest.mark.parametrize("change,message", [
    (dict(support_y=np.array([0, 1, 2, 0, 1, 1], np.int32)),
     "K of each of 0..2"),
    (dict(support_y=np.array([0, 1, 3, 0, 1, 2], np.int32)),
     "labels must be < 3"),
    (dict(support_x=np.zeros((6, 5), np.float32)),
     r"support_x must have shape \[points, 6\]"),
    (dict(query_x=np.full((2, 6), np.nan, np.float32)), "NaN or Inf"),
    (dict(support_y=np.array(1, np.int32)),
     "support_y must have one entry per support point"),
])
def test_bad_leo_requests_fail_with_a_clear_message(leo_adapter, change,
                                                    message):
  _, _, loaded = leo_adapter
  support_x, support_y, query_x = _request(2)
  request = dict(support_x=support_x, support_y=support_y, query_x=query_x)
  request.update(change)
  with pytest.raises(tf.errors.InvalidArgumentError, match=message):
    loaded.signatures["adapt_and_predict"](**request)


def test_leo_adapter_answers_in_a_process_without_kerasmeta(leo_adapter):
  learner, path, _ = leo_adapter
  support_x, support_y, query_x = _request(1)
  served = helpers.answer_in_fresh_process(
      path, dict(support_x=support_x, support_y=support_y, query_x=query_x),
      "probabilities", dtypes={"support_y": "int32"})
  np.testing.assert_allclose(
      served,
      _python_answer(learner, support_x, support_y, query_x), atol=1e-5)


def test_leo_caps_its_support_set_from_the_model(leo_adapter, tmp_path):
  learner, _, loaded = leo_adapter
  cap = WAYS * export.leo.DEFAULT_MAX_SHOTS
  support_x, support_y, query_x = _request(export.leo.DEFAULT_MAX_SHOTS)
  answer = loaded.signatures["adapt_and_predict"](
      support_x=support_x, support_y=support_y, query_x=query_x)
  assert answer["probabilities"].shape == (len(query_x), WAYS)
  assert len(support_x) == cap
  support_x, support_y, query_x = _request(export.leo.DEFAULT_MAX_SHOTS + 1)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=f"at most {cap}"):
    loaded.signatures["adapt_and_predict"](
        support_x=support_x, support_y=support_y, query_x=query_x)
  with pytest.raises(ValueError, match=r"max_support must be in 1\.\.300 "
                     r"\(ways x 100 shots"):
    export.export_adapter(learner, str(tmp_path / "1"), max_support=10_000)


def test_the_leo_adapter_reads_raw_embeddings_as_training_did(leo_adapter):
  _, _, loaded = leo_adapter
  support_x, support_y, query_x = _request(2)
  unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)
  answer = lambda sx, qx: loaded.signatures["adapt_and_predict"](
      support_x=sx, support_y=support_y, query_x=qx)["probabilities"]
  np.testing.assert_allclose(answer(support_x * 7.0, query_x * 0.2),
                             answer(unit(support_x), unit(query_x)),
                             rtol=1e-5, atol=1e-6)


def test_a_stored_leo_state_answers_as_adapting_per_request(leo_adapter):
  # The state is the decoded, fine-tuned classifier: no encoder, relation
  # network or latent steps when predicting from it.
  _, _, loaded = leo_adapter
  support_x, support_y, query_x = _request(shots=2)
  stored = loaded.signatures["adapt"](support_x=support_x,
                                      support_y=support_y)
  assert stored["state"].shape == (WAYS * FEATURES,)
  served = loaded.signatures["predict_with_state"](query_x=query_x, **stored)
  np.testing.assert_allclose(
      served["probabilities"],
      loaded.signatures["adapt_and_predict"](
          support_x=support_x, support_y=support_y,
          query_x=query_x)["probabilities"], atol=1e-6)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="belongs to another adapter"):
    loaded.signatures["predict_with_state"](
        query_x=query_x, state=stored["state"],
        state_fingerprint=tf.constant("kerasmeta-state-v1:0"))


def test_a_batch_of_leo_users_equals_their_single_requests(leo_adapter):
  _, _, loaded = leo_adapter
  requests = [_request(shots=2, seed=seed) for seed in range(2)]
  support_x, support_y, query_x = (np.stack(part)
                                   for part in zip(*requests))
  stored = loaded.signatures["adapt_batch"](support_x=support_x,
                                            support_y=support_y)
  served = loaded.signatures["predict_with_state_batch"](query_x=query_x,
                                                         **stored)
  for task, (x, y, q) in enumerate(requests):
    np.testing.assert_allclose(
        served["probabilities"][task],
        loaded.signatures["adapt_and_predict"](
            support_x=x, support_y=y, query_x=q)["probabilities"], atol=1e-6)
