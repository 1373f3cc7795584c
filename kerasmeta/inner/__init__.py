# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Inner updates as composable transforms, and the one inner loop."""

from kerasmeta.inner.classic import classic_optimizer
from kerasmeta.inner.classic import nesterov
from kerasmeta.inner.classic import scale_by_adam
from kerasmeta.inner.classic import scale_by_rms
from kerasmeta.inner.learned import learned_update
from kerasmeta.inner.loop import AdaptResult
from kerasmeta.inner.loop import adapt
from kerasmeta.inner.loop import as_transform
from kerasmeta.inner.loop import step
from kerasmeta.inner.masks import BatchedGradientMasks
from kerasmeta.inner.masks import GradientMasks
from kerasmeta.inner.transforms import GradientTransform
from kerasmeta.inner.transforms import chain
from kerasmeta.inner.transforms import heavy_ball
from kerasmeta.inner.transforms import identity
from kerasmeta.inner.transforms import mask_gradients
from kerasmeta.inner.transforms import scale
from kerasmeta.inner.transforms import scale_by_learning_rate
from kerasmeta.inner.transforms import sgd
from kerasmeta.inner.transforms import stop_gradient

__all__ = [
    "adapt", "AdaptResult", "as_transform", "BatchedGradientMasks", "chain",
    "classic_optimizer", "GradientMasks", "GradientTransform", "heavy_ball",
    "identity", "learned_update", "mask_gradients", "nesterov", "scale",
    "scale_by_adam", "scale_by_learning_rate", "scale_by_rms", "sgd", "step",
    "stop_gradient"]
