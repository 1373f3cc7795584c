# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""LEO: latent embedding optimisation (Rusu et al. 2019, algorithm 1).

The inner loop adapts a latent code z, not the network's weights. For an
N-way K-shot task over fixed embeddings x (section 2.3, figure 2):

  encode    e_n^k = g_phi_e(dropout(x_n^k))
            (mu_n, sigma_n) = mean over k of g_phi_r over all pairs
            z_n^k ~ N(mu_n, sigma_n)                          (eq. 4-5)
  decode    (mu_w, sigma_w) = g_phi_d(z_n^k), w_n^k ~ N(mu_w, sigma_w)
            logits(x) = mean over k of x . w_n^k               (eq. 6)
  adapt     z <- z - alpha * grad_z L_support(decode(z))  (num_latent_steps,
            re-decoding after each step)
  fine-tune w <- w - eta * grad_w L_support(w)     (num_finetuning_steps)
  objective L_query(w) + beta KL(N(mu, sigma) || N(0, I))
            + gamma ||stop_gradient(z') - z||^2                (eq. 7)
            + lambda_1 ||phi||^2 + lambda_2 ||C_d - I||^2         (eq. 8)

with C_d the correlation matrix of the decoder kernel's rows
(`layers.leo.orthogonality_penalty`, the paper's and the reference's).

alpha (one rate per latent dimension) and eta (one per embedding feature)
are meta-learned, part of phi.

A meta-batch runs as one computation with a leading task axis on every
tensor (`batch_objective`), not one task at a time: meta-training's draws
are made first, each task's from its own seed (`leo_draws`), and each
task's inner gradient is that of the batch's summed support losses (the
tasks share no inner variable). A single task is a batch of one.

Where the paper leaves a detail open this follows the authors' code
(deepmind/leo, `model.py`):
  * standard deviations are `max(exp(s) - 1 + offset, 1e-10)`, offset 0 for
    z and sqrt(2 / (features + N)) for w (Glorot's scale);
  * the K support examples of a class each get their own draw of z and of
    w from the class's Gaussian, and the classifier averages their logits;
  * inner gradients are of the support loss summed over the examples;
  * the penalties are means over entries (KL, encoder penalty,
    orthogonality) and `sum w^2 / 2` (L2, over the encoder, relation and
    decoder kernels), added once per batch;
  * outside meta-training z and w are the means and there is no dropout.
The KL term is the closed form of KL(N(mu, sigma) || N(0, 1)) averaged over
entries, where the authors' code uses its one-sample estimate
`log q(z) - log p(z)` (same expectation, no sampling noise).
The reference replaces a NaN meta-gradient by the L2 penalty's; here a
non-finite gradient stops training with an error (`Trainer`).
Meta-gradients are clipped as the reference's runner clips them: each
tensor by value (`gradient_clip_value`), then by its norm
(`gradient_clip_norm`). The reference clips the gradient of its one batch;
with several replicas, `train_step` sums their parts first and clips the
sum (`compute_gradients`, which sees one replica's part, clips that).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Optional, Sequence, TYPE_CHECKING, Union

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kerasmeta import inner
from kerasmeta.algorithms import base
from kerasmeta.algorithms import leo_draws
from kerasmeta.layers import leo as leo_layers
from kerasmeta.tasks import base as tasks_base

if TYPE_CHECKING:
  from kerasmeta._typing import (InputShape, IntLike, Metrics, Scalar,
                                 ScaleLoss, Seed, TaskBatch)
  from kerasmeta.algorithms.leo_draws import LEODraws
  from kerasmeta.tasks.base import Task

_MIN_STDDEV = 1e-10


class LEOAdaptation(NamedTuple):
  """What `LEO.adapt` returns for one task.

  Attributes:
    weights: the fine-tuned classifier weights, `[N, K, features]` (one
      row per support example's draw; the logits average over K).
    latents: z after the latent steps, `[N, K, num_latents]`.
    initial_latents: z as encoded, before the latent steps.
    latent_means: the classes' latent Gaussians' means, `[N, num_latents]`.
    latent_stddevs: their standard deviations.
    latent_losses: the summed support loss before each latent step.
    finetuning_losses: the same before each fine-tuning step.
  """
  weights: tf.Tensor
  latents: tf.Tensor
  initial_latents: tf.Tensor
  latent_means: tf.Tensor
  latent_stddevs: tf.Tensor
  latent_losses: tf.Tensor
  finetuning_losses: tf.Tensor


class LEONetworks(keras.layers.Layer):
  """phi: the encoder, relation network, decoder and the two inner rates.

  Args:
    features: the embedding size D.
    num_latents: the latent size.
    latent_learning_rate: alpha's initial value (every latent dimension).
    finetuning_learning_rate: eta's initial value (every feature).
    learn_rates: meta-learn alpha and eta (the paper); False keeps them at
      their initial values (an ablation).
  """

  def __init__(self, features: int, num_latents: int = 64,
               latent_learning_rate: float = 1.0,
               finetuning_learning_rate: float = 1e-3, learn_rates: bool = True,
               **kwargs: Any) -> None:
    super().__init__(**kwargs)
    self.learn_rates = bool(learn_rates)
    self.features, self.num_latents = int(features), int(num_latents)
    self.latent_learning_rate = float(latent_learning_rate)
    self.finetuning_learning_rate = float(finetuning_learning_rate)
    policy = self.dtype_policy
    self.encoder = keras.layers.Dense(self.num_latents, use_bias=False,
                                      dtype=policy, name="encoder")
    self.relation_network = leo_layers.RelationNetwork(
        2 * self.num_latents, dtype=policy, name="relation_network")
    self.decoder = keras.layers.Dense(2 * self.features, use_bias=False,
                                      dtype=policy, name="decoder")

  def build(self, input_shape: Optional[InputShape] = None) -> None:
    del input_shape
    self.encoder.build((None, self.features))
    self.relation_network.build((None, self.num_latents))
    self.decoder.build((None, self.num_latents))
    self.latent_rates = self.add_weight(
        shape=(self.num_latents,), name="latent_rates",
        initializer=keras.initializers.Constant(self.latent_learning_rate),
        trainable=self.learn_rates)
    self.finetuning_rates = self.add_weight(
        shape=(self.features,), name="finetuning_rates",
        initializer=keras.initializers.Constant(
            self.finetuning_learning_rate), trainable=self.learn_rates)

  def call(self, inputs: Any) -> tf.Tensor:
    raise NotImplementedError(
        "LEONetworks holds LEO's weights; the LEO learner runs them.")

  @property
  def kernels(self) -> list[keras.Variable]:
    """The kernels the L2 penalty weighs (the reference's regularised
    weights: encoder, relation network, decoder)."""
    return [self.encoder.kernel, self.decoder.kernel] + [
        layer.kernel for layer in self.relation_network.dense_layers]

  def get_config(self) -> dict[str, Any]:
    return {**super().get_config(), "features": self.features,
            "num_latents": self.num_latents,
            "latent_learning_rate": self.latent_learning_rate,
            "finetuning_learning_rate": self.finetuning_learning_rate,
            "learn_rates": self.learn_rates}


class LEO(base.MetaLearner):
  """Latent embedding optimisation over fixed embeddings (algorithm 1).

  ```python
  learner = km.algorithms.LEO(features=640, ways=5)
  ```

  Tasks are N-way episodes of embeddings: `support_x [N*K, features]` with
  labels 0..N-1 (any order; every class K times), `query_x [Q, features]`.

  Args:
    features: the embedding size D.
    ways: N.
    num_latents: the size of z (the reference: 64).
    num_latent_steps: inner steps on z (5).
    num_finetuning_steps: inner steps on the decoded weights (5).
    latent_learning_rate: alpha's initial value (1.0).
    finetuning_learning_rate: eta's initial value (1e-3).
    learn_rates: meta-learn alpha and eta per dimension (the paper's
      Meta-SGD-style rates; False: fixed at the initial values, an
      ablation).
    kl_weight: beta (1e-3).
    encoder_penalty_weight: gamma (1e-9).
    l2_penalty_weight: lambda_1 (1e-8).
    orthogonality_penalty_weight: lambda_2 (1e-3).
    dropout_rate: on the embeddings in meta-training (0.5).
    gradient_clip_value: clips each meta-gradient entry to +-this (0.1; 0:
      none).
    gradient_clip_norm: then clips each meta-gradient tensor's norm (0.1;
      0: none).
    normalize_inputs: L2-normalise every embedding (support and query)
      inside the learner, as the reference's data pipeline does
      (deepmind/leo `data.py`: `tf.nn.l2_normalize` on each instance), so
      that adapting, predicting and the served adapter read raw
      embeddings as training did (True); False for inputs of another
      contract.
    dtype: of the weights and the computation ("float32"; "float64" for
      finite-difference checks).
  """

  name = "leo"
  metric_names = ("query_loss", "query_accuracy", "support_loss", "kl",
                  "encoder_penalty", "regularization")

  def __init__(self, features: int, ways: int, *, num_latents: int = 64,
               num_latent_steps: int = 5, num_finetuning_steps: int = 5,
               latent_learning_rate: float = 1.0,
               finetuning_learning_rate: float = 1e-3, learn_rates: bool = True,
               kl_weight: float = 1e-3, encoder_penalty_weight: float = 1e-9,
               l2_penalty_weight: float = 1e-8,
               orthogonality_penalty_weight: float = 1e-3,
               dropout_rate: float = 0.5, gradient_clip_value: float = 0.1,
               gradient_clip_norm: float = 0.1, normalize_inputs: bool = True,
               dtype: Union[str, tf.DType] = "float32") -> None:
    value: float  # the checks below: ints, then floats
    for name, value, minimum in (
        ("features", features, 1), ("ways", ways, 2),
        ("num_latents", num_latents, 1),
        ("num_latent_steps", num_latent_steps, 0),
        ("num_finetuning_steps", num_finetuning_steps, 0)):
      if int(value) != value or int(value) < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; received "
                         f"{value!r}.")
    for name, value in (
        ("kl_weight", kl_weight),
        ("encoder_penalty_weight", encoder_penalty_weight),
        ("l2_penalty_weight", l2_penalty_weight),
        ("orthogonality_penalty_weight", orthogonality_penalty_weight),
        ("gradient_clip_value", gradient_clip_value),
        ("gradient_clip_norm", gradient_clip_norm)):
      if not (value >= 0 and math.isfinite(value)):  # NaN included
        raise ValueError(f"{name} must be finite and >= 0; received "
                         f"{value}.")
    if not 0 <= dropout_rate < 1:
      raise ValueError(f"dropout_rate must be in [0, 1); received "
                       f"{dropout_rate}.")
    self.features, self.ways = int(features), int(ways)
    self.num_latent_steps = int(num_latent_steps)
    self.num_finetuning_steps = int(num_finetuning_steps)
    self.num_inner_steps = self.num_latent_steps + self.num_finetuning_steps
    self.kl_weight = float(kl_weight)
    self.encoder_penalty_weight = float(encoder_penalty_weight)
    self.l2_penalty_weight = float(l2_penalty_weight)
    self.orthogonality_penalty_weight = float(orthogonality_penalty_weight)
    self.dropout_rate = float(dropout_rate)
    self.gradient_clip_value = float(gradient_clip_value)
    self.gradient_clip_norm = float(gradient_clip_norm)
    self.normalize_inputs = bool(normalize_inputs)
    self.dtype = tf.as_dtype(dtype)
    self.networks = LEONetworks(
        self.features, num_latents, latent_learning_rate,
        finetuning_learning_rate, learn_rates, dtype=self.dtype.name,
        name="leo")
    self.networks.build()
    # Glorot's scale of the classifier weights (the reference's offset).
    self._weight_offset = math.sqrt(2.0 / (self.features + self.ways))

  # ------------------------------------------------------------ interface
  @property
  def trainable_variables(self) -> list[tf.Variable]:
    return list(self.networks.trainable_variables)

  def checkpoint_items(self) -> dict[str, Any]:
    return {"leo": self.networks}

  def compute_gradients(
      self, tasks: TaskBatch, seeds: tf.Tensor,
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> base.MetaGradients:
    """The meta-gradient of this replica's tasks, clipped."""
    gradients, metrics = self._meta_gradients(tasks, seeds,
                                              global_batch_size, scale_loss)
    return base.MetaGradients(self.clip(gradients), metrics)

  def train_step(
      self, state: dict, batch: tuple[TaskBatch, tf.Tensor],
      optimizer: keras.optimizers.Optimizer,
      context: base.StepContext = base.StepContext()) -> tuple[dict, Metrics]:
    """The meta-step with the whole batch's meta-gradient clipped.

    Each replica computes its part; the parts are summed across replicas
    before the clip (clip(a) + clip(b) is not clip(a + b)), and each
    replica then hands the optimiser its share of the clipped sum, which
    the optimiser adds up again.
    """
    tasks, seeds = batch
    compute = context.compile(lambda tasks, seeds: tuple(
        self._meta_gradients(tasks, seeds, context.global_batch_size,
                             context.scale_loss)))
    gradients, metrics = compute(tasks, seeds)
    replica = tf.distribute.get_replica_context()
    replicas = 1 if replica is None else replica.num_replicas_in_sync
    if replicas > 1:
      gradients = replica.all_reduce(tf.distribute.ReduceOp.SUM, gradients)
    gradients = self.clip(gradients)
    if context.scale_loss is None:
      metrics = base.check_gradients(gradients, metrics)
    if replicas > 1:
      gradients = [gradient / replicas for gradient in gradients]
    optimizer.apply(gradients, self.trainable_variables)
    return state, metrics

  def _meta_gradients(self, tasks, seeds, global_batch_size, scale_loss):
    """The unclipped meta-gradient of this replica's tasks, and metrics."""
    clipping = self.gradient_clip_value > 0 or self.gradient_clip_norm > 0
    if scale_loss is not None and clipping:
      raise ValueError("LEO clips its meta-gradients, which a loss scale "
                       "(mixed_float16) would distort: train in float32 or "
                       "set both gradient clips to 0.")
    base.validate_tasks(tasks)
    variables = self.trainable_variables
    with tf.GradientTape() as tape:
      values, metrics = self.batch_objective(tasks, seeds, training=True)
      regularization = self.regularization()
      local = tf.cast(tf.shape(values)[0], self.dtype)
      share = 1.0 if global_batch_size is None else \
          local / tf.cast(global_batch_size, self.dtype)
      total = base.mean_over_tasks(values, global_batch_size) + \
          share * regularization
      if scale_loss is not None:
        total = scale_loss(total)
    gradients = base.gradients(tape, total, variables)
    metrics = {name: tf.reduce_mean(value) for name, value in metrics.items()}
    metrics["regularization"] = tf.cast(regularization, tf.float32)
    metrics = {name: tf.cast(value, tf.float32)
               for name, value in metrics.items()}
    return base.MetaGradients(gradients, metrics)

  # ------------------------------------------------------------ the model
  def regularization(self) -> tf.Tensor:
    """lambda_1 L2 + lambda_2 orthogonality: the batch's penalties (eq. 8)."""
    networks = self.networks
    return (self.l2_penalty_weight * leo_layers.l2_penalty(networks.kernels)
            + self.orthogonality_penalty_weight
            * leo_layers.orthogonality_penalty(networks.decoder.kernel))

  def clip(self, gradients: list[tf.Tensor]) -> list[tf.Tensor]:
    """Each tensor clipped by value, then by norm (the reference's runner)."""
    if self.gradient_clip_value > 0:
      gradients = [tf.clip_by_value(g, -self.gradient_clip_value,
                                    self.gradient_clip_value)
                   for g in gradients]
    if self.gradient_clip_norm > 0:
      gradients = [tf.clip_by_norm(g, self.gradient_clip_norm)
                   for g in gradients]
    return gradients

  def encode(self, support_x: tf.Tensor,
             draws: Optional[LEODraws] = None) -> tuple[tf.Tensor, ...]:
    """The latent Gaussians of each class and z drawn from them.

    Args:
      support_x: `[T, N, K, features]`, class-major (`class_major`).
      draws: meta-training's `LEODraws` (dropout and z drawn), or None
        (the means, no dropout).

    Returns:
      `(latents [T, N, K, num_latents], means [T, N, num_latents],
      stddevs [T, N, num_latents])`.
    """
    num_latents = self.networks.num_latents
    support_x = self.inputs(support_x)
    if draws is not None:
      support_x = leo_draws.dropped(support_x, draws.encoder_keep,
                                    self.dropout_rate)
    codes = self.networks.encoder(support_x)
    shape = tf.shape(codes)
    related = self.networks.relation_network(
        tf.reshape(codes, [shape[0], -1, num_latents]))
    per_class = tf.reduce_mean(
        tf.reshape(related, [shape[0], self.ways, -1, 2 * num_latents]),
        axis=2)
    means, stddevs = self._gaussian(per_class, offset=0.0)
    latents = tf.tile(means[:, :, tf.newaxis], [1, 1, shape[2], 1])
    if draws is not None:
      latents += stddevs[:, :, tf.newaxis] * draws.latent_noise
    return latents, means, stddevs

  def decode(self, latents: tf.Tensor,
             noise: Optional[tf.Tensor] = None) -> tf.Tensor:
    """Classifier weights `[..., N, K, features]` from z: the means, or
    drawn with `noise` (meta-training)."""
    means, stddevs = self._gaussian(self.networks.decoder(latents),
                                    offset=self._weight_offset)
    return means if noise is None else means + stddevs * noise

  def logits(self, weights: tf.Tensor, x: tf.Tensor,
             keep: Optional[tf.Tensor] = None) -> tf.Tensor:
    """`[..., M, N]`: each class's logit averaged over its K weights, of
    `x [..., M, features]` (its entries dropped out where `keep` is
    False: meta-training)."""
    x = leo_draws.dropped(self.inputs(x), keep, self.dropout_rate)
    shots = tf.cast(tf.shape(weights)[-2], self.dtype)
    return tf.einsum("...md,...nkd->...mn", x, weights) / shots

  def _gaussian(self, parameters, offset):
    means, raw = tf.split(parameters, 2, axis=-1)
    stddevs = tf.maximum(tf.exp(raw) - (1.0 - offset), _MIN_STDDEV)
    return means, stddevs

  def inputs(self, x: tf.Tensor) -> tf.Tensor:
    """Embeddings as the networks read them: in `dtype`, L2-normalised per
    example where `normalize_inputs` (idempotent on normalised ones, up to
    rounding)."""
    x = tf.cast(x, self.dtype)
    return tf.nn.l2_normalize(x, axis=-1) if self.normalize_inputs else x

  def support_loss(self, weights: tf.Tensor, task: Task,
                   keep: Optional[tf.Tensor] = None) -> tf.Tensor:
    """The support cross-entropy summed over examples (the inner loss):
    `[...]`, one per task of `task`'s leading axes."""
    logits = self.logits(weights, task.support_x, keep)
    return tf.reduce_sum(_cross_entropy(task.support_y, logits), axis=-1)

  def class_major(self, tasks: Task) -> tf.Tensor:
    """The support inputs of a batch of tasks as `[T, N, K, features]`,
    each task's sorted by label.

    Raises (in the graph) where a task's labels are not K of each of
    0..N-1.
    """
    total = tasks.support_x.shape[1]
    if total is not None and total % self.ways:
      raise ValueError(
          f"LEO needs the same number of support examples for each of the "
          f"{self.ways} classes; received {total} examples.")
    # K: static where the support size is (training), else in the graph.
    shots = total // self.ways if total is not None else \
        tf.shape(tasks.support_x)[1] // self.ways
    count = tf.shape(tasks.support_x)[0]
    labels = tf.reshape(tf.cast(tasks.support_y, tf.int32), [count, -1])
    order = tf.argsort(labels, axis=-1, stable=True)
    expected = tf.repeat(tf.range(self.ways, dtype=tf.int32), shots)
    message = (f"LEO's support labels must be K of each of 0..{self.ways - 1}"
               if tf.is_tensor(shots) else
               f"LEO's support labels must be {shots} of each of "
               f"0..{self.ways - 1}")
    checks = [tf.debugging.assert_equal(tf.shape(labels)[1],
                                        tf.size(expected), message=message)] \
        if tf.is_tensor(shots) else []
    with tf.control_dependencies(checks):
      checks.append(tf.debugging.assert_equal(
          tf.gather(labels, order, batch_dims=1), expected[tf.newaxis],
          message=message))
    with tf.control_dependencies(checks):
      inputs = tf.gather(tf.cast(tasks.support_x, self.dtype), order,
                         batch_dims=1)
    return tf.reshape(inputs, [count, self.ways, -1, self.features])

  def draws(self, tasks: Task, seeds: tf.Tensor,
            num_latent_steps: Optional[int] = None) -> LEODraws:
    """Meta-training's `LEODraws` of a batch of tasks, each from its seed."""
    steps = self.num_latent_steps if num_latent_steps is None else \
        num_latent_steps
    if not isinstance(steps, int):
      raise ValueError("LEO's meta-training draws need a Python int number "
                       f"of latent steps; received {steps!r}.")
    support = tasks.support_x.shape[1]
    queries = 0 if tasks.query_x is None else tasks.query_x.shape[1]
    if support is None or queries is None:
      raise ValueError("LEO's meta-training draws need static support and "
                       "query sizes.")
    return leo_draws.draw(
        seeds, ways=self.ways, shots=support // self.ways,
        num_query=queries, features=self.features,
        num_latents=self.networks.num_latents, num_latent_steps=steps,
        num_finetuning_steps=self.num_finetuning_steps,
        dropout_rate=self.dropout_rate, dtype=self.dtype)

  def adapt(self, task: Any, support_y: Optional[Any] = None, *,
            seed: Optional[Seed] = None, num_steps: Optional[IntLike] = None,
            training: bool = False, max_steps: Optional[int] = None,
            rate_scale: Optional[Scalar] = None) -> inner.AdaptResult:
    """Encodes, adapts z, decodes and fine-tunes: the task's classifier.

    Args:
      task: one `Task` (no task axis), a `(support_x, support_y)` pair, or
        the support features (then `support_y` holds their labels).
      support_y: the support labels, where `task` is the features.
      seed: int32 [2], the draws' seed (needed where `training`).
      num_steps: latent steps (default: the trained number); an int
        scalar tensor needs `max_steps` (and no `training`). The
        fine-tuning steps stay the trained number.
      training: meta-training's draws and dropout, or the means.
      max_steps: static bound of a tensor `num_steps`.
      rate_scale: multiplies both learned rates (default 1).

    Returns:
      An `inner.AdaptResult`: `params` the fine-tuned classifier weights
      (one tensor), `losses` the summed support loss before each latent
      step then before each fine-tuning step, `details` the whole
      `LEOAdaptation`.
    """
    adaptation = self.adaptation(tasks_base.as_task(task, support_y), seed,
                                 training, num_steps, max_steps, rate_scale)
    return inner.AdaptResult(
        [adaptation.weights],
        tf.concat([adaptation.latent_losses, adaptation.finetuning_losses],
                  0),
        details=adaptation)

  def adaptation(self, task: Task, seed: Optional[Seed] = None,
                 training: bool = False,
                 num_latent_steps: Optional[IntLike] = None,
                 max_steps: Optional[int] = None,
                 rate_scale: Optional[Scalar] = None) -> LEOAdaptation:
    """`adapt`'s whole record of one `Task`: a `LEOAdaptation` (the latent
    codes and Gaussians the meta-objective's penalties read)."""
    if training and seed is None:
      raise ValueError("LEO's meta-training draws need a seed.")
    tasks = _one_task_batch(task)
    draws = self.draws(tasks, tf.expand_dims(seed, 0), num_latent_steps) \
        if training else None
    batch = self.batch_adaptation(tasks, draws, num_latent_steps, max_steps,
                                  rate_scale)
    # mypy counts a starred list as filling every field.
    return LEOAdaptation(  # type: ignore[call-arg]
        *[value[0] for value in batch[:5]], batch.latent_losses[:, 0],
        batch.finetuning_losses[:, 0])

  def batch_adaptation(self, tasks: Task, draws: Optional[LEODraws] = None,
                       num_latent_steps: Optional[IntLike] = None,
                       max_steps: Optional[int] = None,
                       rate_scale: Optional[Scalar] = None) -> LEOAdaptation:
    """`adaptation` of a batch of tasks at once (a leading task axis on
    every field; the losses `[steps, T]`), with meta-training's `draws`
    or the means (None)."""
    tasks = tasks._replace(support_x=tf.cast(tasks.support_x, self.dtype))
    latents, means, stddevs = self.encode(self.class_major(tasks), draws)
    noise = None if draws is None else draws.decoder_noise
    num_steps = self.num_latent_steps if num_latent_steps is None else \
        num_latent_steps
    scale = (lambda rates: rates) if rate_scale is None else \
        (lambda rates: rates * tf.cast(rate_scale, self.dtype))
    adapted = inner.adapt(
        lambda values, step: self.support_loss(
            self.decode(values[0], leo_draws.at_step(noise, step)),
            tasks, leo_draws.at_step(
                None if draws is None else draws.latent_keep, step)),
        [latents],
        inner.scale_by_learning_rate([scale(self.networks.latent_rates)]),
        num_steps, max_steps=max_steps, step_loss=True)
    weights = self.decode(adapted.params[0],
                          leo_draws.at_step(noise, num_steps))
    finetuning_keep = None if draws is None else draws.finetuning_keep
    finetuned = inner.adapt(
        lambda values, step: self.support_loss(
            values[0], tasks, leo_draws.at_step(finetuning_keep, step)),
        [weights],
        inner.scale_by_learning_rate([scale(self.networks.finetuning_rates)]),
        self.num_finetuning_steps, step_loss=True)
    return LEOAdaptation(finetuned.params[0], adapted.params[0], latents,
                         means, stddevs, adapted.losses, finetuned.losses)

  def predict(self, adapted: Any, x: tf.Tensor) -> tf.Tensor:
    """Logits `[M, N]` of the adapted classifier (no dropout).

    Args:
      adapted: what `adapt` returned, its `params` (`[weights]`), or the
        classifier weights.
      x: features `[M, features]`.
    """
    if isinstance(adapted, inner.AdaptResult):
      adapted = adapted.params
    if isinstance(adapted, (list, tuple)):
      (adapted,) = adapted
    return self.logits(adapted, x)

  def task_objective(self, task: Task, seed: Seed,
                     training: bool = True) -> tuple[tf.Tensor, Metrics]:
    """One task's meta-objective (eq. 7, without the batch's penalties of
    eq. 8: `regularization`) and its metrics."""
    tasks = _one_task_batch(task)
    objective, metrics = self.batch_objective(
        tasks, tf.expand_dims(seed, 0), training)
    return objective[0], {name: value[0] for name, value in metrics.items()}

  def batch_objective(self, tasks: Task, seeds: tf.Tensor,
                      training: bool = True) -> tuple[tf.Tensor, Metrics]:
    """`task_objective` of a batch of tasks at once: `[T]` each."""
    draws = self.draws(tasks, seeds) if training else None
    adapted = self.batch_adaptation(tasks, draws)
    logits = self.logits(adapted.weights, tasks.query_x,
                         None if draws is None else draws.query_keep)
    query_loss = tf.reduce_mean(_cross_entropy(tasks.query_y, logits), -1)
    labels = tf.reshape(tf.cast(tasks.query_y, tf.int32),
                        tf.shape(logits)[:-1])
    accuracy = tf.reduce_mean(tf.cast(tf.equal(
        tf.argmax(logits, -1, output_type=tf.int32), labels), tf.float32), -1)
    kl = _mean_per_task(_kl_entries(adapted.latent_means,
                                     adapted.latent_stddevs))
    penalty = _mean_per_task(tf.square(
        tf.stop_gradient(adapted.latents) - adapted.initial_latents)) \
        if training else tf.zeros(tf.shape(query_loss), self.dtype)
    objective = query_loss + self.kl_weight * kl + \
        self.encoder_penalty_weight * penalty
    support_loss = self.support_loss(tf.stop_gradient(adapted.weights),
                                     tasks) / tf.cast(
                                         tf.shape(tasks.support_x)[1],
                                         self.dtype)
    return objective, {
        "query_loss": query_loss, "query_accuracy": accuracy,
        "support_loss": support_loss, "kl": kl, "encoder_penalty": penalty}


def kl_divergence(means: tf.Tensor, stddevs: tf.Tensor) -> tf.Tensor:
  """KL(N(means, stddevs) || N(0, I)), averaged over entries (eq. 7's beta
  term): tfp's closed form. The reference code takes a one-sample estimate,
  log q(z) - log p(z) at the drawn z, whose expectation this is; the closed
  form has the same gradient in expectation and no sampling noise."""
  return tf.reduce_mean(_kl_entries(means, stddevs))


def _kl_entries(means, stddevs):
  """KL(N(means, stddevs) || N(0, 1)) of each entry."""
  prior = tfp.distributions.Normal(tf.zeros([], means.dtype),
                                   tf.ones([], means.dtype))
  return tfp.distributions.kl_divergence(
      tfp.distributions.Normal(means, stddevs), prior)


def _one_task_batch(task):
  """`task` (fields without a task axis, None where absent) as a batch of
  one."""
  return tf.nest.map_structure(
      lambda t: None if t is None else tf.expand_dims(t, 0), task)


def _mean_per_task(values):
  """The mean over all axes but the first (the tasks')."""
  return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), -1)


def _cross_entropy(labels, logits):
  """Per example, `[..., M]`, of labels `[..., M]` or `[..., M, 1]`."""
  labels = tf.reshape(tf.cast(labels, tf.int32), tf.shape(logits)[:-1])
  return tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
