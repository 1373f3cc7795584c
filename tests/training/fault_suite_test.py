# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The resume promise on every learner family the trainer takes.

One run per family is interrupted five times, each way a run stops, and
resumed by a new trainer each time: SIGTERM and Ctrl-C while a compiled
call runs (answered when the call returns, its steps counted, a
checkpoint of exactly that step saved) and between two calls, and a crash
with nothing saved (what kill -9 leaves: the run goes back to its newest
checkpoint). Its
final checkpoint must equal an uninterrupted run's in every tensor
(weights, optimiser slots, the learner's train state: LSTM and optimisee
states, warp accumulators, replay buffers). What differs between families
is the state a checkpoint must hold and the path a step takes (several
steps per compiled call on tasks made in the graph, or one step fed by
`tf.data`). The gradient learners' path (several steps per compiled call)
is interrupted each of these ways in `trainer_test.py`; a full disk, torn
files, the lock and the readers, which do not depend on the family, on the
sinusoid family in `workdir_test.py`.
"""

import os
import signal

import pytest

from kerasmeta import experiments
from kerasmeta import training
from kerasmeta.apps.configs import learned_optimizer
from kerasmeta.apps.configs import leo as leo_config
from tests import helpers
from tests.experiments import embeddings_test
from tests.experiments import maze_test
from tests.experiments import navigation_test
from tests.training import trainer_test


def _sinusoid(variant, **learner):
  def make(tmp_path):
    del tmp_path
    return trainer_test.small_config(variant, num_meta_steps=STEPS,
                                     log_every=1, checkpoint_every=3,
                                     **learner)
  return make


def _leo(tmp_path):
  data = tmp_path / "data"
  if not data.exists():
    embeddings_test._write(data)  # pylint: disable=protected-access
  config = leo_config.get_config("leo,glyphs,1")
  config.update(data_dir=str(data), features=embeddings_test.FEATURES,
                ways=3, num_query=3, meta_batch_size=4, num_meta_steps=STEPS,
                log_every=1, checkpoint_every=3, select_checkpoint="")
  config.learner.update(num_latents=4, num_latent_steps=2,
                    num_finetuning_steps=1)
  return config


def _learned_optimizer(tmp_path):
  del tmp_path
  config = learned_optimizer.get_config("quadratic")
  return helpers.set_fields(
      config, num_steps=6, truncation=2, num_meta_steps=STEPS,
      meta_batch_size=3, log_every=1, checkpoint_every=3, units=(4,))


STEPS = 8

FAMILIES = {
    "warpgrad_offline": _sinusoid("warp_maml_offline", replay_batch_size=2),
    "warpgrad_continual": _sinusoid("warp_maml_continual",
                                    warp_update_interval=2),
    "leo": _leo,
    "learned_optimizer": _learned_optimizer,
    "policy_gradient": lambda tmp_path: navigation_test.small_config(
        num_meta_steps=STEPS, checkpoint_every=3),
    # TRPO's step moves the weights itself, in while loops (no optimiser).
    "policy_gradient_trpo": lambda tmp_path: navigation_test.small_config(
        "maml_trpo", num_meta_steps=STEPS, checkpoint_every=3),
    "maze": lambda tmp_path: maze_test.small_config(
        model="warp_rnn", variant="warp_rnn", meta_units=4,
        warp_update_interval=2, num_meta_steps=STEPS, checkpoint_every=3),
}


class Crash(Exception):
  """What kill -9 leaves: the process gone, nothing saved."""


def _stopping(trainer, after, how):
  """Makes `trainer` stop once `after` steps are counted: `how` is
  "SIGTERM inside" or "Ctrl-C inside" (sent while the call that counts
  them runs: Python sees it as the call returns), "SIGTERM between" or
  "Ctrl-C between" (sent after it returned, before the next call), or
  "crash" (an exception, nothing saved)."""
  calls = trainer._calls  # pylint: disable=protected-access
  number = signal.SIGINT if how.startswith("Ctrl-C") else signal.SIGTERM

  def calls_that_stop(start, num_steps):
    call, done = calls(start, num_steps), [start]

    def stopping_call(step):
      if how.endswith("between") and done[0] == after:
        os.kill(os.getpid(), number)
      result = call(step)
      done[0] = step + (result[1] or 1)
      if done[0] == after and how.endswith("inside"):
        os.kill(os.getpid(), number)
      if done[0] == after and how == "crash":
        raise Crash(f"after step {done[0]}")
      return result
    return stopping_call
  trainer._calls = calls_that_stop  # pylint: disable=protected-access
  return trainer


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_interruption_resumes_bit_exactly_on_every_family(
    tmp_path, family):
  make = lambda: experiments.validate_config(FAMILIES[family](tmp_path))
  whole = training.Trainer.from_config(make(), str(tmp_path / "whole"))
  whole.train()
  workdir = str(tmp_path / "split")
  # (steps counted when the stop is asked for, how, what train() raises,
  # the step of the newest checkpoint after it): a signal sent before a
  # call is answered when that call returns; checkpoints every 3 steps.
  for after, how, error, saved_at in [
      (1, "SIGTERM inside", training.Interrupted, 1),
      (2, "Ctrl-C between", KeyboardInterrupt, 3),
      (4, "Ctrl-C inside", KeyboardInterrupt, 4),
      (5, "SIGTERM between", training.Interrupted, 6),
      (7, "crash", Crash, 6)]:
    trainer = _stopping(training.Trainer.from_config(make(), workdir),
                        after, how)
    with pytest.raises(error):
      trainer.train()
    saved = trainer.manager.latest_checkpoint
    assert saved.endswith(f"ckpt-{saved_at}"), how
    assert int(helpers.checkpoint_tensors(saved)[
        "step/.ATTRIBUTES/VARIABLE_VALUE"]) == saved_at
  resumed = training.Trainer.from_config(make(), workdir)
  resumed.train()
  helpers.assert_same_checkpoints(resumed.manager.latest_checkpoint,
                                  whole.manager.latest_checkpoint)
  lines = [line["step"] for line in trainer_test.read_metrics(workdir)]
  assert lines == list(range(1, STEPS + 1))
