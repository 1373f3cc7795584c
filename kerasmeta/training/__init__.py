# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Meta-training: the trainer loop, running learners' steps, outer
optimisers, logs."""

from kerasmeta.training.logs import MetricsLog
from kerasmeta.training.logs import write_atomically
from kerasmeta.training.logs import Progress
from kerasmeta.training.optimizers import OptimizerGroups
from kerasmeta.training.optimizers import REFERENCE_ADAM_EPSILON
from kerasmeta.training.optimizers import make_optimizer
from kerasmeta.training.optimizers import make_outer_optimizer
from kerasmeta.precision import mixed_precision
from kerasmeta.precision import resolve_jit_compile
from kerasmeta.training.steps import TrainState
from kerasmeta.training.steps import build_multi_step
from kerasmeta.training.steps import build_step
from kerasmeta.training.steps import make_train_step
from kerasmeta.training.signals import Interrupted
from kerasmeta.training.guards import NonFiniteError
from kerasmeta.training.trainer import Trainer
from kerasmeta.workdir import WorkdirError

__all__ = [
    "build_multi_step", "build_step", "Interrupted", "make_optimizer",
    "make_outer_optimizer", "make_train_step", "MetricsLog",
    "mixed_precision", "NonFiniteError", "OptimizerGroups", "Progress",
    "REFERENCE_ADAM_EPSILON", "resolve_jit_compile", "Trainer", "TrainState",
    "WorkdirError", "write_atomically"]
