# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Stateless draws shared by the learners and task streams.

Everything here equals TensorFlow's stateless Philox ops bit for bit
(`tf.random.stateless_uniform(..., alg="philox")`,
`tf.random.experimental.stateless_split` and `stateless_fold_in` on CPU),
whether or not the graph is compiled with XLA. XLA's kernels of those ops
draw other numbers: they turn a seed into Philox's key and counter another
way (TensorFlow scrambles the seed with one Philox block first), and they
make floats from the high 23 bits where TensorFlow uses the low 23. A task
stream drawn with `tf.random` inside a compiled multi-step loop would
therefore not be the stream the `tf.data` pipeline drew. Here the key and
counter are computed as TensorFlow's kernel computes them and passed to the
V2 ops explicitly (their XLA kernels then agree), and floats are made as
TensorFlow makes them.
"""

from __future__ import annotations

from typing import Sequence, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import philox
from kerasmeta import precision

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Scalar, Seed, Shape

_MANTISSA = 0x7FFFFF
_ONE = 0x3F800000  # the float32 1.0
# The Philox key TensorFlow scrambles a seed with, as one 64-bit word (its
# two 32-bit words in `kerasmeta.philox`, low word first).
_SCRAMBLE_KEY = philox.SCRAMBLE_KEY[0] | (philox.SCRAMBLE_KEY[1] << 32)
_PHILOX = 1  # the V2 ops' algorithm number of Philox
# Straight-line code with Python loops only: autograph's conversion would
# wrap each of the thousands of ops a batch of tasks needs and make tracing
# seconds slower.
_plain = tf.autograph.experimental.do_not_convert


@_plain
def _key_counter(seed):
  """The Philox key [1] and counter [2] (uint64) TensorFlow's CPU kernel
  derives from a stateless seed (int32 or int64 [2]).

  TensorFlow scrambles the seed: the counter (seed words) run through one
  Philox-4x32-10 block under a fixed key, whose four output words become the
  key and the counter's high half. That block is the first output of the
  V2 op given that key and counter, which XLA computes alike.
  """
  seed = tf.bitcast(tf.cast(seed, tf.int64), tf.uint64)
  mixed = tf.cast(tf.raw_ops.StatelessRandomUniformFullIntV2(
      shape=[4], key=tf.constant([_SCRAMBLE_KEY], tf.uint64), counter=seed,
      alg=_PHILOX, dtype=tf.uint32), tf.uint64)
  high = tf.bitwise.left_shift(mixed[1::2], tf.constant(32, tf.uint64))
  joined = mixed[0::2] | high  # [key, counter high half]
  return joined[:1], tf.concat([tf.zeros([1], tf.uint64), joined[1:]], 0)


@_plain
def _full_range(shape, seed, dtype):
  key, counter = _key_counter(seed)
  return tf.raw_ops.StatelessRandomUniformFullIntV2(
      shape=shape, key=key, counter=counter, alg=_PHILOX, dtype=dtype)


@_plain
def split(seed: Seed, num: int = 2) -> tf.Tensor:
  """`tf.random.experimental.stateless_split(seed, num)`, bit for bit, under
  XLA too: `num` new seeds [num, 2] of the seed's dtype."""
  seed = tf.convert_to_tensor(seed)
  if seed.dtype not in (tf.int32, tf.int64):
    raise ValueError(f"A stateless seed is int32 or int64; received "
                     f"{seed.dtype}.")
  return _full_range([num, 2], seed, seed.dtype)


@_plain
def fold_in(seed: Seed, data: IntLike) -> tf.Tensor:
  """`tf.random.experimental.stateless_fold_in(seed, data)`, bit for bit,
  under XLA too (`data` an int32 or a Python int)."""
  data = tf.convert_to_tensor(data, tf.int32)
  return tf.stack([_full_range([], seed, data.dtype), data])


@_plain
def random_bits(shape: Shape, seed: Seed) -> tf.Tensor:
  """uint32 Philox bits of the stateless `seed`: the same on every device,
  compiled or not.

  Drawn as half as many uint64 words, each split into its low and high
  32 bits: Philox's 64-bit outputs are its consecutive 32-bit outputs
  joined low word first, so these are the bits of the uint32 draw in the
  same order (tests/sampling_test.py), and XLA's CPU kernel makes them
  faster (about ten times for 1M bits, timed once by hand).
  """
  static = tf.get_static_value(tf.convert_to_tensor(shape, tf.int32))
  shape = [int(d) for d in static] if static is not None else shape
  count = tf.reduce_prod(shape) if static is None else \
      int(np.prod(static, dtype=np.int64))
  words = _full_range([(count + 1) // 2], seed, tf.uint64)
  bits = tf.reshape(tf.bitcast(words, tf.uint32), [-1])[:count]
  return tf.reshape(bits, shape)


@_plain
def uniform(shape: Shape, seed: Seed, minval: Scalar = 0.0,
            maxval: Scalar = 1.0, dtype: tf.DType = tf.float32) -> tf.Tensor:
  """`tf.random.stateless_uniform(shape, seed, minval, maxval, dtype,
  alg="philox")`, equal to it bit for bit, under XLA too.

  Args:
    shape: the output shape.
    seed: the stateless seed, int [2].
    minval: the range's start: [minval, maxval) of floats, or of integers
      for an integer dtype (int32 only).
    maxval: the range's end (excluded).
    dtype: tf.float32 or tf.int32.
  """
  bits = random_bits(shape, seed)
  if dtype == tf.int32:
    # TensorFlow's kernel: lo + bits mod (hi - lo), on one 32-bit word.
    span = tf.cast(tf.cast(maxval, tf.int64) - tf.cast(minval, tf.int64),
                   tf.uint32)
    return tf.cast(bits % span, tf.int32) + tf.cast(minval, tf.int32)
  if dtype != tf.float32:
    raise ValueError(f"uniform draws float32 or int32; received {dtype}.")
  minval = tf.cast(minval, tf.float32)
  return _unit(bits) * (tf.cast(maxval, tf.float32) - minval) + minval


def _unit(bits):
  """TensorFlow's kernel's float32 in [0, 1) from uint32 bits: the low 23
  bits as the mantissa of a float in [1, 2), minus 1."""
  return tf.bitcast(tf.bitwise.bitwise_or(
      tf.bitwise.bitwise_and(bits, _MANTISSA), _ONE), tf.float32) - 1.0


@_plain
def choose(seed: Seed, population: IntLike, count: int,
           batch_shape: Sequence[int] = (), alg: str = "philox") -> tf.Tensor:
  """`count` distinct indices of `range(population)`, in random order.

  A draw without replacement that is a pure function of the stateless
  `seed` (int32 [2]): the same seed always gives the same indices, under
  XLA too.

  Args:
    seed: the stateless seed.
    population: n, an int or int scalar tensor.
    count: k <= n, a Python int.
    batch_shape: independent draws with these leading axes.
    alg: "philox", the only algorithm (kept for callers that name it).

  Returns:
    int32 indices of shape `batch_shape + [count]`.
  """
  if alg != "philox":
    raise ValueError(f"choose draws with Philox; received alg={alg!r}.")
  keys = uniform(
      tf.concat([tf.constant(batch_shape, tf.int32),
                 tf.reshape(tf.cast(population, tf.int32), [1])], 0),
      seed)
  # A stable sort: ties (keys have 23 random bits) keep index order with
  # and without XLA.
  return tf.cast(tf.argsort(keys, axis=-1, stable=True)[..., :count],
                 tf.int32)


@_plain
def normal(shape: Shape, seed: Seed, dtype: tf.DType = tf.float32) -> tf.Tensor:
  """Standard normal draws by the Box-Muller transform of `uniform` pairs.

  Not `tf.random.stateless_normal`'s numbers (kerasmeta's own draw, like
  that op's in distribution). The uniforms are the same with and without
  XLA, and the transform is computed in float64 and rounded to float32, so
  the draws are too, but for about one in 2^29 (`_box_muller`).

  Args:
    shape: the output shape.
    seed: the stateless seed, int [2].
    dtype: a float dtype; the draw is made in float32, then cast.
  """
  first, second = tf.unstack(split(seed, 2))
  return _box_muller(uniform(shape, first), uniform(shape, second), dtype)


def _box_muller(first, second, dtype):
  """Box-Muller of float32 uniforms, computed in float64 and rounded to
  float32: a vectorised log or cos (Eigen's packets, XLA's loops) may differ
  from the scalar one in the last bit, so float32 arithmetic would make a
  task's draw depend on where its row falls in a batch; rounded from
  float64, it is the same number unless the two float64 results straddle
  a float32 rounding boundary (about 2^-29 per draw). The float64
  arithmetic costs about 2.3 ms of LEO's 22 ms meta-step at meta-batch 12
  (1.31x the JAX peer's step, against 1.13x in float32; `python
  benchmarks/compare_peers.py --bench leo`). On a TPU, which has no
  float64, it is computed in float32 (`precision.wide_float`)."""
  wide = precision.wide_float()  # float32 on TPUs, which have no float64
  first, second = tf.cast(first, wide), tf.cast(second, wide)
  # 1 - u lies in (0, 1]: the logarithm is finite.
  radius = tf.sqrt(-2.0 * tf.math.log(1.0 - first))
  value = radius * tf.cos(2.0 * 3.141592653589793 * second)
  return tf.cast(tf.cast(value, tf.float32), dtype)


@_plain
def dropout(x: tf.Tensor, rate: float, seed: Seed) -> tf.Tensor:
  """Inverted dropout of `x`: each entry zeroed with probability `rate`,
  the rest scaled by 1 / (1 - rate); a pure function of `seed`."""
  if not 0.0 <= rate < 1.0:
    raise ValueError(f"dropout rate must be in [0, 1); received {rate}.")
  if rate == 0.0:
    return x
  return apply_dropout(x, uniform(tf.shape(x), seed) >= rate, rate)


def apply_dropout(x: tf.Tensor, keep: tf.Tensor, rate: float) -> tf.Tensor:
  """Inverted dropout of `x` with a drawn mask: `x / (1 - rate)` where
  `keep`, else 0 (`dropout`'s arithmetic, for masks drawn ahead)."""
  return tf.where(keep, x / tf.cast(1.0 - rate, x.dtype), tf.zeros_like(x))


# The same draws for many seeds at once: row t of each equals the function
# above on `seeds[t]` (int32 [T, 2]), made by one op for every seed
# (`kerasmeta.philox`) instead of one op per seed.


@_plain
def fold_in_each(seeds: Seed, values: Sequence[int]) -> list[tf.Tensor]:
  """`[fold_in(seeds[t], value) for t]` (int32 `[T, 2]`) of each of the
  Python ints `values`: a fold-in keeps the seed's first drawn word and
  appends the value, so one draw serves every value."""
  first = tf.bitcast(philox.bits(seeds, 1)[:, 0], tf.int32)
  return [tf.stack([first, tf.fill(tf.shape(first), tf.constant(value,
                                                                 tf.int32))],
                   axis=1) for value in values]


@_plain
def uniform_each(
    requests: Sequence[tuple[Sequence[int], Seed]]) -> list[tf.Tensor]:
  """`[uniform(shape, seeds[t]) for t]` (float32 in [0, 1), `[T, *shape]`)
  of each `(shape, seeds)` request, all drawn together."""
  shapes = [[int(d) for d in shape] for shape, _ in requests]
  counts = [int(np.prod(shape, dtype=np.int64)) for shape in shapes]
  drawn = philox.bits_many([seeds for _, seeds in requests], counts)
  return [_unit(tf.reshape(b, [-1, *shape])) for b, shape in
          zip(drawn, shapes)]


@_plain
def normal_each(requests: Sequence[tuple[Sequence[int], Seed]],
                dtype: tf.DType = tf.float32) -> list[tf.Tensor]:
  """`[normal(shape, seeds[t], dtype) for t]` (`[T, *shape]`) of each
  `(shape, seeds)` request, all drawn together (the seeds' splits in one
  draw, the uniforms in another)."""
  splits = philox.bits_many([seeds for _, seeds in requests],
                            [4] * len(requests))
  halves = [tf.reshape(tf.bitcast(b, tf.int32), [-1, 2, 2]) for b in splits]
  uniforms = uniform_each([(shape, half[:, i]) for (shape, _), half in
                           zip(requests, halves) for i in (0, 1)])
  return [_box_muller(first, second, dtype) for first, second in
          zip(uniforms[0::2], uniforms[1::2])]
