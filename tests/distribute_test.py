# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import distribute
from kerasmeta import training
from tests.training.trainer_test import small_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORKER = """
import sys
import numpy as np
from tests.training.trainer_test import small_config
from kerasmeta import training
trainer = training.Trainer.from_config(small_config(num_meta_steps=4, checkpoint_every=2,
                                        strategy="multi_worker"), sys.argv[1])
trainer.train()
assert trainer.strategy.num_replicas_in_sync == 2
np.savez(sys.argv[2], *[v.numpy() for v in trainer.variables])
print("chief" if trainer.is_chief else "worker", trainer.workdir)
"""


def _free_ports(count):
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(("127.0.0.1", 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


@pytest.mark.slow
def test_two_workers_on_loopback_end_with_identical_weights(tmp_path):
  cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
  processes = []
  for index in range(2):
    environment = {
        **os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_CONFIG": json.dumps({"cluster": cluster,
                                 "task": {"type": "worker", "index": index}})}
    processes.append(subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp_path / "run"),
         str(tmp_path / f"weights_{index}.npz")], cwd=ROOT, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
  outputs = [p.communicate(timeout=300) for p in processes]
  for process, (out, err) in zip(processes, outputs):
    assert process.returncode == 0, err[-3000:]
  assert outputs[0][0].startswith("chief") and outputs[1][0].startswith(
      "worker")
  # Only the chief writes into the workdir; the other checkpoints apart.
  assert (tmp_path / "run" / "metrics.jsonl").exists()
  assert (tmp_path / "run" / "worker_1" / "checkpoints").exists()
  first, second = (np.load(tmp_path / f"weights_{i}.npz") for i in range(2))
  for key in first:
    np.testing.assert_array_equal(first[key], second[key])
  # And the two workers together take the single-process update.
  alone = training.Trainer.from_config(small_config(num_meta_steps=4),
                           str(tmp_path / "alone"))
  alone.train()
  for key, value in zip(first, alone.variables):
    np.testing.assert_allclose(first[key], value.numpy(), rtol=1e-5,
                               atol=1e-7)


def test_strategies_by_name():
  assert distribute.make_strategy("default") is tf.distribute.get_strategy()
  assert distribute.make_strategy("mirrored").num_replicas_in_sync == 2
  assert distribute.make_strategy("one_device").num_replicas_in_sync == 1
  assert distribute.is_chief(tf.distribute.get_strategy())
  with pytest.raises(ValueError, match="Unknown strategy 'horovod'"):
    distribute.make_strategy("horovod")
