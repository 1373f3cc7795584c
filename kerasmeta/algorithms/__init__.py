# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Meta-learners behind one declared interface (`MetaLearner`)."""

from __future__ import annotations

from kerasmeta.algorithms.actor_critic import RecurrentActorCritic
from kerasmeta.algorithms.base import MetaGradients
from kerasmeta.algorithms.base import MetaLearner
from kerasmeta.algorithms.base import map_tasks
from kerasmeta.algorithms.base import mapped_gradients
from kerasmeta.algorithms.base import mean_over_tasks
from kerasmeta.algorithms.continual import ContinualLearner
from kerasmeta.algorithms.continual import continual_weights
from kerasmeta.algorithms.explicit_warp import ExplicitWarpGrad
from kerasmeta.algorithms.gradient_learner import GradientLearner
from kerasmeta.algorithms.leap import Leap
from kerasmeta.algorithms.leap import leap_objective
from kerasmeta.algorithms.learning_to_learn import LearningToLearn
from kerasmeta.algorithms.learned_inner import InnerOptimizer
from kerasmeta.algorithms.learned_inner import LearningRates
from kerasmeta.algorithms.leo import LEO
from kerasmeta.algorithms.leo import LEOAdaptation
from kerasmeta.algorithms.policy_gradient_maml import PolicyAdaptation
from kerasmeta.algorithms.leo import LEONetworks
from kerasmeta.algorithms.lstm_maml import LSTMMAML
from kerasmeta.algorithms.maml import FOMAML
from kerasmeta.algorithms.maml import MAML
from kerasmeta.algorithms.maml_trpo import TRPOPolicyGradientMAML
from kerasmeta.algorithms.meta_sgd import MetaSGD
from kerasmeta.algorithms.policy_gradient_maml import PolicyGradientMAML
from kerasmeta.algorithms.pretrained import Pretrained
from kerasmeta.algorithms.replay import ReplayBuffer
from kerasmeta.algorithms.reptile import Reptile
from kerasmeta.algorithms.reptile import reptile_objective
from kerasmeta.algorithms.task_mappers import BatchedTasks
from kerasmeta.algorithms.task_mappers import MappedTasks
from kerasmeta.algorithms.warp_schemes import ContinualWarpGrad
from kerasmeta.algorithms.warp_schemes import OfflineWarpGrad
from kerasmeta.algorithms.warpgrad import WarpGrad
from kerasmeta.algorithms.warpgrad import WarpLeap
from kerasmeta.algorithms.warpgrad import WarpMAML
from kerasmeta.algorithms.warpgrad import warp_objective

# Every learner by its `name`: a config's `algorithm` names one, and the
# config's `learner` group holds its constructor's keyword arguments.
ALGORITHMS = {learner.name: learner for learner in (
    MAML, FOMAML, MetaSGD, LSTMMAML, Pretrained, Reptile, Leap, WarpGrad,
    WarpMAML, WarpLeap, OfflineWarpGrad, ContinualWarpGrad, LEO,
    LearningToLearn, PolicyGradientMAML, TRPOPolicyGradientMAML,
    RecurrentActorCritic,
    ContinualLearner, ExplicitWarpGrad)}


def get(name: str) -> type[MetaLearner]:
  """The meta-learner class called `name`."""
  if name not in ALGORITHMS:
    raise ValueError(f"Unknown algorithm {name!r}; expected one of "
                     f"{sorted(ALGORITHMS)}.")
  return ALGORITHMS[name]

__all__ = [
    "ALGORITHMS", "BatchedTasks", "continual_weights", "ContinualLearner",
    "ContinualWarpGrad", "ExplicitWarpGrad", "FOMAML", "get",
    "GradientLearner", "InnerOptimizer", "Leap", "leap_objective",
    "LearningRates", "LearningToLearn", "LEO", "LEOAdaptation", "LEONetworks",
    "LSTMMAML", "MAML", "map_tasks", "mapped_gradients", "MappedTasks",
    "mean_over_tasks", "MetaGradients", "MetaLearner", "MetaSGD",
    "OfflineWarpGrad", "PolicyAdaptation", "PolicyGradientMAML", "Pretrained",
    "RecurrentActorCritic", "ReplayBuffer", "Reptile", "reptile_objective",
    "TRPOPolicyGradientMAML", "warp_objective", "WarpGrad", "WarpLeap",
    "WarpMAML"]
