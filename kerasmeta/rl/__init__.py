# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Policies, rollouts, advantages and surrogates for meta-RL."""

from kerasmeta.rl.returns import advantages
from kerasmeta.rl.returns import discounted_returns
from kerasmeta.rl.returns import fit_linear_baseline
from kerasmeta.rl.returns import generalized_advantages
from kerasmeta.rl.returns import linear_baseline
from kerasmeta.rl.dice import magic_box
from kerasmeta.rl.dice import policy_gradient_surrogate
from kerasmeta.rl.policies import GaussianHead
from kerasmeta.rl.policies import gaussian_mlp_policy
from kerasmeta.rl.policies import log_prob
from kerasmeta.rl.rollouts import Paths
from kerasmeta.rl.rollouts import episode_returns
from kerasmeta.rl.rollouts import rollout

__all__ = ["GaussianHead", "Paths", "advantages", "discounted_returns",
           "episode_returns", "fit_linear_baseline", "gaussian_mlp_policy",
           "generalized_advantages", "linear_baseline", "log_prob",
           "magic_box", "policy_gradient_surrogate", "rollout"]
