# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import functional
from tests import helpers


def _meta_objective(learner, tasks, seeds):
  """The mean task objective, evaluated eagerly (for finite differences)."""
  values = [learner.task_objective(helpers.unbatch(tasks, i), seeds[i])[0]
            for i in range(seeds.shape[0])]
  return float(tf.reduce_mean(values))


def _finite_difference_gradients(learner, tasks, seeds, epsilon=1e-6):
  return helpers.finite_difference_gradients(
      lambda: _meta_objective(learner, tasks, seeds),
      learner.trainable_variables, epsilon)


@pytest.mark.parametrize("inner_steps", [1, 2])
def test_second_order_meta_gradient_matches_finite_differences(inner_steps):
  model = helpers.tiny_mlp()
  learner = km.MAML(model, num_inner_steps=inner_steps,
                    inner_learning_rate=0.3)
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  gradients, _ = learner.compute_gradients(tasks, seeds)
  expected = _finite_difference_gradients(learner, tasks, seeds)
  for got, want in zip(gradients, expected):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


def test_first_order_gradient_is_the_query_gradient_at_the_adapted_weights():
  model = helpers.tiny_mlp()
  second = km.MAML(model, num_inner_steps=1, inner_learning_rate=0.3)
  first = km.FOMAML(model, num_inner_steps=1, inner_learning_rate=0.3)
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  first_order, _ = first.compute_gradients(tasks, seeds)
  second_order, _ = second.compute_gradients(tasks, seeds)
  # By hand: theta' = theta - alpha grad L_s(theta); FOMAML's gradient is the
  # mean over tasks of grad L_q(theta'), as if d theta'/d theta were I.
  roles = functional.weight_roles(model)
  expected = [np.zeros(w.shape) for w in roles.adapted]
  for i in range(2):
    task = helpers.unbatch(tasks, i)
    theta = functional.current_values(roles.adapted)
    with tf.GradientTape() as tape:
      tape.watch(theta)
      support = tf.reduce_mean(
          (functional.call_with_weights(model, theta, task.support_x)
           - task.support_y) ** 2)
    adapted = [t - 0.3 * g for t, g in zip(theta, tape.gradient(support,
                                                                theta))]
    with tf.GradientTape() as tape:
      tape.watch(adapted)
      query = tf.reduce_mean(
          (functional.call_with_weights(model, adapted, task.query_x)
           - task.query_y) ** 2)
    for e, g in zip(expected, tape.gradient(query, adapted)):
      e += g.numpy() / 2
  for got, want in zip(first_order, expected):
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
  assert any(not np.allclose(a, b, rtol=1e-3)
             for a, b in zip(first_order, second_order))


def test_mtnet_meta_gradient_matches_finite_differences_with_fixed_masks():
  """T and the adapted weights, through a masked step (seeded masks)."""
  model = helpers.tiny_mlp(lambda units, **kw: km.TDense(units, mask="unit",
                                                          **kw))
  rng = np.random.default_rng(3)
  for layer in model.layers:
    layer.transform_matrix.assign(np.eye(layer.units) + 0.3 * rng.normal(
        size=(layer.units, layer.units)))
  learner = km.MAML(model, num_inner_steps=1, inner_learning_rate=0.3)
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  gradients, _ = learner.compute_gradients(tasks, seeds)
  expected = _finite_difference_gradients(learner, tasks, seeds)
  meta_ids = {id(w) for w in functional.weight_roles(model).meta}
  for variable, got, want in zip(learner.trainable_variables, gradients,
                                 expected):
    if "mask_logits" in variable.path:
      continue  # the straight-through gradient is not the exact derivative
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)
  mask_gradients = [g for v, g in zip(learner.trainable_variables, gradients)
                    if id(v) in meta_ids and "mask_logits" in v.path]
  assert mask_gradients and all(np.any(g.numpy() != 0)
                                for g in mask_gradients)


def test_metrics_report_support_loss_before_and_query_loss_after():
  model = helpers.tiny_mlp()
  learner = km.MAML(model, num_inner_steps=1, inner_learning_rate=0.3)
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  _, metrics = learner.compute_gradients(tasks, seeds)
  support = sum(float(tf.reduce_mean(
      (model(tasks.support_x[i]) - tasks.support_y[i]) ** 2))
      for i in range(2))
  # Metrics are means over tasks.
  np.testing.assert_allclose(metrics["support_loss"], support / 2, rtol=1e-5)
  assert metrics["query_loss"].shape == ()


def test_model_without_adapted_weights_is_rejected():
  model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
  model.trainable = False
  with pytest.raises(ValueError, match="no adapted weights"):
    km.MAML(model)


def _bn_model():
  keras.utils.set_random_seed(0)
  return keras.Sequential([
      keras.Input((3,)), keras.layers.Dense(4),
      keras.layers.BatchNormalization(momentum=0.5), keras.layers.Dense(1)])


def test_running_batch_norm_collects_statistics_and_uses_them_after_training():
  tasks = helpers.random_tasks(2, dim=3, dtype=np.float32)
  tasks = tasks._replace(support_y=tasks.support_y[..., :1],
                         query_y=tasks.query_y[..., :1])
  seeds = helpers.task_seeds(2)
  learner = km.MAML(_bn_model(), inner_learning_rate=0.1,
                    batch_norm="running")
  batch_norm = learner.model.layers[1]
  before = batch_norm.moving_mean.numpy().copy()
  learner.update_statistics(tasks, seeds)
  assert not np.allclose(before, batch_norm.moving_mean.numpy())

  # Outside meta-training, one example's prediction does not depend on the
  # others in its batch (running statistics)...
  x = tasks.query_x[0]
  values = learner.initial_values()
  alone = learner.predict(values, x[:1])
  np.testing.assert_allclose(learner.predict(values, x)[:1], alone,
                             rtol=1e-6)
  # ...while "task" mode normalises with the batch's statistics.
  task_mode = km.MAML(learner.model, inner_learning_rate=0.1)
  assert not np.allclose(task_mode.predict(values, x)[:1], alone)
  # Meta-training sees batch statistics in both modes.
  np.testing.assert_allclose(
      learner.compute_gradients(tasks, seeds)[1]["query_loss"],
      task_mode.compute_gradients(tasks, seeds)[1]["query_loss"], rtol=1e-5)


def test_bad_batch_norm_mode_is_named():
  with pytest.raises(ValueError, match="batch_norm must be one of.*'moving'"):
    km.MAML(helpers.tiny_mlp(), batch_norm="moving")


def test_inner_mini_batches_draw_per_step_subsets_of_the_support():
  tasks = helpers.random_tasks(1, shots=8)
  task = helpers.unbatch(tasks, 0)
  learner = km.MAML(helpers.tiny_mlp(), inner_learning_rate=0.1,
                    inner_batch_size=3)
  assert not learner.uses_fast_path
  loss = learner.support_loss_fn(learner.mapper(), task, tf.constant([1, 2]))
  values = learner.initial_values()
  per_example = [float(learner.loss_fn(task.support_y[i:i + 1],
                                       learner.predict(values,
                                                       task.support_x[i:i + 1])))
                 for i in range(8)]
  # Each step's loss is the mean over 3 distinct support examples...
  subsets = []
  for step in range(4):
    value = float(loss(values, tf.constant(step)))
    matches = [c for c in __import__("itertools").combinations(range(8), 3)
               if np.isclose(np.mean([per_example[i] for i in c]), value)]
    assert matches
    subsets.append(matches[0])
  # ...and the steps draw different subsets, reproducibly.
  assert len(set(subsets)) > 1
  assert float(loss(values, tf.constant(0))) == float(
      loss(values, tf.constant(0)))
  adapted, losses = learner.adapt(task, seed=tf.constant([1, 2]), num_steps=4)[:2]
  assert losses.shape == (4,)


def test_adapting_needs_only_the_support_set():
  learner = km.MAML(helpers.tiny_mlp(), num_inner_steps=2,
                    inner_learning_rate=0.3)
  task = helpers.unbatch(helpers.random_tasks(1), 0)
  from_task = learner.adapt(task).params
  from_pair = learner.adapt((task.support_x, task.support_y)).params
  from_arrays = learner.adapt(task.support_x.numpy(),
                              task.support_y.numpy()).params
  for a, b, c in zip(from_task, from_pair, from_arrays):
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
  with pytest.raises(TypeError, match="received a dict alone"):
    learner.adapt({"x": task.support_x})
  with pytest.raises(TypeError, match="seed=..."):
    learner.adapt(task, tf.constant([1, 2]))
  with pytest.raises(ValueError, match="same number of examples"):
    learner.adapt(task.support_x, task.support_y[:-1])


def test_seeds_are_optional_without_masks_and_checked_when_given():
  learner = km.MAML(helpers.tiny_mlp(), inner_learning_rate=0.3)
  tasks = helpers.random_tasks(2)
  unseeded = learner.compute_gradients(tasks, None)
  seeded = learner.compute_gradients(tasks, helpers.task_seeds(2))
  for a, b in zip(unseeded.gradients, seeded.gradients):
    np.testing.assert_array_equal(a, b)
  with pytest.raises(ValueError, match=r"\[tasks, 2\] = \[2, 2\]; received "
                     r"shape \(4, 2\)"):
    learner.compute_gradients(tasks, helpers.task_seeds(4))
  masked = km.MAML(km.models.mlp(hidden_sizes=(4,), cell="mtnet"))
  with pytest.raises(ValueError, match="samples MT-net masks: pass seeds"):
    masked.compute_gradients(helpers.random_tasks(2, dtype=np.float32), None)


def _classification_task(ways=3, shots=2, queries=2, seed=0):
  rng = np.random.default_rng(seed)
  support_y = np.repeat(np.arange(ways), shots)
  query_y = np.repeat(np.arange(ways), queries)
  return km.Task(rng.normal(size=(ways * shots, 4)), support_y,
                 rng.normal(size=(ways * queries, 4)), query_y)


def _classifier():
  keras.utils.set_random_seed(0)
  return keras.Sequential([keras.Input((4,)),
                           keras.layers.Dense(3, dtype="float64")])


def test_inner_loss_scale_steps_as_the_references_sum_over_shots_loss():
  ways, shots, alpha = 3, 2, 0.4
  task = _classification_task(ways, shots)
  model = _classifier()
  learner = km.MAML(model, loss="sparse_softmax_cross_entropy",
                    inner_learning_rate=alpha, inner_loss_scale=ways)
  adapted = learner.adapt(task.support_x, task.support_y).params
  # By hand, the MAML / MT-net reference code's inner loss: the summed
  # cross-entropy of the N*K support examples divided by K.
  theta = [tf.convert_to_tensor(w) for w in model.trainable_weights]
  with tf.GradientTape() as tape:
    tape.watch(theta)
    logits = tf.matmul(task.support_x, theta[0]) + theta[1]
    loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(
        task.support_y, logits)) / shots
  expected = [t - alpha * g for t, g in zip(theta, tape.gradient(loss,
                                                                 theta))]
  for got, want in zip(adapted, expected):
    np.testing.assert_allclose(got, want, rtol=1e-6)
  # It is alpha * N on the mean loss, and the metrics keep the mean loss.
  scaled = km.MAML(model, loss="sparse_softmax_cross_entropy",
                   inner_learning_rate=alpha * ways)
  result = scaled.adapt(task.support_x, task.support_y)
  for got, want in zip(result.params, adapted):
    np.testing.assert_allclose(got, want, rtol=1e-10)
  np.testing.assert_allclose(
      learner.adapt(task.support_x, task.support_y).losses[0],
      result.losses[0])


@pytest.mark.parametrize("algorithm", ["MAML", "WarpGrad", "LSTMMAML"])
def test_inner_loss_scale_reaches_every_inner_chain(algorithm):
  task = _classification_task()
  model = _classifier()
  if algorithm == "WarpGrad":
    model = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(3, dtype="float64"),
        km.layers.warp.warp_block("linear", 3, name="warp",
                                  dtype="float64")])
  learner_class = getattr(km.algorithms, algorithm)
  cross_entropy = km.losses.get("sparse_softmax_cross_entropy")
  # The same step as the loss itself three times larger.
  losses = {"scaled": "sparse_softmax_cross_entropy",
            "tripled": lambda y, p: 3.0 * cross_entropy(y, p),
            "plain": "sparse_softmax_cross_entropy"}
  learners = []
  for name, loss in losses.items():
    keras.utils.set_random_seed(1)  # the same inner LSTM for LSTMMAML
    learners.append(learner_class(
        model, loss=loss, inner_learning_rate=0.1,
        inner_loss_scale=3.0 if name == "scaled" else 1.0))
  results = [learner.adapt(task.support_x, task.support_y).params
             for learner in learners]
  for got, want, unscaled in zip(*results):
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert np.abs(got - unscaled).max() > 1e-7  # rounding is ~1e-16


@pytest.mark.parametrize("scale", [0, -1.0, float("nan"), float("inf")])
def test_a_bad_inner_loss_scale_is_named(scale):
  with pytest.raises(ValueError, match="inner_loss_scale must be positive"):
    km.MAML(helpers.tiny_mlp(), inner_loss_scale=scale)
