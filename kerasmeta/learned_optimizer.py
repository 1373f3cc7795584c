# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""A meta-trained LSTM optimiser as a Keras optimiser, for `model.fit`.

```python
optimizer = km.LearnedOptimizer.from_checkpoint(workdir)   # or (network)
model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
model.fit(x, y)
```

Every step adds `learning_rate * m(grad)` to each variable, m being the
`CoordinatewiseLSTM` meta-trained by `algorithms.LearningToLearn`
(learning_rate 1.0, the default, is the update m was trained to give).
Each variable's coordinates keep their LSTM states as optimiser variables,
so they are saved and restored with the model (`model.save`), and the
network's weights travel in the optimiser's config.
"""

from __future__ import annotations

from typing import Any, Optional, TYPE_CHECKING, Union

import keras
import numpy as np
import tensorflow as tf

from kerasmeta.layers import lstm_optimizer

if TYPE_CHECKING:
  from kerasmeta._typing import Scalar, Variables


@keras.saving.register_keras_serializable(package="kerasmeta")
class LearnedOptimizer(keras.optimizers.Optimizer):
  """Keras' optimiser interface around a learned update m.

  Args:
    network: a built `CoordinatewiseLSTM` (its weights are copied).
    conv_network: m of rank-4 (convolution kernel) variables, where the
      optimiser was meta-trained with one of its own.
    learning_rate: multiplies m's update (1.0: as meta-trained).
    **kwargs: `keras.optimizers.Optimizer`'s (name, clipnorm, ...).
  """

  def __init__(self, network: lstm_optimizer.CoordinatewiseLSTM,
               conv_network: Optional[lstm_optimizer.CoordinatewiseLSTM] = None,
               learning_rate: Any = 1.0, name: str = "learned_optimizer",
               **kwargs: Any) -> None:
    super().__init__(learning_rate=learning_rate, name=name, **kwargs)
    self.network = _copy(network)
    self.conv_network = _copy(conv_network) if conv_network is not None \
        else None

  @classmethod
  def from_checkpoint(cls, workdir: str,
                      checkpoint: Optional[Union[str, int]] = None,
                      **kwargs: Any) -> LearnedOptimizer:
    """The optimiser of a `LearningToLearn` training workdir."""
    from kerasmeta import workdir as workdir_lib  # pylint: disable=g-import-not-at-top
    _, learner, _ = workdir_lib.restore_learner(workdir, checkpoint)
    return cls(learner.network, learner.conv_network, **kwargs)

  def _network_for(self, variable):
    if self.conv_network is not None and len(variable.shape) == 4:
      return self.conv_network
    return self.network

  def build(self, variables: Variables) -> None:
    if self.built:
      return
    super().build(variables)
    self._states = []
    for index, variable in enumerate(variables):
      count = int(np.prod(variable.shape))
      network = self._network_for(variable)
      self._states.append([
          [self.add_variable((count, units), initializer="zeros",
                             dtype=network.compute_dtype,
                             name=f"lstm_{layer}_{part}_{index}")
           for part in ("h", "c")]
          for layer, units in enumerate(network.units)])

  def update_step(self, gradient: tf.Tensor, variable: keras.Variable,
                  learning_rate: Scalar) -> None:
    states = self._states[self._get_variable_index(variable)]
    update, new_states = self._network_for(variable)(
        tf.reshape(gradient, [-1]),
        [[tf.convert_to_tensor(s) for s in layer] for layer in states])
    for layer, new_layer in zip(states, new_states):
      for state, new in zip(layer, new_layer):
        self.assign(state, new)
    update = tf.cast(tf.reshape(update, variable.shape), variable.dtype)
    self.assign_add(variable, tf.cast(learning_rate, variable.dtype) * update)

  def get_config(self) -> dict[str, Any]:
    config = super().get_config()
    config["network"] = _network_config(self.network)
    config["conv_network"] = _network_config(self.conv_network) \
        if self.conv_network is not None else None
    return config

  @classmethod
  def from_config(
      cls, config: dict[str, Any],
      custom_objects: Optional[dict[str, Any]] = None) -> LearnedOptimizer:
    config = dict(config)
    network = _network_from_config(config.pop("network"))
    conv = config.pop("conv_network")
    conv = _network_from_config(conv) if conv is not None else None
    if "learning_rate" in config and isinstance(config["learning_rate"],
                                                dict):
      config["learning_rate"] = keras.optimizers.schedules.deserialize(
          config["learning_rate"], custom_objects=custom_objects)
    return cls(network, conv, **config)


def _network_config(network):
  return {"config": network.get_config(),
          "weights": [w.tolist() for w in network.get_weights()]}


def _network_from_config(config):
  network = lstm_optimizer.CoordinatewiseLSTM.from_config(config["config"])
  network.build()
  network.set_weights([np.array(w, network.dtype) for w in config["weights"]])
  return network


def _copy(network):
  if not isinstance(network, lstm_optimizer.CoordinatewiseLSTM):
    raise TypeError(f"LearnedOptimizer takes a CoordinatewiseLSTM; received "
                    f"{type(network).__name__}.")
  if not network.built:
    raise ValueError("The CoordinatewiseLSTM must be built (and trained).")
  return _network_from_config(_network_config(network))
