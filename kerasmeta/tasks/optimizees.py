# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Optimisee problems for learned optimisers (Andrychowicz et al. 2016).

A problem distribution is a `TaskStream` (a problem is a pure function of
its seed, so streams restart exactly) that also says how to optimise one
of its problems:

  parameter_shapes               the optimisee's parameters' shapes
  initial_params(problem)        theta_0, a list of tensors
  loss(problem, params, step)    f at step `step` (a mini-batch per step)

* `QuadraticProblems`: f(theta) = ||W theta - y||^2, W and y uniform in
  [0, 1), theta_0 ~ N(0, 0.01^2) (section 3.1; the authors' code).
* `MLPProblems`: a classifier with one hidden layer of 20 sigmoid units
  (section 3.2) on 8x8 handwritten digits (scikit-learn's, shipped inside
  the package: no download), on glyph characters
  (`load_glyph_characters`) or on any `[examples, features]` data; a
  problem is a random theta_0 (N(0, 0.01^2) weights and biases, the
  authors' code) and a random sequence of mini-batches of 128, its
  cross-entropy the loss.

A distribution may declare `reference_optimizer`: where the authors'
code's LSTM optimiser settings for it (`util.get_config`) differ from its
default optimiser's (quadratics); `LearningToLearn` takes them by default
(`learning_to_learn.reference_optimizer`).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from typing import Any, Optional, Sequence, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.tasks import base

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Seed

Quadratic = collections.namedtuple("Quadratic",
                                   ["weights", "targets", "initial"])
Quadratic.__doc__ = """One quadratic: f(theta) = ||weights theta - targets||^2
from `initial`."""

MLPProblem = collections.namedtuple("MLPProblem", ["seed"])
MLPProblem.__doc__ = """One MLP problem: its seed draws theta_0 and the
mini-batches."""


@dataclasses.dataclass
class QuadraticProblems(base.TaskStream):
  """Random `dimension`-dimensional quadratics (the paper's first test).

  Attributes:
    dimension: of theta (10 in the paper).
    initial_stddev: theta_0's scale (the authors' code: 0.01).
  """
  dimension: int = 10
  initial_stddev: float = 0.01

  # The authors' code feeds the raw gradient of the loss averaged over its
  # batch of 128 problems (`problems.quadratic`): 1/128 of each one's.
  reference_optimizer = {"preprocess": None, "output_scale": 1.0,
                         "gradient_scale": 1.0 / 128}

  def __post_init__(self):
    if int(self.dimension) < 1:
      raise ValueError(f"dimension must be >= 1; received {self.dimension}.")

  @property
  def parameter_shapes(self) -> list[tuple[int, ...]]:
    return [(self.dimension,)]

  def sample(self, seed: Seed) -> Quadratic:
    weight_seed, target_seed, initial_seed = tf.unstack(
        sampling.split(tf.convert_to_tensor(seed), 3))
    d = self.dimension
    return Quadratic(
        sampling.uniform([d, d], weight_seed),
        sampling.uniform([d], target_seed),
        self.initial_stddev * sampling.normal([d], initial_seed))

  def initial_params(self, problem: Quadratic) -> list[tf.Tensor]:
    return [problem.initial]

  def loss(self, problem: Quadratic, params: Sequence[tf.Tensor],
           step: Optional[IntLike] = None) -> tf.Tensor:
    """||W theta - y||^2."""
    return self.batch_loss(problem, params, step)

  def batch_loss(self, problems: Quadratic, params: Sequence[tf.Tensor],
                 step: Optional[IntLike] = None) -> tf.Tensor:
    """`loss` of problems and parameters with any leading batch axes."""
    del step  # deterministic
    residual = tf.linalg.matvec(problems.weights, params[0]) - \
        problems.targets
    return tf.reduce_sum(tf.square(residual), axis=-1)


def load_digits(split: str = "train", validation_fraction: float = 0.2,
                test_fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
  """scikit-learn's 8x8 digits, features scaled to [0, 1], split by a fixed
  shuffle: `(x [n, 64] float32, y [n] int32)` of "train", "validation" or
  "test"."""
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  digits = datasets.load_digits()
  order = np.random.default_rng(0).permutation(len(digits.target))
  x = (digits.data[order] / 16.0).astype(np.float32)
  y = digits.target[order].astype(np.int32)
  test = int(len(y) * test_fraction)
  validation = int(len(y) * validation_fraction)
  parts = {"test": slice(0, test), "validation": slice(test, test + validation),
           "train": slice(test + validation, None)}
  if split not in parts:
    raise ValueError(f"split must be one of {sorted(parts)}; received "
                     f"{split!r}.")
  return x[parts[split]], y[parts[split]]


# Held-out drawings of the glyph characters per split (after the training
# ones): 14 of each of 10 characters fill a mini-batch of 128.
GLYPH_HELD_OUT_SAMPLES = 14


@functools.lru_cache(maxsize=8)
def load_glyph_characters(
    num_classes: int = 10, samples: int = 40, size: int = 14, seed: int = 0,
    split: str = "train") -> tuple[np.ndarray, np.ndarray]:
  """`num_classes` procedural glyph characters (one alphabet, `size` x
  `size`) as `(x [n, size * size] in [0, 1], y [n] int32)`: a second
  optimisee dataset, no download.

  Args:
    num_classes: characters.
    samples: training drawings of each ("train"); "validation" and "test"
      are the next `GLYPH_HELD_OUT_SAMPLES` drawings of the same characters
      each (every drawing is its own seed's, so the training ones do not
      depend on the split).
    size: pixels a side.
    seed: the alphabet's.
    split: "train", "validation" or "test".
  """
  from kerasmeta.tasks import glyphs  # pylint: disable=g-import-not-at-top
  held_out = GLYPH_HELD_OUT_SAMPLES
  parts = {"train": slice(0, samples),
           "validation": slice(samples, samples + held_out),
           "test": slice(samples + held_out, samples + 2 * held_out)}
  if split not in parts:
    raise ValueError(f"split must be one of {sorted(parts)}; received "
                     f"{split!r}.")
  drawn = samples + (0 if split == "train" else 2 * held_out)
  images = glyphs.generate(glyphs.GlyphConfig(
      num_alphabets=1, characters_per_alphabet=num_classes,
      samples_per_character=drawn, size=size, seed=seed))[:, parts[split]]
  count = images.shape[1]
  x = (images.reshape(num_classes * count, size * size)
       / np.float32(255)).astype(np.float32)
  y = np.repeat(np.arange(num_classes, dtype=np.int32), count)
  x.flags.writeable = y.flags.writeable = False  # cached: shared
  return x, y


@dataclasses.dataclass
class MLPProblems(base.TaskStream):
  """Training an MLP classifier from random weights on mini-batches.

  Attributes:
    x: `[examples, features]` inputs (default: the digits' train split).
    y: `[examples]` integer labels.
    hidden_sizes: hidden layers (the paper: one of 20).
    activation: "sigmoid" (the paper) or "relu" (its generalisation test).
    batch_size: examples per step (the paper: 128).
    initializer: theta_0's draw: "normal" (weights and biases
      N(0, initial_stddev^2), the authors' code's `_nn_initializers`) or
      "glorot" (Glorot-uniform kernels, zero biases).
    initial_stddev: the "normal" draw's scale (0.01).
  """
  x: Any = None  # an array after __post_init__
  y: Any = None
  hidden_sizes: tuple = (20,)
  activation: str = "sigmoid"
  batch_size: int = 128
  initializer: str = "normal"
  initial_stddev: float = 0.01
  # No `reference_optimizer`: the authors' code's default optimiser (its
  # MNIST one), `learning_to_learn.DEFAULT_OPTIMIZER`.

  def __post_init__(self):
    if self.x is None:
      self.x, self.y = load_digits("train")
    self.x = np.asarray(self.x, np.float32)
    self.y = np.asarray(self.y, np.int32)
    if self.x.ndim != 2 or self.y.shape != (self.x.shape[0],):
      raise ValueError(f"x must be [examples, features] and y [examples]; "
                       f"received {self.x.shape} and {self.y.shape}.")
    if self.activation not in ("sigmoid", "relu"):
      raise ValueError(f"activation must be 'sigmoid' or 'relu'; received "
                       f"{self.activation!r}.")
    if self.initializer not in ("normal", "glorot"):
      raise ValueError(f"initializer must be 'normal' or 'glorot'; received "
                       f"{self.initializer!r}.")
    if not 1 <= self.batch_size <= self.x.shape[0]:
      raise ValueError(f"batch_size must be in [1, {self.x.shape[0]}]; "
                       f"received {self.batch_size}.")
    self.hidden_sizes = tuple(int(h) for h in self.hidden_sizes)
    self.num_classes = int(self.y.max()) + 1
    self._x, self._y = tf.constant(self.x), tf.constant(self.y)

  @property
  def parameter_shapes(self) -> list[tuple[int, ...]]:
    sizes = [self.x.shape[1], *self.hidden_sizes, self.num_classes]
    shapes = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
      shapes += [(fan_in, fan_out), (fan_out,)]
    return shapes

  def sample(self, seed: Seed) -> MLPProblem:
    return MLPProblem(tf.cast(tf.convert_to_tensor(seed), tf.int32))

  def initial_params(self, problem: MLPProblem) -> list[tf.Tensor]:
    """theta_0 drawn from the seed (`initializer`)."""
    params = []
    for index, shape in enumerate(self.parameter_shapes):
      seed = sampling.fold_in(problem.seed, index)
      if self.initializer == "normal":
        params.append(self.initial_stddev * sampling.normal(shape, seed))
      elif len(shape) == 1:
        params.append(tf.zeros(shape))
      else:
        limit = np.sqrt(6.0 / (shape[0] + shape[1]))
        params.append(sampling.uniform(shape, seed, -limit, limit))
    return params

  def logits(self, params: Sequence[tf.Tensor], x: tf.Tensor) -> tf.Tensor:
    """The MLP's logits of `x`; with a leading problem axis on `params`,
    `x` has it too (`[problems, examples, features]`)."""
    out = x
    act = tf.sigmoid if self.activation == "sigmoid" else tf.nn.relu
    for index in range(0, len(params), 2):
      bias = tf.expand_dims(params[index + 1], -2)
      out = tf.matmul(out, params[index]) + bias
      if index + 2 < len(params):
        out = act(out)
    return out

  def loss(self, problem: MLPProblem, params: Sequence[tf.Tensor],
           step: Optional[IntLike] = None) -> tf.Tensor:
    """The cross-entropy of the mini-batch of `step`."""
    one = lambda value: tf.expand_dims(value, 0)
    return self.batch_loss(MLPProblem(one(problem.seed)),
                           [one(p) for p in params], step)[0]

  def batch_loss(self, problems: MLPProblem, params: Sequence[tf.Tensor],
                 step: Optional[IntLike] = None) -> tf.Tensor:
    """`loss` of a batch of problems (`seed [P, 2]`) at their stacked
    parameters (`[P, ...]`): `[P]`."""
    step = tf.constant(0) if step is None else step
    indices = tf.map_fn(
        lambda seed: sampling.choose(
            sampling.fold_in(sampling.fold_in(seed, 1000), step),
            self.x.shape[0], self.batch_size),
        problems.seed)
    logits = self.logits(params, tf.gather(self._x, indices))
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        tf.gather(self._y, indices), logits), axis=-1)

  def full_loss(self, params: Sequence[tf.Tensor],
                x: Optional[np.ndarray] = None,
                y: Optional[np.ndarray] = None) -> tf.Tensor:
    """The cross-entropy on all of `x` (default: the training data)."""
    x = self._x if x is None else tf.constant(x)
    y = self._y if y is None else tf.constant(y)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        y, self.logits(params, x)))
