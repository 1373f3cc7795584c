# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""MAML whose inner optimiser is a meta-learned coordinate-wise LSTM.

The inner update of MAML (eq. 2) replaced by a learned optimiser m
(`layers.CoordinatewiseLSTM`, `inner.learned_update`): each adapted weight
coordinate keeps its own LSTM state through the inner steps, and m's
weights are meta-learned with theta_0 by the outer loop. This is the idea
of Ravi & Larochelle's meta-learner LSTM (2017), the MAML paper's
comparison, written with the learned optimiser of Andrychowicz et al.
(2016) as one more inner transform. theta_0 and m are differentiated
through every step's update; the gradients fed to m are constants of the
outer gradient (`first_order=True`, the default, as both papers do) or
differentiated through (`first_order=False`: second order).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

from kerasmeta import inner
from kerasmeta.algorithms import maml
from kerasmeta.layers import lstm_optimizer

if TYPE_CHECKING:
  import keras
  import tensorflow as tf
  from kerasmeta._typing import Mapper, Scalar, Seed


class LSTMMAML(maml.MAML):
  """MAML with a learned LSTM inner optimiser.

  Args:
    model: the Keras model (its adapted weights are what m updates).
    units: m's LSTM layers.
    output_scale: multiplies m's output (the first steps' size).
    **kwargs: `MAML`'s (loss, num_inner_steps, ...); `inner_learning_rate`
      is m's output multiplier in serving (`learning_rate` / it scales m).
  """

  name = "lstm_maml"
  supports_fast_path = False

  def __init__(self, model: keras.Model, units: Sequence[int] = (20, 20),
               output_scale: float = 0.01, **kwargs: Any) -> None:
    kwargs.setdefault("first_order", True)
    super().__init__(model, **kwargs)
    if any(self.mask_specs):
      raise ValueError(
          f"LSTMMAML's inner update is the LSTM's alone: model "
          f"{model.name!r} has MT-net masks, which it would not apply. Use "
          "a model without masks (cell 'dense', 'tnet', ...).")
    self.optimizer_network = lstm_optimizer.CoordinatewiseLSTM(
        units, output_scale=output_scale,
        dtype=self.roles.adapted[0].dtype, name="inner_lstm")
    self.optimizer_network.build()

  @property
  def extra_variables(self) -> list[tf.Variable]:
    return list(self.optimizer_network.trainable_variables)

  def checkpoint_items(self) -> dict[str, Any]:
    return {**super().checkpoint_items(),
            "inner_lstm": self.optimizer_network}

  def inner_transform(
      self, mapper: Mapper, seed: Optional[Seed], deterministic: bool = False,
      learning_rate: Optional[Scalar] = None,
      first_order: Optional[bool] = None) -> inner.GradientTransform:
    del mapper, seed, deterministic  # no masks (refused at construction)
    first_order = self.first_order if first_order is None else first_order
    update = inner.chain(
        self.loss_scaling(),
        inner.learned_update(self.optimizer_network,
                             second_order=not first_order))
    if learning_rate is None:
      return update
    return inner.chain(update,
                       inner.scale(learning_rate / self.inner_learning_rate))
