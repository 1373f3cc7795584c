# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""kerasmeta: gradient-based meta-learning for TensorFlow and Keras 3."""

from kerasmeta.version import __version__
from kerasmeta import _startup

_startup.import_tensorflow_quietly()

from kerasmeta import algorithms
from kerasmeta import envs
from kerasmeta import ewc
from kerasmeta import functional
from kerasmeta import inner
from kerasmeta import evaluation
from kerasmeta import export
from kerasmeta import layers
from kerasmeta import losses
from kerasmeta import models
from kerasmeta import rl
from kerasmeta import tasks
from kerasmeta import testing
from kerasmeta import training
from kerasmeta.algorithms import FOMAML
from kerasmeta.algorithms import GradientLearner
from kerasmeta.algorithms import Leap
from kerasmeta.algorithms import LEO
from kerasmeta.algorithms import LearningToLearn
from kerasmeta.learned_optimizer import LearnedOptimizer
from kerasmeta.algorithms import MAML
from kerasmeta.algorithms import MetaGradients
from kerasmeta.algorithms import MetaLearner
from kerasmeta.algorithms import MetaSGD
from kerasmeta.algorithms import PolicyGradientMAML
from kerasmeta.algorithms import Pretrained
from kerasmeta.algorithms import Reptile
from kerasmeta.algorithms import WarpGrad
from kerasmeta.algorithms import WarpLeap
from kerasmeta.algorithms import WarpMAML
from kerasmeta.functional import call_with_weights
from kerasmeta.functional import weight_roles
from kerasmeta.inner import adapt
from kerasmeta.layers import TConv2D
from kerasmeta.layers import TDense
from kerasmeta.layers import Warp
from kerasmeta.meta_model import MetaModel
from kerasmeta.tasks import SinusoidTasks
from kerasmeta.tasks import Task

__all__ = [
    "__version__", "adapt", "call_with_weights", "FOMAML", "GradientLearner",
    "Leap", "LearnedOptimizer", "LearningToLearn", "LEO", "MAML",
    "MetaGradients", "MetaLearner", "MetaModel", "MetaSGD",
    "PolicyGradientMAML", "Pretrained", "Reptile", "SinusoidTasks", "Task",
    "TConv2D", "TDense", "Warp", "WarpGrad", "WarpLeap", "WarpMAML",
    "weight_roles"]
