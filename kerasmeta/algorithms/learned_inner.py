# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Layers that hold meta-learned parameters of the inner update.

Each holds meta weights (its `meta_weights`) and gives the inner-update
transform they define, built from the weights' values so that the
meta-gradient reaches them through the inner loop:

* `LearningRates`: one rate per adapted weight entry (Meta-SGD, Li et al.
  2017): `theta <- theta - alpha (.) grad`.
* `InnerOptimizer`: a scalar rate and heavy-ball momentum (WarpGrad
  appendix F).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

from kerasmeta import inner

if TYPE_CHECKING:
  from kerasmeta._typing import Scalar, Shape


@keras.saving.register_keras_serializable(package="kerasmeta")
class LearningRates(keras.layers.Layer):
  """Holds one learned inner learning rate per adapted weight entry.

  Args:
    shapes: the adapted weights' shapes.
    initial_value: every rate's initial value (alpha).
  """

  def __init__(self, shapes: Sequence[Shape], initial_value: float = 0.01,
               **kwargs: Any) -> None:
    super().__init__(**kwargs)
    self.shapes = [tuple(int(d) for d in shape) for shape in shapes]
    self.initial_value = float(initial_value)
    self.rates = [
        self.add_weight(name=f"rate_{index}", shape=shape,
                        initializer=keras.initializers.Constant(
                            self.initial_value))
        for index, shape in enumerate(self.shapes)]

  @property
  def meta_weights(self) -> list[keras.Variable]:
    return list(self.rates)

  def values(self, scale: Optional[Scalar] = None) -> list[tf.Tensor]:
    """The rates as tensors, multiplied by `scale` where given."""
    rates = [rate.value for rate in self.rates]
    if scale is None:
      return rates
    return [rate * tf.cast(scale, rate.dtype) for rate in rates]

  def get_config(self) -> dict[str, Any]:
    config = super().get_config()
    config.update(shapes=self.shapes, initial_value=self.initial_value)
    return config


@keras.saving.register_keras_serializable(package="kerasmeta")
class InnerOptimizer(keras.layers.Layer):
  """A meta-learned scalar inner learning rate and momentum (appendix F).

  Args:
    learning_rate: the rate's initial value.
    momentum: the momentum's initial value.
  """

  def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
               **kwargs: Any) -> None:
    super().__init__(**kwargs)
    self.initial_learning_rate = float(learning_rate)
    self.initial_momentum = float(momentum)
    self.learning_rate = self.add_weight(
        name="learning_rate", shape=(),
        initializer=keras.initializers.Constant(self.initial_learning_rate))
    self.momentum = self.add_weight(
        name="momentum", shape=(),
        initializer=keras.initializers.Constant(self.initial_momentum))

  @property
  def meta_weights(self) -> list[keras.Variable]:
    return [self.learning_rate, self.momentum]

  def transform(self, frozen: bool = False) -> inner.GradientTransform:
    """`chain(heavy_ball(mu), scale_by_learning_rate(alpha))` of the values.

    Args:
      frozen: stop their gradients (the update is then a constant of the
        outer loop).
    """
    stop = tf.stop_gradient if frozen else (lambda value: value)
    return inner.chain(
        inner.heavy_ball(stop(self.momentum.value)),
        inner.scale_by_learning_rate(stop(self.learning_rate.value)))

  def get_config(self) -> dict[str, Any]:
    config = super().get_config()
    config.update(learning_rate=self.initial_learning_rate,
                  momentum=self.initial_momentum)
    return config
