"""Meta-SGD (Li et al. 2017): MAML with a learned step size per weight.

The inner update is `theta <- theta - alpha (.) grad`, where `alpha` has the
shape of theta, role meta, and is learned by the outer loop with theta.
"""

import keras
import tensorflow as tf

from kerasmeta.algorithms import maml


@keras.saving.register_keras_serializable(package="kerasmeta")
class LearningRates(keras.layers.Layer):
  """Holds one learned inner learning rate per adapted weight entry."""

  def __init__(self, shapes, initial_value=0.01, **kwargs):
    super().__init__(**kwargs)
    self.shapes = [tuple(int(d) for d in shape) for shape in shapes]
    self.initial_value = float(initial_value)
    self.rates = [
        self.add_weight(name=f"rate_{index}", shape=shape,
                        initializer=keras.initializers.Constant(
                            self.initial_value))
        for index, shape in enumerate(self.shapes)]

  @property
  def meta_weights(self):
    return list(self.rates)

  def get_config(self):
    config = super().get_config()
    config.update(shapes=self.shapes, initial_value=self.initial_value)
    return config


class MetaSGD(maml.MAML):
  """Meta-SGD: MAML whose inner learning rates are learned per weight."""

  name = "meta_sgd"

  def __init__(self, model, **kwargs):
    super().__init__(model, **kwargs)
    self.rates = LearningRates([w.shape for w in self.roles.adapted],
                               initial_value=self.inner_learning_rate,
                               dtype=self.roles.adapted[0].dtype,
                               name="meta_sgd_learning_rates")

  @property
  def extra_variables(self):
    return list(self.rates.rates)

  def checkpoint_items(self):
    return {**super().checkpoint_items(), "learning_rates": self.rates}

  def learning_rates(self, learning_rate=None):
    """The learned rates; a `learning_rate` scales them by it / alpha."""
    rates = [rate.value for rate in self.rates.rates]
    if learning_rate is None:
      return rates
    scale = tf.cast(learning_rate, rates[0].dtype) / self.inner_learning_rate
    return [rate * scale for rate in rates]
