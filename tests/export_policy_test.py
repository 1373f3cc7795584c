# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Policy adapters: the served step equals the learner's, inputs checked."""

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import export


def _learner():
  environment = km.envs.Navigation2D(horizon=8)
  policy = km.rl.gaussian_mlp_policy(2, 2, hidden_units=(16,), seed=1)
  return km.PolicyGradientMAML(policy, environment, inner_learning_rate=0.5,
                               num_episodes=4)


def test_served_adaptation_is_one_policy_gradient_step_of_the_learner(
    tmp_path):
  learner = _learner()
  export.export_adapter(learner, str(tmp_path / "1"))
  served = tf.saved_model.load(str(tmp_path / "1"))
  paths = learner.sample(learner.initial_values(), tf.constant([0.3, -0.2]),
                         tf.constant([3, 4]))
  query = tf.constant([[0.0, 0.0], [0.1, -0.1], [0.25, -0.2]])
  answer = served.signatures["adapt_and_act"](
      observations=paths.observations, actions=paths.actions,
      rewards=paths.rewards, alive=paths.alive, query_observations=query)
  # The same step by hand: the plain surrogate, SGD at alpha.
  params = learner.initial_values()
  advantages = learner.advantages(paths)
  with tf.GradientTape() as tape:
    tape.watch(params)
    loss = learner.surrogate_loss(params, paths, advantages, magic=False)
  adapted = [p - 0.5 * g for p, g in zip(params, tape.gradient(loss, params))]
  want = learner.policy_outputs(adapted, query).numpy()
  np.testing.assert_allclose(answer["means"].numpy(), want[:, :2], rtol=1e-5,
                             atol=1e-6)
  np.testing.assert_allclose(answer["log_stds"].numpy(), want[:, 2:],
                             rtol=1e-5, atol=1e-6)
  before = served.signatures["act"](observations=query)
  assert not np.allclose(before["means"].numpy(), answer["means"].numpy())
  # Adapt once, act many times from the stored state: the same policy.
  stored = served.signatures["adapt"](
      observations=paths.observations, actions=paths.actions,
      rewards=paths.rewards, alive=paths.alive)
  again = served.signatures["act_with_state"](observations=query, **stored)
  for name in ("means", "log_stds"):
    np.testing.assert_allclose(again[name].numpy(), answer[name].numpy(),
                               atol=1e-6)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="not a state of layout v1"):
    served.signatures["act_with_state"](
        observations=query, state=stored["state"],
        state_fingerprint=tf.constant("v0"))
  # Two users at once: each answer as its single request.
  other = learner.sample(learner.initial_values(), tf.constant([-0.3, 0.1]),
                         tf.constant([5, 6]))
  batch = served.signatures["adapt_batch"](**{
      name: tf.stack([getattr(paths, name), getattr(other, name)])
      for name in ("observations", "actions", "rewards", "alive")})
  acted = served.signatures["act_with_state_batch"](
      observations=tf.stack([query, query]), **batch)
  np.testing.assert_allclose(acted["means"][0].numpy(),
                             answer["means"].numpy(), atol=1e-6)
  single = served.signatures["act_with_state"](
      observations=query, **served.signatures["adapt"](
          observations=other.observations, actions=other.actions,
          rewards=other.rewards, alive=other.alive))
  np.testing.assert_allclose(acted["means"][1].numpy(),
                             single["means"].numpy(), atol=1e-6)


def test_bad_episodes_are_refused_before_any_op_reads_them(tmp_path):
  learner = _learner()
  export.export_adapter(learner, str(tmp_path / "1"))
  adapt = tf.saved_model.load(str(tmp_path / "1")).signatures["adapt_and_act"]
  good = dict(observations=tf.zeros([2, 3, 2]), actions=tf.zeros([2, 3, 2]),
              rewards=tf.zeros([2, 3]), alive=tf.ones([2, 3]),
              query_observations=tf.zeros([1, 2]))
  adapt(**good)
  for name, value, message in [
      ("actions", tf.zeros([2, 3, 3]), "actions must have shape"),
      ("alive", tf.fill([2, 3], 0.5), "alive must hold 0 or 1"),
      ("alive", tf.constant([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]]),
       "no holes such as 1, 0, 1"),
      ("alive", tf.zeros([2, 3]), "alive must be 1 at every episode"),
      ("rewards", tf.fill([2, 3], np.nan), "rewards holds NaN"),
      ("observations", tf.zeros([2, 4, 2]), "observations must have shape"),
      ("query_observations", tf.zeros([1, 3]), "query_observations must")]:
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
      adapt(**{**good, name: value})
