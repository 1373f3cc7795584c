# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""PolicyGradientMAML: the meta-gradient against finite differences and
against a closed form."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from tests import helpers


def _navigation_learner(**options):
  environment = km.envs.Navigation2D(horizon=6, goal_tolerance=0.0)
  # tanh: the first observation is the origin, where a ReLU unit with its
  # zero initial bias sits on its kink and finite differences are invalid.
  policy = km.rl.gaussian_mlp_policy(2, 2, hidden_units=(4,), seed=3,
                                     activation="tanh", dtype="float64",
                                     initial_std=0.5)
  defaults = dict(num_inner_steps=2, inner_learning_rate=0.3, num_episodes=3)
  return km.PolicyGradientMAML(policy, environment, **{**defaults, **options})


@pytest.mark.parametrize("options", [
    {"meta_gradient": "unbiased"}, {}, {"meta_gradient": "maml_code"},
    {"meta_gradient": "lvc"},
    {"baseline": "none", "normalize_advantages": False, "gae_lambda": 0.9}])
def test_meta_gradient_equals_finite_differences_of_the_replayed_objective(
    options):
  # With the episodes held fixed, DiCE's surrogate is the importance-weighted
  # objective (magic boxes = pi / pi_sampled), a smooth function of the
  # weights whose derivatives at the sampling weights are DiCE's: the
  # meta-gradient of the live objective equals its finite differences.
  learner = _navigation_learner(**options)
  task = km.envs.EnvironmentTask(tf.constant([0.3, -0.2]))
  seed = tf.constant([4, 7], tf.int32)
  deviation = 2.5  # stands in for R' - b of the sampling term
  live = learner.task_objective(task, seed)
  variables = learner.trainable_variables

  def total(result):
    return result.loss - result.inner_score * deviation

  with tf.GradientTape() as tape:
    gradients = tape.gradient(total(learner.task_objective(task, seed)),
                              variables)
  replayed = lambda: total(learner.task_objective(
      task, seed, paths=live.paths, references=live.log_probs))
  expected = helpers.finite_difference_gradients(replayed, variables)
  for got, want in zip(gradients, expected):
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-8)
  assert float(replayed()) == pytest.approx(0.0, abs=1e-12)
  if options.get("meta_gradient", "dice_hessian") != "unbiased":
    assert float(live.inner_score) == 0.0


def test_first_order_meta_gradient_holds_the_inner_updates_constant():
  # First-order MAML: the gradient of the post-adaptation surrogate at
  # theta_0 + (theta_K - theta_0), the update a constant.
  learner = _navigation_learner(meta_gradient="first_order")
  task = km.envs.EnvironmentTask(tf.constant([0.3, -0.2]))
  seed = tf.constant([4, 7], tf.int32)
  variables = learner.trainable_variables
  live = learner.task_objective(task, seed)
  updates = [a - v for a, v in zip(live.adapted, variables)]
  with tf.GradientTape() as tape:
    result = learner.task_objective(task, seed)
    gradients = tape.gradient(result.loss - 3.0 * result.inner_score,
                              variables)
  assert float(result.inner_score) == 0.0
  last = live.paths[-1]
  replayed = lambda: learner.surrogate_loss(
      [v + u for v, u in zip(variables, updates)], last,
      learner.advantages(last), live.log_probs[-1])
  expected = helpers.finite_difference_gradients(replayed, variables)
  for got, want in zip(gradients, expected):
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-8)


def test_replayed_objective_differs_from_the_live_one_away_from_theta():
  # The check above can fail: moved weights change the replayed objective
  # (the importance weights leave 1).
  learner = _navigation_learner(meta_gradient="unbiased")
  task = km.envs.EnvironmentTask(tf.constant([0.3, -0.2]))
  seed = tf.constant([4, 7], tf.int32)
  live = learner.task_objective(task, seed)
  kernel = learner.trainable_variables[0]
  kernel.assign_add(0.05 * tf.ones_like(kernel))
  moved = learner.task_objective(task, seed, paths=live.paths,
                                 references=live.log_probs)
  assert abs(float(moved.loss)) > 1e-4


def _bandit_learner(meta_gradient, alpha, std, horizon=1, discount=1.0):
  keras.utils.set_random_seed(0)
  inputs = keras.Input((1,), dtype="float64")
  means = keras.layers.Dense(1, kernel_initializer="zeros",
                             bias_initializer="zeros", dtype="float64")(inputs)
  outputs = km.rl.GaussianHead(std, trainable_std=False,
                               dtype="float64")(means)
  policy = keras.Model(inputs, outputs)
  return km.PolicyGradientMAML(
      policy, km.envs.Bandit(horizon=horizon), num_inner_steps=1,
      inner_learning_rate=alpha, num_episodes=1, meta_gradient=meta_gradient,
      discount=discount, baseline="none", normalize_advantages=False)


def _expected_gradients(alpha, std, d):
  """d/dmu of J(mu) = E[R'] and the expectations of the two biased
  estimators, for the one-pull bandit (one inner step on one sample,
  mu - g = d).

  With a = mu + std e: the inner gradient g_hat = -(d + std e)^2 e / std,
  mu' = mu + alpha g_hat, E[R' | a] = -(d + alpha g_hat)^2 - std^2, and
  E[g_hat] = -2d, E[g_hat^2] = d^4/std^2 + 18 d^2 + 15 std^2,
  E[e g_hat] = -(d^2 + 3 std^2) / std, E[e g_hat^2] = 12 d^3/std + 60 d std:
  J = -(d^2 - 4 alpha d^2 + alpha^2 E[g_hat^2]) - std^2.
  The score term's expectation is E[(e/std) E[R'|a]]; "maml_code" lacks
  it; "dice_hessian" swaps it for alpha * E[g_hat * score * dR'/dmu'] (its
  Hessian's score product), E = -2 d (1 - 4 alpha)
  - 2 alpha^2 (8 d^3/std^2 + 48 d).
  """
  exact = -2 * d + 8 * alpha * d - alpha**2 * (4 * d**3 / std**2 + 36 * d)
  score_term = -(2 * alpha * d / std) * (-(d**2 + 3 * std**2) / std) \
      - (alpha**2 / std) * (12 * d**3 / std + 60 * d * std)
  dice_hessian = -2 * d * (1 - 4 * alpha) \
      - 2 * alpha**2 * (8 * d**3 / std**2 + 48 * d)
  return {"unbiased": exact, "maml_code": exact - score_term,
          "dice_hessian": dice_hessian}


def _bandit_meta_objective(alpha, std, d, horizon, discount):
  """J(d) = E[V(mu')] on a bandit of `horizon` pulls, exactly.

  One inner step on one episode of T pulls a_t = mu + std e_t, rewards
  r_t = -(d + std e_t)^2, the learner's plain surrogate (mean over the T
  steps of logp_t G_t, G_t the discounted reward-to-go): g_hat =
  (1 / (T std)) sum_t e_t G_t and mu' = mu + alpha g_hat. The post-adaptation
  objective the surrogate's gradient estimates is the per-step mean
  reward, V(mu') = -(mu' - g)^2 - std^2 (the pulls are independent, so
  E[sum_t grad logp_t G_t] / T = grad E[r] whatever the discount). J is an
  expectation of a polynomial of degree 6 in each e_t: Gauss-Hermite
  quadrature with 5 nodes a dimension is exact.
  """
  e, w, to_go = _bandit_quadrature(5, std, d, horizon, discount)
  g_hat = np.sum(e * to_go, -1) / (horizon * std)
  return float(np.sum(w * (-(d + alpha * g_hat) ** 2))) - std**2


def _bandit_quadrature(num_nodes, std, d, horizon, discount):
  """Gauss-Hermite nodes of the T pulls' noise e [nodes^T, T], their
  weights [nodes^T], and each pull's discounted reward-to-go G_t."""
  nodes, weights = np.polynomial.hermite_e.hermegauss(num_nodes)
  weights = weights / weights.sum()
  grids = np.meshgrid(*[nodes] * horizon, indexing="ij")
  e = np.stack([g.ravel() for g in grids], -1)
  w = np.prod(np.meshgrid(*[weights] * horizon, indexing="ij"),
              axis=0).ravel()
  rewards = -(d + std * e) ** 2
  to_go = np.zeros_like(rewards)
  running = np.zeros(len(e))
  for t in reversed(range(horizon)):
    running = rewards[:, t] + discount * running
    to_go[:, t] = running
  return e, w, to_go


def _bandit_meta_gradient(alpha, std, d, horizon, discount):
  """dJ/dmu: the five-point stencil, exact for J, a polynomial of degree 4
  in d."""
  h = 0.01
  f = lambda x: _bandit_meta_objective(alpha, std, x, horizon, discount)
  return (f(d - 2 * h) - 8 * f(d - h) + 8 * f(d + h) - f(d + 2 * h)) / (
      12 * h)


def test_the_bandit_quadrature_equals_the_one_pull_closed_form():
  for d in (-1.5, 0.3):
    assert _bandit_meta_gradient(0.05, 1.0, d, 1, 1.0) == pytest.approx(
        _expected_gradients(0.05, 1.0, d)["unbiased"], rel=1e-10)


def _sampled_meta_gradients(learner, goal, num_tasks=5000, num_batches=8):
  """-d/d bias (= d/dmu of the objective) of the learner's estimate on
  `num_batches` batches of `num_tasks` tasks."""
  tasks = km.envs.EnvironmentTask(tf.fill([num_tasks, 1], goal))
  step = tf.function(learner.compute_gradients, autograph=False,
                     jit_compile=True)
  return np.array([-float(step(tasks, helpers.task_seeds(
      num_tasks, seed=batch)).gradients[1][0]) for batch in range(
          num_batches)])


@pytest.mark.slow
def test_expected_meta_gradients_equal_their_closed_forms_on_a_bandit():
  # Policy N(mu, std^2), reward -(a - g)^2, one inner step on one sample.
  # Only the "unbiased" estimator's expectation is dJ/dmu; the two others
  # are biased by amounts the closed forms give (and the sampled means
  # find), several standard errors apart.
  alpha, std, goal = 0.05, 1.0, 1.5
  expected = _expected_gradients(alpha, std, d=0.0 - goal)
  for meta_gradient, want in expected.items():
    draws = _sampled_meta_gradients(
        _bandit_learner(meta_gradient, alpha, std), goal)
    error = draws.std(ddof=1) / np.sqrt(len(draws))
    assert abs(draws.mean() - want) < 4 * error, (meta_gradient, draws.mean(),
                                                  error, expected)
    if meta_gradient != "unbiased":  # the bias is found, not within noise
      assert abs(draws.mean() - expected["unbiased"]) > 4 * error, (
          meta_gradient, draws.mean(), error, expected)


@pytest.mark.slow
@pytest.mark.parametrize("horizon,discount", [(1, 0.0), (1, 0.9), (5, 0.0),
                                              (5, 0.9)])
def test_the_unbiased_estimator_is_unbiased_over_several_discounted_pulls(
    horizon, discount):
  # Over several pulls the score term must weigh the same objective as the
  # pathwise term (the per-step mean reward): with the episode's return
  # instead, the 5-pull estimate pointed the wrong way.
  alpha, std, goal = 0.05, 1.0, 1.5
  want = _bandit_meta_gradient(alpha, std, -goal, horizon, discount)
  draws = _sampled_meta_gradients(
      _bandit_learner("unbiased", alpha, std, horizon, discount), goal)
  error = draws.std(ddof=1) / np.sqrt(len(draws))
  assert abs(draws.mean() - want) < 4 * error, (draws.mean(), error, want)
  # The test can fail: without the score term the estimate is biased.
  biased = _sampled_meta_gradients(
      _bandit_learner("maml_code", alpha, std, horizon, discount), goal)
  assert abs(biased.mean() - want) > 4 * error, (biased.mean(), want)


def _lvc_expected_meta_gradient(alpha, std, d, horizon, discount):
  """E of the "lvc" estimate on the bandit of `_bandit_meta_objective`.

  One inner step mu' = mu + alpha g_hat on ProMP's LVC surrogate
  (1/T) sum_t M(logp_t) G_t, whose Hessian is
  H_hat = (1 / (T std^2)) sum_t (e_t^2 - 1) G_t (each pull's own score
  product, none across pulls); no score term; the outer estimate's
  expectation given mu' is dV/dmu' = -2 (mu' - g). So the expectation is
  E[(1 + alpha H_hat) (-2 (d + alpha g_hat))], a polynomial of degree 7 in
  each e_t: Gauss-Hermite quadrature with 6 nodes is exact.
  """
  e, w, to_go = _bandit_quadrature(6, std, d, horizon, discount)
  g_hat = np.sum(e * to_go, -1) / (horizon * std)
  h_hat = np.sum((e**2 - 1) * to_go, -1) / (horizon * std**2)
  return float(np.sum(w * (1 + alpha * h_hat) * (-2 * (d + alpha * g_hat))))


def test_lvc_is_dice_over_one_pull():
  # One action per episode: its own likelihood ratio is DiCE's whole box
  # (and the closed forms agree: the one-pull "dice_hessian" expectation).
  alpha, std, goal = 0.05, 1.0, 1.5
  assert _lvc_expected_meta_gradient(alpha, std, -goal, 1, 0.9) == \
      pytest.approx(_expected_gradients(alpha, std, -goal)["dice_hessian"],
                    rel=1e-12)
  tasks = km.envs.EnvironmentTask(tf.fill([50, 1], goal))
  seeds = helpers.task_seeds(50)
  got = [tf.function(_bandit_learner(name, alpha, std).compute_gradients,
                     autograph=False)(tasks, seeds).gradients
         for name in ("lvc", "dice_hessian")]
  for a, b in zip(*got):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("discount", [0.0, 0.9])
def test_lvc_expectation_equals_its_closed_form_over_five_pulls(discount):
  alpha, std, goal = 0.05, 1.0, 1.5
  want = _lvc_expected_meta_gradient(alpha, std, -goal, 5, discount)
  draws = _sampled_meta_gradients(
      _bandit_learner("lvc", alpha, std, 5, discount), goal)
  error = draws.std(ddof=1) / np.sqrt(len(draws))
  assert abs(draws.mean() - want) < 4 * error, (draws.mean(), error, want)


def test_the_score_term_weighs_the_normalised_per_step_objective():
  # V' is the post-adaptation batch's mean reward over its live steps,
  # times the factor its advantages were normalised by: the quantity the
  # surrogate's gradient differentiates.
  learner = _navigation_learner(meta_gradient="unbiased")
  task = km.envs.EnvironmentTask(tf.constant([0.3, -0.2]))
  result = learner.task_objective(task, tf.constant([4, 7], tf.int32))
  last = result.paths[-1]
  advantages = km.rl.advantages(last, 0.99, 1.0, "linear",
                                normalize_advantages=False).numpy()
  alive = last.alive.numpy().astype(bool)
  scale = 1.0 / (advantages[alive].std() + 1e-8)
  mean_reward = last.rewards.numpy()[alive].mean()
  assert float(result.value) == pytest.approx(scale * mean_reward, rel=1e-5)
  plain = _navigation_learner(meta_gradient="unbiased",
                              normalize_advantages=False)
  result = plain.task_objective(task, tf.constant([4, 7], tf.int32))
  last = result.paths[-1]
  assert float(result.value) == pytest.approx(
      last.rewards.numpy()[last.alive.numpy().astype(bool)].mean(),
      rel=1e-6)


@pytest.mark.parametrize("meta_gradient", ["unbiased", "dice_hessian"])
def test_replaying_the_sampled_episodes_gives_the_meta_gradient_first(
    meta_gradient):
  # PPO-style epochs: the first replays the episodes at the weights that
  # drew them, where every importance weight is 1 and the clipped
  # surrogate's gradient is the unclipped one: the meta-gradient itself.
  learner = _navigation_learner(meta_gradient=meta_gradient, outer_epochs=3,
                                outer_clip=0.2)
  tasks = km.envs.EnvironmentTask(tf.constant([[0.3, -0.2], [-0.1, 0.4]]))
  seeds = helpers.task_seeds(2)
  expected = learner.compute_gradients(tasks, seeds).gradients
  recorded = learner.sample_episodes(tasks, seeds)
  with tf.GradientTape() as tape:
    total, _ = learner.batch_objective(tasks, seeds, recorded=recorded,
                                       clip=0.2)
  got = tape.gradient(total, learner.trainable_variables)
  for a, b in zip(got, expected):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


def test_clipped_surrogate_has_no_gradient_where_the_ratio_left_the_range():
  learner = _navigation_learner(outer_epochs=2, outer_clip=0.2)
  task = km.envs.EnvironmentTask(tf.constant([0.3, -0.2]))
  paths = learner.sample(learner.initial_values(), task, tf.constant([1, 2]))
  log_probs = learner.log_probs(learner.initial_values(), paths)
  variables = learner.trainable_variables

  def gradient(shift, sign):
    advantages = sign * tf.ones_like(paths.rewards)
    with tf.GradientTape() as tape:
      loss = learner.surrogate_loss(learner.initial_values(), paths,
                                    advantages, log_probs - shift, clip=0.2)
    return tape.gradient(loss, variables)

  # Ratio e^0.5 > 1.2: a positive advantage's term is clipped (no gradient),
  # a negative one's is not; at ratio 1 both have the plain gradient.
  assert all(float(tf.norm(g)) == 0.0 for g in gradient(0.5, 1.0))
  assert any(float(tf.norm(g)) > 0.0 for g in gradient(0.5, -1.0))
  assert any(float(tf.norm(g)) > 0.0 for g in gradient(0.0, 1.0))


def _moved(learner, scale=0.05):
  for index, variable in enumerate(learner.trainable_variables):
    variable.assign_add(scale * tf.cos(tf.cast(
        tf.reshape(tf.range(tf.size(variable)), variable.shape) + index,
        variable.dtype)))


def test_the_inner_kl_penalty_is_eta_times_the_kl_from_the_sampling_policy():
  # ProMP: eta * KL(pi_sampling || pi_theta) on the inner episodes: 0 with
  # gradient 0 at the weights that sampled them, eta times the closed-form
  # KL once the weights have moved (the replay epochs).
  options = dict(num_inner_steps=1, outer_epochs=2)
  penalised = _navigation_learner(inner_kl_penalty=0.3, **options)
  plain = _navigation_learner(**options)
  tasks = km.envs.EnvironmentTask(tf.constant([[0.3, -0.2], [-0.1, 0.4]]))
  seeds = helpers.task_seeds(2)
  recorded = penalised.sample_episodes(tasks, seeds)

  def objective(learner):
    with tf.GradientTape() as tape:
      total, _ = learner.batch_objective(tasks, seeds, recorded=recorded)
    return float(total), tape.gradient(total, learner.trainable_variables)

  (with_penalty, gradients), (without, plain_gradients) = (
      objective(penalised), objective(plain))
  assert with_penalty == pytest.approx(without, abs=1e-12)
  for a, b in zip(gradients, plain_gradients):
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)
  _moved(penalised)
  _moved(plain)
  paths, _, outputs = recorded
  kls = []
  for task in range(2):
    current = penalised.policy_outputs(penalised.initial_values(),
                                       paths[0].observations[task])
    alive = paths[0].alive[task].numpy()
    kl = km.rl.policies.kl_divergence(outputs[0][task], current).numpy()
    kls.append((kl * alive).sum() / alive.sum())
  assert np.mean(kls) > 1e-4
  assert objective(penalised)[0] - objective(plain)[0] == pytest.approx(
      0.3 * np.mean(kls), rel=1e-9)


def test_the_inner_kl_coefficients_adapt_as_promps_and_are_checkpointed():
  coefficients = tf.constant([1.0, 1.0, 1.0], tf.float64)
  np.testing.assert_allclose(
      km.algorithms.policy_gradient_maml.adapt_kl_coefficients(
          coefficients, tf.constant([0.001, 0.01, 0.1]), 0.01).numpy(),
      [0.5, 1.0, 2.0])
  learner = _navigation_learner(num_inner_steps=1, outer_epochs=2,
                                inner_kl_penalty=0.01, inner_kl_target=1e-9)
  assert "inner_kl_coefficients" in learner.checkpoint_items()
  tasks = km.envs.EnvironmentTask(tf.constant([[0.3, -0.2], [-0.1, 0.4]]))
  optimizer = km.training.make_outer_optimizer(learner, "adam", 0.01)
  _, metrics = learner.train_step(None, (tasks, helpers.task_seeds(2)),
                                  optimizer)
  assert float(metrics["inner_kl"]) > 1.5e-9  # moved: the coefficient doubles
  np.testing.assert_allclose(learner.inner_kl_coefficients.numpy(), [0.02])


def test_a_time_step_budget_fills_each_batch_and_says_when_it_cannot():
  # Navigation episodes of at most 6 steps, 3 sampled: a budget of 7 steps
  # keeps the first two or three; one of 18 needs every episode to last.
  learner = _navigation_learner(batch_steps=7)
  task = km.envs.EnvironmentTask(tf.constant([0.3, -0.2]))
  result = learner.task_objective(task, tf.constant([4, 7], tf.int32))
  for batch in result.paths:
    lengths = batch.alive.numpy().sum(-1)
    kept = lengths > 0
    assert lengths.sum() >= 7 and lengths[kept][:-1].sum() < 7
    assert np.all(kept[:kept.sum()])  # a prefix of the episodes
  assert float(result.budget_filled) == 1.0
  assert "budget_filled" in learner.metric_names
  tasks = km.envs.EnvironmentTask(tf.constant([[0.3, -0.2], [-0.1, 0.4]]))
  _, metrics = _navigation_learner(batch_steps=18).batch_objective(
      tasks, helpers.task_seeds(2))
  assert float(metrics["budget_filled"]) == 1.0  # no goal: all 6 steps
  with pytest.raises(ValueError, match="batch_steps must be in"):
    _navigation_learner(batch_steps=19)
  # An evaluation of fewer episodes than the budget needs is refused too.
  with pytest.raises(ValueError, match="cannot hold the learner's "
                     "batch_steps=18"):
    _navigation_learner(batch_steps=18).adapt(
        task, seed=tf.constant([1, 2]), num_episodes=2)


def test_options_that_would_be_ignored_are_refused():
  with pytest.raises(ValueError, match="outer_epochs=1"):
    _navigation_learner(outer_clip=0.2)
  with pytest.raises(ValueError, match="outer_epochs=1"):
    _navigation_learner(inner_kl_penalty=0.01)
  with pytest.raises(ValueError, match="set inner_kl_penalty > 0"):
    _navigation_learner(outer_epochs=2, inner_kl_target=0.01)
  with pytest.raises(ValueError, match="meta_gradient"):
    _navigation_learner(meta_gradient="dice")
  with pytest.raises(ValueError, match="2 \\* action_size"):
    km.PolicyGradientMAML(km.rl.gaussian_mlp_policy(2, 3),
                          km.envs.Navigation2D())
