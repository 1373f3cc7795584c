# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""LEO's equations (Rusu et al. 2019): relation pairs, KL, penalties,
meta-gradients through both inner loops, and what adaptation moves."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import kerasmeta as km
from kerasmeta.algorithms import leo
from kerasmeta.algorithms import leo_draws
from kerasmeta.layers import leo as leo_layers
from kerasmeta.tasks import Task

WAYS, SHOTS, QUERIES, FEATURES = 2, 2, 3, 5


def _episodes(num_tasks, dtype=np.float64, seed=0, ways=WAYS, shots=SHOTS,
              queries=QUERIES, features=FEATURES, spread=0.0):
  """Episodes of unit vectors around per-task class centres."""
  rng = np.random.default_rng(seed)

  def points(centres, count):
    x = np.repeat(centres, count, axis=0) + rng.normal(
        size=(len(centres) * count, features))
    return x / np.linalg.norm(x, axis=-1, keepdims=True)

  fields = []
  for _ in range(num_tasks):
    centres = spread * rng.normal(size=(ways, features))
    labels = lambda count: np.repeat(np.arange(ways), count)[:, None]
    fields.append((points(centres, shots), labels(shots),
                   points(centres, queries), labels(queries)))
  return Task(*[tf.constant(np.stack(f).astype(dtype) if i % 2 == 0
                            else np.stack(f).astype(np.int32))
                for i, f in enumerate(zip(*fields))])


def _seeds(num_tasks):
  return tf.constant([[7, i] for i in range(num_tasks)], tf.int32)


def _learner(**kwargs):
  keras.utils.set_random_seed(0)
  settings = dict(num_latents=3, num_latent_steps=2, num_finetuning_steps=2,
                  dtype="float64", gradient_clip_value=0.0,
                  gradient_clip_norm=0.0, finetuning_learning_rate=0.1,
                  kl_weight=0.1, encoder_penalty_weight=0.1,
                  l2_penalty_weight=0.01, orthogonality_penalty_weight=0.1)
  settings.update(kwargs)
  return km.LEO(FEATURES, WAYS, **settings)


def test_relation_network_averages_the_mlp_over_every_pair():
  keras.utils.set_random_seed(1)
  layer = leo_layers.RelationNetwork(4, dtype="float64")
  codes = np.random.default_rng(0).normal(size=(5, 3))
  got = layer(tf.constant(codes)).numpy()

  def mlp(pair):
    out = pair
    for index, dense in enumerate(layer.dense_layers):
      out = out @ dense.kernel.numpy()
      if index < len(layer.dense_layers) - 1:
        out = np.maximum(out, 0.0)
    return out

  expected = np.stack([
      np.mean([mlp(np.concatenate([codes[i], codes[j]])) for j in range(5)],
              axis=0) for i in range(5)])
  np.testing.assert_allclose(got, expected, rtol=1e-10)
  # Leading axes are independent tasks.
  batched = layer(tf.constant(np.stack([codes, codes[::-1]]))).numpy()
  np.testing.assert_allclose(batched[0], expected, rtol=1e-10)
  np.testing.assert_allclose(batched[1], expected[::-1], rtol=1e-10)


def test_kl_term_equals_the_closed_form():
  rng = np.random.default_rng(0)
  means = rng.normal(size=(3, 4))
  stddevs = rng.uniform(0.2, 2.0, size=(3, 4))
  # KL(N(mu, s^2) || N(0, 1)) = -log s + (s^2 + mu^2) / 2 - 1/2.
  expected = np.mean(-np.log(stddevs) + (stddevs**2 + means**2) / 2 - 0.5)
  np.testing.assert_allclose(leo.kl_divergence(means, stddevs), expected,
                             rtol=1e-12)
  # It is the expectation of the reference's one-sample estimate.
  samples = means + stddevs * rng.normal(size=(200_000, 3, 4))
  estimate = np.mean(
      tfp.distributions.Normal(means, stddevs).log_prob(samples)
      - tfp.distributions.Normal(np.float64(0.0),
                                 np.float64(1.0)).log_prob(samples))
  np.testing.assert_allclose(estimate, expected, atol=0.01)


def test_orthogonality_penalty_is_zero_only_for_orthogonal_rows():
  rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 6)))
  rows = rotation[:3] * np.array([[0.1], [2.0], [5.0]])  # any lengths
  assert float(leo_layers.orthogonality_penalty(tf.constant(rows))) < 1e-20
  skewed = rows.copy()
  skewed[1] += 0.2 * rows[2]
  normalised = skewed / np.linalg.norm(skewed, axis=1, keepdims=True)
  expected = np.mean((normalised @ normalised.T - np.eye(3)) ** 2)
  assert expected > 0.01
  np.testing.assert_allclose(
      leo_layers.orthogonality_penalty(tf.constant(skewed)), expected,
      rtol=1e-12)


def test_l2_penalty_is_half_the_squared_norm():
  kernels = [tf.constant([[1.0, 2.0]]), tf.constant([3.0])]
  assert float(leo_layers.l2_penalty(kernels)) == pytest.approx(7.0)


def test_meta_gradients_match_finite_differences():
  tasks, seeds = _episodes(2), _seeds(2)
  km.testing.run_meta_learner_test(
      # gamma's term differentiates as a constant target (a stop-gradient),
      # not as the derivative differences see: checked on its own below.
      lambda: _learner(num_latent_steps=2, num_finetuning_steps=1,
                       encoder_penalty_weight=0.0),
      tasks, seeds,
      objective_fn=lambda learner, task, seed: (
          learner.task_objective(task, seed)[0]
          + learner.regularization()),
      max_entries_per_variable=1, fast_path=False, learn_steps=4,
      learning_rate=0.01, rtol=1e-5, atol=1e-8)


def test_encoder_penalty_pulls_the_encoder_towards_the_adapted_latents():
  tasks, seeds = _episodes(2), _seeds(2)
  without = _learner(encoder_penalty_weight=0.0)
  with_penalty = _learner(encoder_penalty_weight=1.0)
  a = without.compute_gradients(tasks, seeds)
  b = with_penalty.compute_gradients(tasks, seeds)
  names = [v.path for v in without.trainable_variables]
  differs = {name: not np.allclose(x, y, rtol=1e-12, atol=0)
             for name, x, y in zip(names, a.gradients, b.gradients)}
  # z' is a constant target: alpha, eta and the decoder get nothing from it.
  assert not differs["leo/latent_rates"]
  assert not differs["leo/finetuning_rates"]
  assert not differs["leo/decoder/kernel"]
  assert differs["leo/encoder/kernel"]
  assert float(b.metrics["encoder_penalty"]) > 0


def test_adaptation_moves_the_latents_and_leaves_phi():
  learner = _learner()
  task = km.tasks.base.Task(*[t[0] for t in _episodes(1)])
  before = [v.numpy().copy() for v in learner.trainable_variables]
  for training in (False, True):
    result = learner.adapt(task, seed=tf.constant([1, 2]),
                           training=training)
    adapted = result.details
    moved = np.abs(adapted.latents - adapted.initial_latents).max()
    assert moved > 1e-6
    assert adapted.weights.shape == (WAYS, SHOTS, FEATURES)
    assert adapted.latent_losses.shape == (2,)
    assert result.params[0] is adapted.weights
    assert result.losses.shape == (2 + learner.num_finetuning_steps,)
  for variable, value in zip(learner.trainable_variables, before):
    np.testing.assert_array_equal(variable.numpy(), value)


def test_the_latent_step_is_the_learned_rate_times_the_gradient():
  learner = _learner(num_latent_steps=1, num_finetuning_steps=0)
  learner.networks.latent_rates.assign([0.5, 1.0, 2.0])
  task = km.tasks.base.Task(*[t[0] for t in _episodes(1)])
  adapted = learner.adapt(task).details
  z = tf.constant(adapted.initial_latents)
  with tf.GradientTape() as tape:
    tape.watch(z)
    loss = learner.support_loss(learner.decode(z), task)
  expected = z - np.array([0.5, 1.0, 2.0]) * tape.gradient(loss, z)
  np.testing.assert_allclose(adapted.latents, expected, rtol=1e-12)


def test_support_order_does_not_matter_and_unequal_classes_are_refused():
  learner = _learner()
  task = km.tasks.base.Task(*[t[0] for t in _episodes(1)])
  order = np.array([3, 0, 2, 1])
  shuffled = task._replace(support_x=tf.gather(task.support_x, order),
                           support_y=tf.gather(task.support_y, order))
  np.testing.assert_allclose(learner.adapt(shuffled).params[0],
                             learner.adapt(task).params[0], rtol=1e-12)
  unequal = task._replace(support_y=tf.constant([[0], [0], [0], [1]]))
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="2 of each of 0..1"):
    learner.adapt(unequal)
  with pytest.raises(ValueError, match="same number of support examples"):
    learner.adapt(task._replace(support_x=task.support_x[:3],
                                support_y=task.support_y[:3]))


def test_meta_gradients_are_clipped_by_value_then_norm():
  tasks, seeds = _episodes(2), _seeds(2)
  raw = _learner(l2_penalty_weight=10.0).compute_gradients(tasks, seeds)
  clipped = _learner(l2_penalty_weight=10.0, gradient_clip_value=0.01,
                     gradient_clip_norm=0.02).compute_gradients(tasks, seeds)
  for r, c in zip(raw.gradients, clipped.gradients):
    expected = tf.clip_by_norm(tf.clip_by_value(r, -0.01, 0.01), 0.02)
    np.testing.assert_allclose(c, expected, rtol=1e-12)
  assert max(float(tf.norm(g)) for g in raw.gradients) > 0.02


def test_fixed_rates_stay_at_their_initial_values_while_phi_learns():
  # The ablation "meta-learned rates off": alpha and eta are not trained.
  learner = _learner(learn_rates=False, latent_learning_rate=0.7)
  rates = [learner.networks.latent_rates, learner.networks.finetuning_rates]
  assert not {id(v) for v in rates} & {
      id(v) for v in learner.trainable_variables}
  before = [v.numpy().copy() for v in learner.trainable_variables]
  initial = [v.numpy().copy() for v in rates]
  np.testing.assert_allclose(initial[0], 0.7, rtol=1e-7)
  optimizer = km.training.make_outer_optimizer(learner, "adam", 0.01)
  learner.train_step(None, (_episodes(2), _seeds(2)), optimizer)
  for rate, value in zip(rates, initial):
    np.testing.assert_array_equal(rate.numpy(), value)
  assert any(np.abs(v.numpy() - b).max() > 0 for v, b in zip(
      learner.trainable_variables, before))
  assert "latent_rates" in {v.name.split("/")[-1].split(":")[0]
                            for v in learner.checkpoint_items()["leo"]
                            .weights}


@pytest.mark.parametrize("kwargs,match", [
    (dict(ways=1), "ways must be an int >= 2"),
    (dict(num_latent_steps=-1), "num_latent_steps"),
    (dict(kl_weight=float("nan")), "kl_weight must be finite"),
    (dict(dropout_rate=1.0), r"dropout_rate must be in \[0, 1\)"),
])
def test_bad_settings_are_refused(kwargs, match):
  settings = dict(features=4, ways=2)
  settings.update(kwargs)
  with pytest.raises(ValueError, match=match):
    km.LEO(**settings)


def test_a_short_compiled_run_learns_to_classify_new_episodes():
  keras.utils.set_random_seed(0)
  learner = km.LEO(8, 3, num_latents=4, num_latent_steps=2,
                   num_finetuning_steps=1, dropout_rate=0.2)
  optimizer = keras.optimizers.Adam(0.01)
  optimizer.build(learner.trainable_variables)
  compiled = tf.function(learner.compute_gradients, jit_compile=True)
  episodes = lambda index, count=8: _episodes(
      count, np.float32, seed=index, ways=3, features=8, spread=2.0)
  # XLA computes what TensorFlow computes, draws included.
  eager, first = learner.compute_gradients(episodes(0), _seeds(8)), \
      compiled(episodes(0), _seeds(8))
  for a, b in zip(eager.gradients, first.gradients):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
  for index in range(40):
    result = compiled(episodes(index), _seeds(8))
    optimizer.apply(result.gradients, learner.trainable_variables)
  test = episodes(10_000, 20)
  accuracy = np.mean([
      np.mean(np.argmax(learner.predict(learner.adapt(
          Task(*[t[i] for t in test])), test.query_x[i]), -1)
              == test.query_y[i, :, 0].numpy()) for i in range(20)])
  assert accuracy > 0.6  # chance: 1/3


def test_raw_and_normalised_embeddings_adapt_alike():
  # The data pipeline normalises (as the reference's); the learner does it
  # too, so a caller's raw embeddings get the answer training would give.
  learner = _learner()
  task = km.tasks.base.Task(*[t[0] for t in _episodes(1)])
  scales = np.linspace(0.5, 40.0, 12).reshape(-1, 1)
  raw = task._replace(support_x=task.support_x * scales[:4],
                      query_x=task.query_x * scales[:len(task.query_x)])
  np.testing.assert_allclose(
      learner.predict(learner.adapt(raw), raw.query_x),
      learner.predict(learner.adapt(task), task.query_x), rtol=1e-6,
      atol=1e-9)
  unnormalised = km.LEO.from_config(
      {**learner.get_config(), "normalize_inputs": False})
  unnormalised.networks.set_weights(learner.networks.get_weights())
  assert not np.allclose(
      unnormalised.predict(unnormalised.adapt(raw), raw.query_x),
      learner.predict(learner.adapt(raw), raw.query_x))


@pytest.mark.parametrize("training", [True, False])
def test_a_batch_of_tasks_gives_each_tasks_own_objective(training):
  # Labels shuffled per task: each task's support is sorted on its own.
  tasks, seeds = _episodes(3), _seeds(3)
  order = np.random.default_rng(0).permutation(WAYS * SHOTS)
  tasks = tasks._replace(support_x=tf.gather(tasks.support_x, order, axis=1),
                         support_y=tf.gather(tasks.support_y, order, axis=1))
  learner = _learner(dropout_rate=0.5)
  objectives, metrics = learner.batch_objective(tasks, seeds, training)
  for index in range(3):
    task = Task(*[t[index] for t in tasks])
    alone, alone_metrics = learner.task_objective(task, seeds[index],
                                                  training)
    np.testing.assert_allclose(objectives[index], alone, rtol=1e-12)
    for name, value in alone_metrics.items():
      np.testing.assert_allclose(metrics[name][index], value, rtol=1e-12)


def test_each_draw_comes_from_its_tasks_seed_and_purpose():
  tasks, seeds = _episodes(2), _seeds(2)
  learner = _learner(dropout_rate=0.5)
  draws = learner.draws(tasks, seeds)
  seed = seeds[1]
  purpose = lambda p: km.sampling.fold_in(seed, p)
  step = lambda p, s: km.sampling.fold_in(purpose(p), s)
  np.testing.assert_array_equal(draws.latent_noise[1], km.sampling.normal(
      [WAYS, SHOTS, 3], purpose(leo_draws.LATENTS), tf.float64))
  np.testing.assert_array_equal(draws.decoder_noise[1, 2], km.sampling.normal(
      [WAYS, SHOTS, FEATURES], step(leo_draws.LATENT_STEPS, 4), tf.float64))
  np.testing.assert_array_equal(
      draws.finetuning_keep[1, 1],
      km.sampling.uniform([WAYS * SHOTS, FEATURES],
                          step(leo_draws.FINETUNING, 1)) >= 0.5)
  np.testing.assert_array_equal(
      draws.query_keep[1], km.sampling.uniform(
          [WAYS * QUERIES, FEATURES], purpose(leo_draws.QUERY)) >= 0.5)
  assert draws.decoder_noise.shape[1] == learner.num_latent_steps + 1


@pytest.mark.parametrize("training", [True, False])
def test_a_support_set_alone_adapts(training):
  tasks = _episodes(1)
  learner = _learner(dropout_rate=0.5)
  result = learner.adapt(tasks.support_x[0], tasks.support_y[0],
                         seed=tf.constant([1, 2]), training=training)
  assert result.params[0].shape == (WAYS, SHOTS, FEATURES)
  assert np.all(np.isfinite(result.losses))
