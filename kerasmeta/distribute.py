# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`tf.distribute` strategies by name."""

from __future__ import annotations

from typing import Optional

import tensorflow as tf

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker", "tpu")


def configure_cpu_devices(count: int) -> None:
  """Splits the host CPU into `count` logical devices (before TF starts).

  With no accelerator this lets `mirrored` run replicas on one machine's
  CPU, as the tests do. Does nothing if `count` <= 1.
  """
  if count <= 1:
    return
  cpus = tf.config.list_physical_devices("CPU")
  current = tf.config.get_logical_device_configuration(cpus[0])
  if current and len(current) == count:
    return
  try:
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration()] * count)
  except RuntimeError as error:
    raise RuntimeError(
        f"Could not split the CPU into {count} logical devices: TensorFlow "
        "was already initialised. Set it before any TF operation runs.") \
        from error


def make_strategy(name: str,
                  tpu_address: Optional[str] = None) -> tf.distribute.Strategy:
  """The strategy called `name` (see `STRATEGIES`)."""
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "one_device":
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
  if name == "mirrored":
    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
      return tf.distribute.MirroredStrategy()
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices=cpus)
  if name == "multi_worker":
    return tf.distribute.MultiWorkerMirroredStrategy()
  if name == "tpu":
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
        tpu=tpu_address or "")
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
  raise ValueError(f"Unknown strategy {name!r}; expected one of "
                   f"{STRATEGIES}.")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
  """Whether this process is the chief (the only one outside multi-worker)."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not resolver.cluster_spec().as_dict():
    return True
  task_type, task_id = resolver.task_type, resolver.task_id
  return task_type == "chief" or (task_type == "worker" and task_id == 0 and
                                  "chief" not in resolver.cluster_spec().jobs)


def is_distributed(strategy: tf.distribute.Strategy) -> bool:
  """Whether `strategy` is anything but the default, undistributed one."""
  return tf.distribute.has_strategy() or \
      strategy is not tf.distribute.get_strategy()
