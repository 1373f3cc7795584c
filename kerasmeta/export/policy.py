# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Meta-learned policies as SavedModels that TF Serving serves.

`kerasmeta.export.export_adapter` writes one for a `PolicyGradientMAML`
learner. A client acts with the meta-learned policy, sends the episodes it collected
(the support transitions), and gets the adapted policy's actions:

  act(observations)
      theta_0's Gaussian at each observation [M, obs]: `means` and
      `log_stds` [M, act] (sample from it to collect episodes).
  adapt_and_act(observations, actions, rewards, alive, query_observations)
      one policy-gradient step on the episodes ([N, T, obs], [N, T, act],
      [N, T], [N, T] with 1 for the steps that happened), with the
      learner's step size, discount, baseline and advantage normalisation,
      then the adapted policy at `query_observations` [M, obs].
  adapt(observations, actions, rewards, alive) -> state, state_fingerprint
  act_with_state(state, state_fingerprint, observations)
      adapt once, act many times: the state is the adapted policy's
      weights (`kerasmeta.export.states`); acting from it equals
      `adapt_and_act` on the same episodes.
  adapt_batch(...), act_with_state_batch(state, state_fingerprint,
                                         observations)
      the same for many users: a leading task axis on every input (every
      task the same numbers of episodes, steps and observations).

Inner steps after the first need episodes of the adapted policy, which a
server cannot collect, so an adapter takes the one step MAML's navigation
policy was meta-trained for. `kerasmeta-export --workdir=DIR
--output=MODEL_DIR` writes one from a navigation workdir (its
`--max_support` caps the transitions). Inputs are checked in the graph (ranks and
sizes, finite values, `alive` in {0, 1}, caps on transitions and queries)
and so are outputs.
"""

from __future__ import annotations

import tensorflow as tf

from kerasmeta.export import checks
from kerasmeta.export import registry
from kerasmeta.export import states
from kerasmeta.export import versions
from kerasmeta import inner
from kerasmeta.algorithms import policy_gradient_maml
from kerasmeta.rl import policies
from kerasmeta.rl import rollouts


class PolicyAdapterModule(tf.Module):
  """The served adapter of a `PolicyGradientMAML` (see the module).

  Args:
    learner: a `PolicyGradientMAML` (float32 policy).
    max_transitions: the most support transitions (N * T) a request may
      send.
    max_query: the most query observations a request may send.
  """

  def __init__(self, learner: policy_gradient_maml.PolicyGradientMAML,
               max_transitions: int = 100_000,
               max_query: int = checks.DEFAULT_MAX_QUERY) -> None:
    super().__init__(name="kerasmeta_policy_adapter")
    if tf.as_dtype(learner.roles.adapted[0].dtype) != tf.float32:
      raise ValueError("A policy adapter serves float32 weights; the policy "
                       f"computes in {learner.roles.adapted[0].dtype}.")
    variables = list(learner.roles.adapted) + list(learner.roles.meta) + \
        list(learner.model.non_trainable_variables)
    checks.refuse_nonfinite([(v.path, v) for v in variables])
    self._learner = learner  # a plain object: not tracked
    self.tracked_variables = checks.raw_variables(variables)
    self.max_transitions, self.max_query = int(max_transitions), int(max_query)
    if self.max_transitions < 1 or self.max_query < 1:
      raise ValueError(f"max_transitions and max_query must be >= 1; "
                       f"received {max_transitions} and {max_query}.")
    environment = learner.environment
    self.observation_size = environment.observation_size
    self.action_size = environment.action_size
    spec = lambda name: tf.TensorSpec(None, tf.float32, name)
    self.act = tf.function(self._act, input_signature=[spec("observations")])
    self.adapt_and_act = tf.function(self._adapt_and_act, input_signature=[
        spec("observations"), spec("actions"), spec("rewards"),
        spec("alive"), spec("query_observations")])
    self.state_shapes, self.state_dtypes, self.state_size = states.layout(
        learner.roles.adapted)
    self.state_fingerprint = tf.constant(states.fingerprint(
        [(v.path, v.numpy()) for v in variables]))
    self.adapt = tf.function(self._adapt, input_signature=[
        spec("observations"), spec("actions"), spec("rewards"),
        spec("alive")])
    self.act_with_state = tf.function(self._act_with_state, input_signature=[
        spec("state"), tf.TensorSpec(None, tf.string, "state_fingerprint"),
        spec("observations")])
    self.adapt_batch = tf.function(self._adapt_batch, input_signature=[
        spec("observations"), spec("actions"), spec("rewards"),
        spec("alive")])
    self.act_with_state_batch = tf.function(
        self._act_with_state_batch, input_signature=[
            spec("state"), tf.TensorSpec(None, tf.string, "state_fingerprint"),
            spec("observations")])

  def _outputs(self, params, observations):
    outputs, = checks.diverged_check(
        [self._learner.policy_outputs(params, observations)], "outputs")
    means, log_stds = policies.split_outputs(outputs)
    return {"means": means, "log_stds": log_stds}

  def _act(self, observations):
    observations = checks.check_features(
        observations, "observations", [self.observation_size],
        self.max_query)
    return self._outputs(self._learner.initial_values(), observations)

  def _check_episodes(self, observations, actions, rewards, alive):
    size = lambda t: tf.shape(t)
    rank = lambda t: tf.size(tf.shape(t))
    lead = size(rewards)
    episodes_of = lambda t, tail: tf.logical_and(
        tf.equal(rank(t), 2 + len(tail)),
        tf.reduce_all(tf.equal(tf.concat([size(t), [0] * 3], 0)[:2 + len(tail)],
                               tf.concat([lead, tail], 0))))
    conditions = [
        tf.debugging.Assert(tf.equal(rank(rewards), 2),
                            ["rewards must have shape [episodes, steps]; "
                             "received", size(rewards)]),
        tf.debugging.Assert(episodes_of(alive, []),
                            ["alive must have the shape of rewards; "
                             "received", size(alive), "and", lead]),
        tf.debugging.Assert(episodes_of(observations, [self.observation_size]),
                            [f"observations must have shape [episodes, "
                             f"steps, {self.observation_size}]; received",
                             size(observations)]),
        tf.debugging.Assert(episodes_of(actions, [self.action_size]),
                            [f"actions must have shape [episodes, steps, "
                             f"{self.action_size}]; received", size(actions)]),
        tf.debugging.assert_greater(tf.size(rewards), 0,
                                    message="send at least one transition"),
        tf.debugging.assert_less_equal(
            tf.size(rewards), self.max_transitions,
            message=f"at most {self.max_transitions} transitions (a cap set "
                    "at export)"),
        tf.debugging.Assert(tf.reduce_all(tf.logical_or(
            tf.equal(alive, 0.0), tf.equal(alive, 1.0))),
                            ["alive must hold 0 or 1"])]
    observations, actions, rewards, alive = checks.after(
        conditions, observations, actions, rewards, alive)
    # Once the shapes hold: each episode is alive from its first step to its
    # end, then over (no holes), so that its returns are defined.
    values = checks.after([
        tf.debugging.Assert(tf.reduce_all(tf.equal(alive[:, 0], 1.0)), [
            "alive must be 1 at every episode's first step (an episode with "
            "no live step has no return)"]),
        tf.debugging.Assert(tf.reduce_all(alive[:, 1:] <= alive[:, :-1]), [
            "alive must be 1 up to an episode's end and 0 after it (no "
            "holes such as 1, 0, 1)"])], observations, actions, rewards, alive)
    names = ("observations", "actions", "rewards", "alive")
    return [tf.debugging.check_numerics(v, f"{n} holds NaN or Inf values")
            for v, n in zip(values, names)]

  def _adapt_and_act(self, observations, actions, rewards, alive,
                     query_observations):
    params = self._adapted(observations, actions, rewards, alive)
    query = checks.check_features(
        query_observations, "query_observations", [self.observation_size],
        self.max_query)
    return self._outputs(params, query)

  def _adapt(self, observations, actions, rewards, alive):
    params = self._adapted(observations, actions, rewards, alive)
    return {"state": states.flatten(params),
            "state_fingerprint": tf.identity(self.state_fingerprint)}

  def _act_with_state(self, state, state_fingerprint, observations):
    state = states.check_state(state, state_fingerprint,
                               self.state_fingerprint, self.state_size)
    observations = checks.check_features(
        observations, "observations", [self.observation_size],
        self.max_query)
    return self._outputs(states.unflatten(
        state, self.state_shapes, self.state_dtypes), observations)

  def _adapt_batch(self, observations, actions, rewards, alive):
    """`adapt` of each task's episodes, `[tasks, episodes, steps, ...]`
    (every task the same numbers of episodes and steps; the transitions
    cap bounds all tasks together)."""
    total = tf.debugging.assert_less_equal(
        tf.size(rewards), self.max_transitions,
        message=f"at most {self.max_transitions} transitions in all tasks "
                "(a cap set at export)")
    ranks = tf.debugging.Assert(
        tf.equal(tf.size(tf.shape(rewards)), 3),
        ["rewards must have shape [tasks, episodes, steps]; received",
         tf.shape(rewards)])
    tasks = checks.same_tasks(observations=observations, actions=actions,
                              rewards=rewards, alive=alive)
    episodes = checks.after([total, ranks, tasks], observations, actions,
                            rewards, alive)
    state = tf.map_fn(
        lambda task: states.flatten(self._adapted(*task)), tuple(episodes),
        fn_output_signature=tf.TensorSpec([self.state_size], tf.float32))
    return {"state": state, "state_fingerprint": tf.fill(
        tf.shape(state)[:1], self.state_fingerprint)}

  def _act_with_state_batch(self, state, state_fingerprint, observations):
    observations = checks.check_task_batch(
        observations, "observations", [self.observation_size],
        self.max_query)
    state = states.check_state_batch(state, state_fingerprint,
                                     self.state_fingerprint, self.state_size,
                                     tf.shape(observations)[0])
    outputs = tf.map_fn(
        lambda task: self._learner.policy_outputs(states.unflatten(
            task[0], self.state_shapes, self.state_dtypes), task[1]),
        (state, observations), fn_output_signature=tf.float32)
    outputs, = checks.diverged_check([outputs], "outputs")
    means, log_stds = policies.split_outputs(outputs)
    return {"means": means, "log_stds": log_stds}

  def _adapted(self, observations, actions, rewards, alive):
    """The policy after one policy-gradient step on checked episodes."""
    learner = self._learner
    paths = rollouts.Paths(*self._check_episodes(observations, actions,
                                                 rewards, alive))
    # Static ranks and sizes for the graph (the checks above hold them).
    count = tf.shape(paths.rewards)[0]
    paths = rollouts.Paths(
        tf.reshape(paths.observations, [count, -1, self.observation_size]),
        tf.reshape(paths.actions, [count, -1, self.action_size]),
        tf.reshape(paths.rewards, [count, -1]),
        tf.reshape(paths.alive, [count, -1]))
    transform = learner.inner_transform(first_order=True)
    params = learner.initial_values()
    advantages = learner.advantages(paths)
    params, _, _ = inner.step(
        lambda values: learner.surrogate_loss(values, paths, advantages,
                                              magic=False),
        params, transform, transform.init(params))
    return checks.diverged_check(params, "adapted weights")


def export_policy_adapter(
    learner: policy_gradient_maml.PolicyGradientMAML, path: str,
    max_transitions: int = 100_000,
    max_query: int = checks.DEFAULT_MAX_QUERY) -> PolicyAdapterModule:
  """Writes the adapter SavedModel of a `PolicyGradientMAML` to `path`.

  Returns:
    The `PolicyAdapterModule` that was saved.
  """
  module = PolicyAdapterModule(learner, max_transitions, max_query)
  signatures = {"serving_default": module.adapt_and_act,
                "adapt_and_act": module.adapt_and_act, "act": module.act,
                "adapt": module.adapt,
                "act_with_state": module.act_with_state,
                "adapt_batch": module.adapt_batch,
                "act_with_state_batch": module.act_with_state_batch}
  versions.save_atomically(module, path, signatures)
  return module


def _export(learner, path, options):
  # Its support set is transitions: max_support caps their number.
  return export_policy_adapter(learner, path,
                               max_transitions=(options.max_support or
                                                checks.DEFAULT_MAX_SUPPORT),
                               max_query=options.max_query)


registry.register(policy_gradient_maml.PolicyGradientMAML, _export)
