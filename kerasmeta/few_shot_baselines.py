# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Few-shot classification without meta-learning: the seeds' baselines.

- **Fine-tuning a pretrained classifier** (MAML's "pretrained" baseline,
  for episodes): a network trained by plain classification of every
  meta-training class (`kerasmeta.pretraining`), its head replaced by a
  zero-initialised N-way head, fine-tuned on each episode's support set by
  SGD with a step size and a number of steps chosen on validation episodes
  (`fine_tuning_learner`; it is a `GradientLearner`, so the evaluator that
  scores the meta-learners scores it on the same episodes).
- **Nearest neighbour** (`nearest_neighbour_accuracies`): each query takes
  the label of the closest support example (Euclidean), on raw pixels or on
  the pretrained network's features (the Matching / Prototypical Networks
  papers' baseline; with K = 1 it is also the nearest class centroid).
"""

from __future__ import annotations

from typing import Callable, Optional, TYPE_CHECKING

import keras
import numpy as np
import tensorflow as tf

from kerasmeta import algorithms

if TYPE_CHECKING:
  from kerasmeta.tasks.base import Task


def fine_tuning_learner(features: keras.Model, ways: int, learning_rate: float,
                        num_steps: int = 1) -> algorithms.MAML:
  """The pretrained baseline: `features`, a new N-way head, SGD steps.

  Args:
    features: a Keras model `images -> [batch, D]` (pretrained; its weights
      are shared, not copied, and every step of adaptation starts from them).
    ways: N, the head's outputs.
    learning_rate: the SGD step size of fine-tuning.
    num_steps: the default number of fine-tuning steps.

  Returns:
    A `GradientLearner` (MAML's class, never meta-trained) whose model is
    `features` followed by a zero-initialised Dense head. Batch-norm uses
    the running statistics of pretraining (`training=False`), as a
    pretrained network is used.
  """
  inputs = keras.Input(features.input_shape[1:])
  head = keras.layers.Dense(ways, kernel_initializer="zeros", name="head")
  model = keras.Model(inputs, head(features(inputs)),
                      name="pretrained_finetuned")
  return algorithms.MAML(model, loss="sparse_softmax_cross_entropy",
                         num_inner_steps=num_steps,
                         inner_learning_rate=learning_rate, training=False)


def nearest_neighbour_accuracies(
    episodes: Task, embed: Optional[Callable[[tf.Tensor], tf.Tensor]] = None,
    batch_size: int = 50) -> np.ndarray:
  """Each episode's query accuracy of the 1-nearest-neighbour classifier.

  Args:
    episodes: a batched `Task` (`[episodes, examples, ...]` fields, integer
      labels), e.g. `sampler.evaluation_tasks(600, seed).tasks`.
    embed: `images [n, ...] -> [n, D]`; None: the flattened pixels.
    batch_size: episodes embedded at once.

  Returns:
    `[episodes]` accuracies.
  """
  embed = embed or (lambda x: tf.reshape(x, [tf.shape(x)[0], -1]))
  accuracies = []
  count = int(episodes.support_x.shape[0])
  for first in range(0, count, batch_size):
    part = tf.nest.map_structure(lambda t: t[first:first + batch_size],
                                 episodes)
    episodes_here, shots, queries = (int(part.support_x.shape[0]),
                                     int(part.support_x.shape[1]),
                                     int(part.query_x.shape[1]))
    flat = lambda x, n: tf.reshape(x, [episodes_here * n, *x.shape[2:]])
    support = tf.reshape(embed(flat(part.support_x, shots)),
                         [episodes_here, shots, -1])
    query = tf.reshape(embed(flat(part.query_x, queries)),
                       [episodes_here, queries, -1])
    distances = (tf.reduce_sum(query ** 2, -1)[:, :, None]
                 - 2 * tf.matmul(query, support, transpose_b=True)
                 + tf.reduce_sum(support ** 2, -1)[:, None, :])
    nearest = tf.argmin(distances, axis=-1)  # [episodes, queries]
    # Labels may carry a trailing axis ([episodes, examples, 1]): compare
    # [episodes, queries] with [episodes, queries], never broadcast.
    labels = lambda y, n: tf.reshape(tf.cast(y, tf.int64), [episodes_here, n])
    predicted = tf.gather(labels(part.support_y, shots), nearest,
                          batch_dims=1)
    correct = tf.cast(tf.equal(predicted, labels(part.query_y, queries)),
                      tf.float64)
    accuracies.append(tf.reduce_mean(correct, axis=-1).numpy())
  return np.concatenate(accuracies)
