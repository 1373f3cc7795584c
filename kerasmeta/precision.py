# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Mixed precision and XLA: how a learner's step is computed."""

from __future__ import annotations

import contextlib
from typing import Iterator, Optional, TYPE_CHECKING

import keras
import tensorflow as tf

from kerasmeta import functional

if TYPE_CHECKING:
  from kerasmeta._typing import JitCompile

MIXED_PRECISION_POLICIES = (None, "", "mixed_bfloat16", "mixed_float16")


@contextlib.contextmanager
def mixed_precision(policy: Optional[str]) -> Iterator[None]:
  """Builds the model under a Keras dtype policy, then restores the old one.

  Variables stay float32; layers compute in bfloat16 or float16 (the latter
  with loss scaling, see `Trainer`); losses are computed in float32.
  """
  if policy not in MIXED_PRECISION_POLICIES:
    raise ValueError(f"mixed_precision must be one of "
                     f"{MIXED_PRECISION_POLICIES}; received {policy!r}.")
  if not policy:
    yield
    return
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy(policy)
  try:
    yield
  finally:
    keras.config.set_dtype_policy(previous)


def resolve_jit_compile(jit_compile: JitCompile,
                        model: Optional[keras.Model]) -> bool:
  """Whether to use XLA: "on" / "off" as given, "auto" where it is faster.

  XLA speeds up dense learners several times on CPU, but its CPU
  second-order convolution gradients are an order of magnitude slower than
  TensorFlow's own kernels (benchmarks/README.md), so "auto" turns it off
  for convolutional models when no GPU or TPU is present.
  """
  if isinstance(jit_compile, str):
    jit_compile = {"true": True, "on": True, "false": False,
                   "off": False}.get(jit_compile.lower(), jit_compile)
  if jit_compile in (True, False):
    return bool(jit_compile)
  if jit_compile != "auto":
    raise ValueError(f"jit_compile must be 'auto', 'on' or 'off' (or a "
                     f"bool); received {jit_compile!r}.")
  has_conv = model is not None and any(
      isinstance(layer, keras.layers.Conv2D)
      for layer in functional.all_layers(model))
  accelerated = bool(tf.config.list_logical_devices("GPU")
                     or tf.config.list_logical_devices("TPU"))
  return accelerated or not has_conv


def wide_float() -> tf.DType:
  """The dtype of the few computations kerasmeta widens past float32.

  Two small computations inside training steps are made in float64 on CPU
  and GPU: Box-Muller's log and cos (`sampling.normal`), so that a draw
  does not depend on the draw's place in a vectorised loop, and the ridge
  regression of the policy-gradient baseline (`rl.returns`), as the
  reference code solves it in numpy's float64. TPUs have no float64: where
  a TPU is attached to the process, both are made in float32 (a normal
  draw may then differ from the CPU's in its last bit, and the regression
  retries with a larger regulariser where float32 fails, as the
  reference's does).
  """
  return tf.float32 if tf.config.list_logical_devices("TPU") else tf.float64
