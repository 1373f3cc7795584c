# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Meta-SGD (Li et al. 2017): MAML with a learned step size per weight.

The inner update is `theta <- theta - alpha (.) grad`, where `alpha` has the
shape of theta, role meta, and is learned by the outer loop with theta.
"""

from __future__ import annotations

from typing import Any, Optional, TYPE_CHECKING

from kerasmeta.algorithms import learned_inner
from kerasmeta.algorithms import maml

if TYPE_CHECKING:
  import keras
  import tensorflow as tf
  from kerasmeta._typing import LearningRate, Scalar


class MetaSGD(maml.MAML):
  """Meta-SGD: MAML whose inner learning rates are learned per weight."""

  name = "meta_sgd"

  def __init__(self, model: keras.Model, **kwargs: Any) -> None:
    super().__init__(model, **kwargs)
    self.learned_rates = learned_inner.LearningRates(
        [w.shape for w in self.roles.adapted],
        initial_value=self.inner_learning_rate,
        dtype=self.roles.adapted[0].dtype, name="meta_sgd_learning_rates")

  @property
  def extra_variables(self) -> list[tf.Variable]:
    return list(self.learned_rates.rates)

  def checkpoint_items(self) -> dict[str, Any]:
    # The variables themselves: a Keras layer's list of weights is not a
    # dependency TensorFlow's checkpoints follow (the layer saved nothing).
    return {**super().checkpoint_items(),
            "learning_rates": list(self.learned_rates.rates)}

  def learning_rates(self,
                     learning_rate: Optional[Scalar] = None) -> LearningRate:
    """The learned rates (one tensor per adapted weight); a `learning_rate`
    scales them by it / alpha."""
    if learning_rate is None:
      return self.learned_rates.values()
    return self.learned_rates.values(learning_rate / self.inner_learning_rate)
