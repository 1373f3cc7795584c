# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The learned optimiser (Andrychowicz et al. 2016): coordinate-wise
updates, truncations, meta-gradients, the Keras optimiser, training."""

import collections

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import training
from kerasmeta.algorithms import learning_to_learn
from kerasmeta.layers import lstm_optimizer
from kerasmeta.tasks import optimizees

Tiny = collections.namedtuple("Tiny", ["weights", "targets", "initial"])


class TinyQuadratics:
  """float64 quadratics of 3 dimensions (finite differences)."""
  parameter_shapes = [(3,)]

  def sample(self, seed):
    del seed
    raise NotImplementedError

  def initial_params(self, problem):
    return [problem.initial]

  def loss(self, problem, params, step=None):
    del step
    residual = tf.linalg.matvec(problem.weights, params[0]) - problem.targets
    return tf.reduce_sum(tf.square(residual))


def _tiny_problem(seed=0):
  rng = np.random.default_rng(seed)
  return Tiny(tf.constant(rng.uniform(size=(3, 3))),
              tf.constant(rng.uniform(size=3)),
              tf.constant(rng.normal(size=3) * 0.1))


def _network(**kwargs):
  keras.utils.set_random_seed(0)
  network = lstm_optimizer.CoordinatewiseLSTM(**kwargs)
  network.build()
  return network


def test_log_and_sign_is_the_papers_piecewise_preprocessing():
  p = 10.0
  g = tf.constant([1e-2, -3.0, 1e-6, -2e-5, 0.0], tf.float64)
  got = lstm_optimizer.log_and_sign(g, p).numpy()
  big = np.abs(g.numpy()) >= np.exp(-p)
  expected = np.where(
      big[:, None],
      np.stack([np.log(np.abs(g.numpy()) + 1e-300) / p, np.sign(g)], -1),
      np.stack([-np.ones(5), np.exp(p) * g.numpy()], -1))
  np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_updates_are_coordinate_wise_so_a_permutation_permutes_them():
  network = _network()
  gradients = tf.constant(np.random.default_rng(0).normal(size=12) * 0.1,
                          tf.float32)
  order = np.random.default_rng(1).permutation(12)
  state = network.initial_state(12)
  for _ in range(3):  # with states that differ per coordinate
    updates, state = network(gradients, state)
    gradients = gradients * 0.5 + 0.01
  permuted_state = tf.nest.map_structure(lambda s: tf.gather(s, order),
                                         state)
  a, _ = network(tf.gather(gradients, order), permuted_state)
  b, _ = network(gradients, state)
  np.testing.assert_allclose(a, tf.gather(b, order), rtol=1e-6)


def test_two_truncations_of_ten_equal_one_of_twenty():
  problems = optimizees.QuadraticProblems()
  problem = problems.sample(tf.constant([3, 4]))
  learners = [km.LearningToLearn(problems, num_steps=20, truncation=t)
              for t in (10, 20)]
  learners[0].network.set_weights(learners[1].network.get_weights())
  short = learners[0]
  params = problems.initial_params(problem)
  state = short.initial_state(params)
  first, _, params, state = short.truncation_objective(problem, params,
                                                       state, 0)
  second, _, params, _ = short.truncation_objective(problem, params, state,
                                                    10)
  long = learners[1]
  start = problems.initial_params(problem)
  whole, _, end, _ = long.truncation_objective(
      problem, start, long.initial_state(start), 0)
  np.testing.assert_allclose(first + second, whole, rtol=1e-5)
  np.testing.assert_allclose(params[0], end[0], rtol=1e-5)


def _meta_gradient(learner, problem):
  params = learner.problems.initial_params(problem)
  with tf.GradientTape() as tape:
    loss, _, _, _ = learner.truncation_objective(
        problem, params, learner.initial_state(params), 0)
  return loss, tape.gradient(loss, learner.trainable_variables)


def _differences(objective, variables, entries=3, epsilon=1e-6):
  found = []
  for variable in variables:
    original = variable.numpy().copy()
    for index in list(np.ndindex(original.shape))[:entries]:
      values = []
      for sign in (1, -1):
        shifted = original.copy()
        shifted[index] += sign * epsilon
        variable.assign(shifted)
        values.append(float(objective()))
      variable.assign(original)
      found.append((variable, index, (values[0] - values[1]) / 2 / epsilon))
  return found


def test_second_order_meta_gradients_match_finite_differences():
  keras.utils.set_random_seed(0)
  learner = km.LearningToLearn(TinyQuadratics(), num_steps=4, truncation=4,
                               units=(3,), output_scale=0.1,
                               second_order=True, dtype="float64")
  problem = _tiny_problem()
  _, gradients = _meta_gradient(learner, problem)
  by_variable = dict(zip([id(v) for v in learner.trainable_variables],
                         gradients))
  for variable, index, expected in _differences(
      lambda: _meta_gradient(learner, problem)[0],
      learner.trainable_variables):
    got = by_variable[id(variable)].numpy()[index]
    assert np.isclose(got, expected, rtol=1e-5, atol=1e-9), (
        variable.path, index, got, expected)


def test_first_order_meta_gradients_treat_the_fed_gradients_as_constants():
  keras.utils.set_random_seed(0)
  learner = km.LearningToLearn(TinyQuadratics(), num_steps=4, truncation=4,
                               units=(3,), output_scale=0.1,
                               dtype="float64")
  problem = _tiny_problem()
  network, problems = learner.network, learner.problems

  def replay(frozen=None):
    """The truncation with the gradients fed to m given, or recorded."""
    theta = problems.initial_params(problem)
    state = network.initial_state(3)
    total, fed = 0.0, []
    for step in range(4):
      with tf.GradientTape() as tape:
        tape.watch(theta)
        value = problems.loss(problem, theta)
      gradient = tape.gradient(value, theta)[0]
      fed.append(gradient)
      update, state = network(gradient if frozen is None else frozen[step],
                              state)
      theta = [theta[0] + update]
      total += problems.loss(problem, theta)
    return total, fed

  _, fed = replay()
  _, gradients = _meta_gradient(learner, problem)
  by_variable = dict(zip([id(v) for v in learner.trainable_variables],
                         gradients))
  for variable, index, expected in _differences(
      lambda: replay(fed)[0], learner.trainable_variables):
    got = by_variable[id(variable)].numpy()[index]
    assert np.isclose(got, expected, rtol=1e-5, atol=1e-9), (
        variable.path, index, got, expected)


def test_the_keras_optimizer_applies_the_meta_training_updates():
  problems = optimizees.QuadraticProblems()
  problem = problems.sample(tf.constant([5, 6]))
  learner = km.LearningToLearn(problems, num_steps=6, truncation=6,
                               output_scale=0.1)
  expected = learner.adapt(problem, num_steps=6).params[0]
  theta = keras.Variable(problems.initial_params(problem)[0])
  optimizer = km.LearnedOptimizer(learner.network)
  for _ in range(6):
    with tf.GradientTape() as tape:
      value = problems.loss(problem, [theta.value])
    optimizer.apply([tape.gradient(value, theta.value)], [theta])
  np.testing.assert_allclose(theta.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_a_model_trained_by_the_learned_optimizer_saves_and_resumes(
    tmp_path):
  network = _network(output_scale=0.1)
  keras.utils.set_random_seed(1)
  model = keras.Sequential([keras.Input((4,)),
                            keras.layers.Dense(3, activation="sigmoid"),
                            keras.layers.Dense(2)])
  x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
  y = (x[:, 0] > 0).astype("int32")
  model.compile(optimizer=km.LearnedOptimizer(network),
                loss=keras.losses.SparseCategoricalCrossentropy(
                    from_logits=True))
  model.fit(x, y, epochs=2, batch_size=16, verbose=0)
  path = str(tmp_path / "model.keras")
  model.save(path)
  loaded = keras.models.load_model(path)
  assert isinstance(loaded.optimizer, km.LearnedOptimizer)
  for a, b in zip(loaded.optimizer.network.get_weights(),
                  network.get_weights()):
    np.testing.assert_array_equal(a, b)
  model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
  loaded.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
  for a, b in zip(model.get_weights(), loaded.get_weights()):
    np.testing.assert_allclose(a, b, rtol=1e-6)  # LSTM states restored too


def test_meta_training_resumes_mid_problem_exactly_and_learns(tmp_path):
  problems = optimizees.QuadraticProblems()

  def make(workdir):
    keras.utils.set_random_seed(0)
    learner = km.LearningToLearn(problems, num_steps=20, truncation=5,
                                 preprocess="log_and_sign", p=10.0,
                                 output_scale=0.01)
    return training.Trainer(
        learner, km.tasks.RepeatedBatches(problems, learner.num_truncations),
        workdir, meta_batch_size=8, log_every=3, checkpoint_every=3,
        jit_compile=False,
        optimizer=training.make_outer_optimizer(learner, "adam", 0.01))

  first = make(str(tmp_path / "run"))
  first.train(6)  # stops in the second truncation of a batch of problems
  resumed = make(str(tmp_path / "run"))
  last = resumed.train(40)
  straight = make(str(tmp_path / "straight"))
  straight.train(40)
  for a, b in zip(resumed.learner.trainable_variables,
                  straight.learner.trainable_variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  # The learned optimiser beats its untrained self on new problems.
  held_out = problems.evaluation_tasks(10, seed=99).tasks
  untrained = make(str(tmp_path / "untrained")).learner

  def mean_final(learner):
    return np.mean([float(learner.adapt(
        optimizees.Quadratic(*[t[i] for t in held_out]),
        num_steps=20).losses[-1])
                    for i in range(10)])
  # (Its untrained steps are tiny: 2.85 -> about 0.8 after 40 meta-steps.)
  assert mean_final(resumed.learner) < 0.5 * mean_final(untrained), last


def test_compute_gradients_is_the_first_truncations_gradient_of_train_step():
  problems = optimizees.QuadraticProblems()
  learner = km.LearningToLearn(problems, num_steps=4, truncation=2)
  batch = next(iter(problems.dataset(seed=0, batch_size=3)))
  expected = learner.compute_gradients(*batch)
  variables = learner.trainable_variables
  before = [v.numpy().copy() for v in variables]
  optimizer = keras.optimizers.SGD(1.0)
  optimizer.build(variables)
  state = learner.train_state(3)
  state, metrics = learner.train_step(state, batch, optimizer)
  assert int(state["truncation"]) == 1
  assert float(metrics["_nonfinite_gradients"]) == 0.0
  for name in learner.metric_names:
    np.testing.assert_allclose(metrics[name], expected.metrics[name],
                               rtol=1e-6)
  # SGD at rate 1 moved each weight by exactly its gradient.
  for gradient, old, variable in zip(expected.gradients, before, variables):
    np.testing.assert_allclose(old - variable.numpy(), gradient.numpy(),
                               rtol=1e-5, atol=1e-7)
  # The second truncation continues the problems: another objective.
  _, later = learner.train_step(state, batch, optimizer)
  assert float(later["final_loss"]) != float(metrics["final_loss"])


def test_bad_settings_are_named():
  learner = km.LearningToLearn(optimizees.QuadraticProblems(), num_steps=4,
                               truncation=2)
  with pytest.raises(ValueError, match="one state per problem"):
    learner.train_state(None)
  with pytest.raises(ValueError, match="truncation must divide num_steps"):
    km.LearningToLearn(optimizees.QuadraticProblems(), num_steps=10,
                       truncation=3)
  with pytest.raises(TypeError, match="optimisee distribution"):
    km.LearningToLearn(km.SinusoidTasks())
  with pytest.raises(ValueError, match="preprocess must be"):
    lstm_optimizer.CoordinatewiseLSTM(preprocess="sign")
  with pytest.raises(TypeError, match="takes a CoordinatewiseLSTM"):
    km.LearnedOptimizer(keras.layers.Dense(1))


def test_mlp_problems_draw_their_weights_and_batches_from_the_seed():
  problems = optimizees.MLPProblems(batch_size=16)
  one = problems.sample(tf.constant([1, 2]))
  params = problems.initial_params(one)
  assert [tuple(p.shape) for p in params] == problems.parameter_shapes
  again = problems.initial_params(problems.sample(tf.constant([1, 2])))
  for a, b in zip(params, again):
    np.testing.assert_array_equal(a, b)
  assert float(problems.loss(one, params, 0)) != float(
      problems.loss(one, params, 1))  # another mini-batch per step
  relu = optimizees.MLPProblems(hidden_sizes=(20, 20), activation="relu")
  assert len(relu.parameter_shapes) == 6


def test_convolution_kernels_can_have_an_lstm_of_their_own():
  dense, conv = _network(output_scale=0.1), _network(output_scale=0.1)
  for weight in conv.output_layer.weights:  # the conv LSTM outputs zero
    weight.assign(np.zeros(weight.shape, np.float32))
  transform = km.inner.learned_update(dense, conv_network=conv)
  kernel, bias = tf.ones([3, 3, 2, 4]), tf.ones([4])
  grads = [tf.fill(kernel.shape, 0.3), tf.fill(bias.shape, 0.3)]
  updates, _ = transform.update(grads, transform.init([kernel, bias]))
  np.testing.assert_array_equal(updates[0], np.zeros(kernel.shape))
  assert np.all(np.abs(updates[1].numpy()) > 0)
  learner = km.LearningToLearn(optimizees.QuadraticProblems(), num_steps=2,
                               truncation=1, separate_conv=True)
  assert len(learner.trainable_variables) == 2 * len(
      learner.network.trainable_variables)
  assert set(learner.checkpoint_items()) == {"network", "conv_network"}


def test_glyph_characters_are_a_second_mlp_dataset():
  x, y = optimizees.load_glyph_characters(num_classes=3, samples=4, size=8)
  assert x.shape == (12, 64) and 0 <= x.min() and x.max() <= 1
  problems = optimizees.MLPProblems(x, y, batch_size=6)
  problem = problems.sample(tf.constant([0, 1]))
  assert np.isfinite(float(problems.loss(
      problem, problems.initial_params(problem), 0)))


def test_lstm_maml_honours_first_order_and_refuses_masks():
  from tests import helpers  # pylint: disable=g-import-not-at-top
  model = helpers.tiny_mlp()
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  make = lambda **kwargs: km.algorithms.LSTMMAML(
      model, units=(3,), output_scale=0.1, num_inner_steps=2, **kwargs)
  keras.utils.set_random_seed(0)
  first = make()
  keras.utils.set_random_seed(0)
  second = make(first_order=False)
  assert first.first_order and not second.first_order
  a = first.compute_gradients(tasks, seeds).gradients
  b = second.compute_gradients(tasks, seeds).gradients
  assert any(not np.allclose(x, y) for x, y in zip(a, b))
  masked = keras.Sequential([keras.Input((1,)),
                             km.TDense(4, mask="unit", activation="tanh"),
                             km.TDense(1)])
  with pytest.raises(ValueError, match="has MT-net masks"):
    km.algorithms.LSTMMAML(masked)


def test_the_optimiser_settings_default_to_the_authors_code_per_optimisee():
  # deepmind/learning-to-learn util.get_config: quadratics feed the raw
  # gradient of a loss averaged over 128 problems, output times 1; MNIST
  # (and any other problem) LogAndSign, output times 0.01 (p: the paper's
  # 10, where the code has 5).
  def settings(network):
    return (network.preprocess, network.p, network.output_scale,
            network.gradient_scale)
  quadratic = km.LearningToLearn(optimizees.QuadraticProblems(), units=(2,))
  assert settings(quadratic.network)[0] is None
  assert settings(quadratic.network)[2:] == (1.0, 1 / 128)
  digits = km.LearningToLearn(
      optimizees.MLPProblems(*optimizees.load_digits("validation"),
                             batch_size=16), units=(2,))
  assert settings(digits.network) == ("log_and_sign", 10.0, 0.01, 1.0)
  undeclared = km.LearningToLearn(TinyQuadratics(), units=(2,))
  assert settings(undeclared.network) == ("log_and_sign", 10.0, 0.01, 1.0)
  assert settings(lstm_optimizer.CoordinatewiseLSTM()) == (
      "log_and_sign", 10.0, 0.01, 1.0)
  given = km.LearningToLearn(optimizees.QuadraticProblems(), units=(2,),
                             preprocess="log_and_sign", output_scale=0.1)
  assert settings(given.network) == ("log_and_sign", 10.0, 0.1, 1 / 128)


def test_gradient_scale_is_the_gradient_of_a_scaled_loss():
  scaled = _network(units=(4,), preprocess=None, output_scale=1.0,
                    gradient_scale=1 / 128)
  plain = _network(units=(4,), preprocess=None, output_scale=1.0)
  gradients = tf.constant([3.0, -0.5, 40.0])
  states = plain.initial_state(3)
  np.testing.assert_allclose(scaled(gradients, states)[0],
                             plain(gradients / 128, states)[0], rtol=1e-6)
  for value in (0.0, -1.0, float("nan"), True):
    with pytest.raises(ValueError, match="gradient_scale must be"):
      lstm_optimizer.CoordinatewiseLSTM(gradient_scale=value)


def _stacked(problems, seeds):
  """A batch of `problems`' problems of `seeds`, and their theta_0."""
  each = [problems.sample(tf.constant(seed)) for seed in seeds]
  batch = tf.nest.map_structure(lambda *values: tf.stack(values), *each)
  params = [tf.stack(values) for values in
            zip(*[problems.initial_params(p) for p in each])]
  return each, batch, params


@pytest.mark.parametrize("problems", [
    optimizees.QuadraticProblems(dimension=4),
    optimizees.MLPProblems(hidden_sizes=(5,), batch_size=16)],
    ids=["quadratic", "mlp"])
def test_a_batch_of_problems_truncates_as_each_problem_alone(problems):
  learner = km.LearningToLearn(problems, num_steps=6, truncation=3,
                               units=(6,), preprocess="log_and_sign",
                               output_scale=0.1)
  each, batch, params = _stacked(problems, [[1, 2], [3, 4], [5, 6]])
  losses, metrics, ends, _ = learner.batch_truncation_objective(
      batch, params, learner.initial_state(params), tf.constant(3))
  for index, problem in enumerate(each):
    start = problems.initial_params(problem)
    loss, alone, end, _ = learner.truncation_objective(
        problem, start, learner.initial_state(start), tf.constant(3))
    np.testing.assert_allclose(losses[index], loss, rtol=1e-5)
    np.testing.assert_allclose(metrics["final_loss"][index],
                               alone["final_loss"], rtol=1e-5)
    for batched, single in zip(ends, end):
      np.testing.assert_allclose(batched[index], single, rtol=1e-5,
                                 atol=1e-7)


def test_the_mlps_batch_loss_is_each_problems_minibatch_cross_entropy():
  problems = optimizees.MLPProblems(hidden_sizes=(5,), batch_size=16)
  each, batch, params = _stacked(problems, [[1, 2], [3, 4]])
  got = problems.batch_loss(batch, params, tf.constant(7)).numpy()
  for index, problem in enumerate(each):
    indices = km.sampling.choose(
        km.sampling.fold_in(km.sampling.fold_in(problem.seed, 1000), 7),
        problems.x.shape[0], 16).numpy()
    w1, b1, w2, b2 = [p[index].numpy() for p in params]
    hidden = 1 / (1 + np.exp(-(problems.x[indices] @ w1 + b1)))
    logits = hidden @ w2 + b2
    logits -= logits.max(-1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -log_p[np.arange(16), problems.y[indices]].mean()
    np.testing.assert_allclose(got[index], expected, rtol=1e-5)


def test_a_distribution_without_batch_loss_is_vectorised_over_its_problems():
  problems = optimizees.QuadraticProblems(dimension=4)
  each, batch, params = _stacked(problems, [[1, 2], [3, 4]])

  class Plain:  # the same problems, one at a time only
    loss = staticmethod(problems.loss)
  got = learning_to_learn.problem_losses(Plain(), batch, params,
                                         tf.constant(0))
  np.testing.assert_allclose(
      got, [problems.loss(p, [v[i] for v in params])
            for i, p in enumerate(each)], rtol=1e-6)
