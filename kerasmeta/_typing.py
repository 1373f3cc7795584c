# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Type aliases of the package's annotations.

Only type checkers import this module (under `typing.TYPE_CHECKING`), so it
costs nothing at run time. mypy does not analyse TensorFlow or Keras
(mypy.ini): their types are `Any` to it, and the aliases say for readers
what a value may be.
"""

from typing import Any, Callable, Sequence, TypeAlias, Union

import keras
import ml_collections
import numpy as np
import tensorflow as tf

from kerasmeta.algorithms import task_mappers
from kerasmeta.inner import loop
from kerasmeta.inner import transforms
from kerasmeta.training import optimizers

# ---------------------------------------------------------------- tensors
# A seed: a Python int or an integer tensor. A stateless seed (what the
# samplers and the learners' masks take) is an int32 or int64 tensor [2]
# (or a pair of ints); a batch of them is [tasks, 2].
Seed: TypeAlias = Union[int, tf.Tensor, Sequence[int]]
# A Python int or an integer scalar tensor (a step, a count inside a graph).
IntLike: TypeAlias = Union[int, tf.Tensor]
# A Python number or a scalar tensor (a learning rate, a coefficient).
Scalar: TypeAlias = Union[float, tf.Tensor]
# What `tf.convert_to_tensor` takes: a tensor, a variable, a NumPy array, a
# number, or nested lists of numbers.
TensorLike: TypeAlias = Union[tf.Tensor, tf.Variable, np.ndarray, float, list]
# A shape: a list of ints, a `tf.TensorShape`, or an int32 [rank] tensor.
Shape: TypeAlias = Union[Sequence[int], tf.TensorShape, tf.Tensor]
# A nest (`tf.nest`) of tensors: a tensor, or lists, tuples, dicts and named
# tuples of them.
Nest: TypeAlias = Any

# ---------------------------------------------------------------- Keras
# A Keras layer's input shape: a tuple of dims (ints, None where unknown).
InputShape: TypeAlias = Sequence[Any]
# A Keras initialiser, or its name.
InitializerLike: TypeAlias = Union[str, keras.initializers.Initializer]
# Keras variables (a model's weights, or a subset of them), in order.
Variables: TypeAlias = Sequence[keras.Variable]
# Tensors, one per weight (parameters, their gradients, outputs).
Tensors: TypeAlias = Sequence[tf.Tensor]
# Whether XLA compiles: True, False, or "auto" (also "on" and "off").
JitCompile: TypeAlias = Union[bool, str]

# ---------------------------------------------------------------- learners
# A learning rate: one for every parameter, or a list of them, one per
# parameter, each broadcastable to it (Meta-SGD's per-weight rates).
LearningRate: TypeAlias = Union[Scalar, Sequence[Scalar]]
# An inner update: a `GradientTransform`, or a learning rate for plain SGD.
TransformLike: TypeAlias = Union[transforms.GradientTransform, LearningRate]
# `params -> loss`: a loss as a function of the adapted tensors.
LossFn: TypeAlias = Callable[[Sequence[tf.Tensor]], tf.Tensor]
# What a learner's `adapt` returned, or its `params` (the adapted tensors).
Adapted: TypeAlias = Union[loop.AdaptResult, Sequence[tf.Tensor]]
# A batch of tasks with a leading task axis: a `Task`, or a distribution's
# own structure (`TaskSequence`, `Surface`, an optimisee problem).
TaskBatch: TypeAlias = Any
# How a gradient learner's objective runs over a batch of tasks.
Mapper: TypeAlias = Union[task_mappers.MappedTasks, task_mappers.BatchedTasks]
# `{name: scalar}` (or `{name: [tasks]}`) metrics.
Metrics: TypeAlias = dict[str, tf.Tensor]
# `(y_true, y_pred) -> value` of one task (a loss or an accuracy).
Metric: TypeAlias = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
# `(task, seed) -> (objective, metrics)` of one task.
TaskObjective: TypeAlias = Callable[[Any, tf.Tensor], tuple[tf.Tensor, Metrics]]
# Multiplies an objective before differentiation (a
# `keras.optimizers.LossScaleOptimizer`'s `scale_loss`).
ScaleLoss: TypeAlias = Callable[[tf.Tensor], tf.Tensor]
# The outer optimiser: a Keras optimiser, or one per variable group.
OuterOptimizer: TypeAlias = Union[keras.optimizers.Optimizer,
                                  optimizers.OptimizerGroups]
# An experiment config (`kerasmeta/apps/configs/`).
Config: TypeAlias = ml_collections.ConfigDict
