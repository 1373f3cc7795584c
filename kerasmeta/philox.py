# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Philox-4x32-10 in integer ops, for many stateless seeds at once.

TensorFlow's stateless Philox ops take one key and counter: a batch of
tasks, each drawing from its own seed, needs one op per task (a loop over
the tasks, or thousands of small ops when written out). Here the generator
itself (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3",
Philox-4x32 with 10 rounds, as `tensorflow/core/lib/random/philox_random.h`
has it) is written in uint32 / uint64 tensor ops, so that one op draws for
every seed: `bits(seeds, count)[t]` equals the bits TensorFlow's kernel
draws from `seeds[t]` (tests/philox_test.py), under XLA too.

A stateless seed becomes a key and a counter as TensorFlow's kernel makes
them (`kerasmeta.sampling`): its two words, sign-extended to 64 bits, are
the counter of one Philox block under a fixed key; that block's first two
words are the key, its last two the counter's high half, whose low half
then counts the blocks drawn.
"""

from __future__ import annotations

from typing import Sequence, TYPE_CHECKING

import numpy as np
import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import Seed

# Philox-4x32's multipliers and Weyl key increments (philox_random.h).
_MULTIPLIERS = (0xD2511F53, 0xCD9E8D57)
_KEY_INCREMENTS = (0x9E3779B9, 0xBB67AE85)
_ROUNDS = 10
# The key TensorFlow scrambles a seed with.
SCRAMBLE_KEY = (0x3EC8F720, 0x02461E29)
_plain = tf.autograph.experimental.do_not_convert


def _multiply_high_low(word, multiplier):
  """The high and low 32 bits of the 64-bit product `word * multiplier`."""
  product = tf.cast(word, tf.uint64) * tf.constant(multiplier, tf.uint64)
  high = tf.bitwise.right_shift(product, tf.constant(32, tf.uint64))
  return tf.cast(high, tf.uint32), tf.cast(product, tf.uint32)


@_plain
def block(key: Sequence[tf.Tensor],
          counter: Sequence[tf.Tensor]) -> tuple[tf.Tensor, ...]:
  """Philox-4x32-10 of `counter` under `key`.

  Args:
    key: two uint32 tensors (the key's low and high words).
    counter: four uint32 tensors (low word first), broadcast with the key.

  Returns:
    The block's four uint32 output words, each of the broadcast shape.
  """
  key_low, key_high = key
  c0, c1, c2, c3 = counter
  for round_index in range(_ROUNDS):
    high0, low0 = _multiply_high_low(c0, _MULTIPLIERS[0])
    high1, low1 = _multiply_high_low(c2, _MULTIPLIERS[1])
    c0, c1, c2, c3 = high1 ^ c1 ^ key_low, low1, high0 ^ c3 ^ key_high, low0
    if round_index < _ROUNDS - 1:
      key_low += tf.constant(_KEY_INCREMENTS[0], tf.uint32)
      key_high += tf.constant(_KEY_INCREMENTS[1], tf.uint32)
  return c0, c1, c2, c3


@_plain
def key_counter(
    seeds: Seed) -> tuple[tuple[tf.Tensor, ...], tuple[tf.Tensor, ...]]:
  """Each seed's Philox key (two words) and counter high half (two words),
  uint32 `[T]` each, as TensorFlow's kernel derives them.

  Args:
    seeds: int32 `[T, 2]` stateless seeds.
  """
  seeds = tf.convert_to_tensor(seeds)
  if seeds.dtype != tf.int32:
    raise ValueError(f"seeds must be int32 [T, 2]; received {seeds.dtype}.")
  words = tf.bitcast(seeds, tf.uint32)
  # An int32 seed widens to 64 bits with its sign: the high word.
  sign = tf.where(seeds < 0, tf.constant(0xFFFFFFFF, tf.uint32),
                  tf.constant(0, tf.uint32))
  scramble = tuple(tf.constant(w, tf.uint32) for w in SCRAMBLE_KEY)
  mixed = block(scramble, (words[:, 0], sign[:, 0], words[:, 1], sign[:, 1]))
  return (mixed[0], mixed[1]), (mixed[2], mixed[3])


@_plain
def bits(seeds: Seed, count: int) -> tf.Tensor:
  """`count` uint32 Philox outputs of each seed, `[T, count]`: row t is the
  stream TensorFlow's stateless kernel draws from `seeds[t]` (block b at
  counter b, its four words in order).

  Args:
    seeds: int32 `[T, 2]` stateless seeds.
    count: a Python int, the outputs per seed.
  """
  return bits_many([seeds], [count])[0]


@_plain
def bits_many(seeds: Sequence[Seed], counts: Sequence[int]) -> list[tf.Tensor]:
  """`[bits(seeds[i], counts[i]) for i]`, drawn by two Philox evaluations
  in all (one derives every seed's key, one draws every block), however
  many draws: the graph stays small, and XLA fuses each into one loop.

  Args:
    seeds: a list of int32 `[T, 2]` seed tensors (the same T).
    counts: a list of Python ints, the outputs of each.
  """
  if len(seeds) != len(counts) or not seeds:
    raise ValueError(f"bits_many needs one count per seed tensor; received "
                     f"{len(seeds)} seed tensors and {len(counts)} counts.")
  stacked = tf.stack([tf.convert_to_tensor(s) for s in seeds], axis=1)
  tasks = tf.shape(stacked)[0]
  (key_low, key_high), (counter_2, counter_3) = key_counter(
      tf.reshape(stacked, [-1, 2]))
  blocks = [-(-int(count) // 4) for count in counts]
  total = sum(blocks)

  def per_block(word):
    # Each draw's word repeated over its blocks: broadcasts joined (a
    # gather here makes XLA's loop six times slower).
    word = tf.reshape(word, [tasks, len(seeds)])
    return tf.concat([tf.broadcast_to(word[:, i:i + 1], [tasks, b])
                      for i, b in enumerate(blocks)], axis=1)

  index = tf.constant(np.concatenate(
      [np.arange(b, dtype=np.uint32) for b in blocks]))[None, :]
  words = block((per_block(key_low), per_block(key_high)),
                (index, tf.zeros_like(index), per_block(counter_2),
                 per_block(counter_3)))
  stream = tf.reshape(tf.stack(words, axis=-1), [tasks, 4 * total])
  starts = np.concatenate([[0], 4 * np.cumsum(blocks)[:-1]])
  return [stream[:, start:start + count]
          for start, count in zip(starts, counts)]
