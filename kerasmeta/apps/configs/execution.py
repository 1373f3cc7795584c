# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The execution fields every config shares (strategy, XLA, logging)."""


def add_execution_fields(config, jit_compile="auto", log_every=500,
                         checkpoint_every=5000):
  """Sets the fields the trainer reads besides the experiment's own."""
  config.strategy = "default"  # one_device, mirrored, multi_worker, tpu
  config.num_cpu_devices = 0
  config.tpu_address = ""
  config.mixed_precision = ""  # "", "mixed_bfloat16" or "mixed_float16"
  # "on", "off", or "auto": XLA unless conv on CPU.
  config.jit_compile = jit_compile
  # Meta-steps per compiled call where tasks are made in the graph; 0:
  # automatic (calls of about half a second, never across a log line or a
  # checkpoint).
  config.steps_per_call = 0
  config.log_every = log_every
  config.checkpoint_every = checkpoint_every
  config.max_checkpoints = 3
  return config
