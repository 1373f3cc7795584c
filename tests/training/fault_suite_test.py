"""The resume promise on every learner family the trainer takes.

SIGTERM delivered while a call runs stops the run at the call's end with a
checkpoint of exactly the step counted; a new trainer resumes it; the
final checkpoint equals an uninterrupted run's in every tensor (weights,
optimiser slots, the learner's train state: LSTM and optimisee states,
warp accumulators, replay buffers). The other interruptions (Ctrl-C,
between calls, kill -9, a full disk, torn files) are tested on the
sinusoid family in `trainer_test.py` and `workdir_test.py`; what differs
between families is the state a checkpoint must hold, which this file
covers for each.
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


def _sinusoid(variant, **warpgrad):
  def make(tmp_path):
    del tmp_path
    config = trainer_test.small_config(variant, num_meta_steps=6,
                                       log_every=1, checkpoint_every=3)
    config.warpgrad.update(warpgrad)
    return config
  return make


def _leo(tmp_path):
  data = tmp_path / "data"
  if not data.exists():
    embeddings_test._write(data)  # pylint: disable=protected-access
  config = leo_config.get_config("leo,glyphs,1")
  config.update(data_dir=str(data), features=embeddings_test.FEATURES,
                ways=3, num_query=3, meta_batch_size=4, num_meta_steps=6,
                log_every=1, checkpoint_every=3, select_checkpoint="")
  config.leo.update(num_latents=4, num_latent_steps=2,
                    num_finetuning_steps=1)
  return config


def _learned_optimizer(tmp_path):
  del tmp_path
  config = learned_optimizer.get_config("quadratic")
  config.update(num_steps=6, truncation=2, num_meta_steps=6,
                meta_batch_size=3, log_every=1, checkpoint_every=3,
                units=(4,))
  return config


FAMILIES = {
    "gradient_learner": _sinusoid("maml"),
    "warpgrad_offline": _sinusoid("warp_maml", training_mode="offline",
                                  replay_batch_size=2),
    "warpgrad_continual": _sinusoid("warp_maml", training_mode="continual",
                                    warp_update_interval=2),
    "leo": _leo,
    "learned_optimizer": _learned_optimizer,
    "policy_gradient": lambda tmp_path: navigation_test.small_config(
        num_meta_steps=6, checkpoint_every=3),
    "maze": lambda tmp_path: maze_test.small_config(
        model="warp_rnn", variant="warp_rnn", meta_units=4,
        warp_update_interval=2, num_meta_steps=6, checkpoint_every=3),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_sigterm_inside_a_call_resumes_bit_exactly_on_every_family(
    tmp_path, family):
  make = lambda: experiments.validate_config(FAMILIES[family](tmp_path))
  whole = training.Trainer.from_config(make(), str(tmp_path / "whole"))
  whole.train()
  stopped = training.Trainer.from_config(make(), str(tmp_path / "split"))
  calls = stopped._calls  # pylint: disable=protected-access

  def calls_with_a_signal(start, num_steps):
    call, counted = calls(start, num_steps), []

    def signalled(step):
      result = call(step)
      counted.append(result[1] or 1)
      if sum(counted) >= 4 and not signalled.sent:
        # Delivered while the call ran: Python sees it as the call returns.
        signalled.sent = True
        os.kill(os.getpid(), signal.SIGTERM)
      return result
    signalled.sent = False
    return signalled
  stopped._calls = calls_with_a_signal  # pylint: disable=protected-access
  with pytest.raises(training.Interrupted):
    stopped.train()
  step = stopped.step
  assert 4 <= step < 6
  saved = stopped.manager.latest_checkpoint
  assert saved.endswith(f"ckpt-{step}")
  assert int(helpers.checkpoint_tensors(saved)[
      "step/.ATTRIBUTES/VARIABLE_VALUE"]) == step
  resumed = training.Trainer.from_config(make(), str(tmp_path / "split"))
  resumed.train()
  helpers.assert_same_checkpoints(resumed.manager.latest_checkpoint,
                                  whole.manager.latest_checkpoint)
  lines = [line["step"] for line in trainer_test.read_metrics(
      tmp_path / "split")]
  assert lines == list(range(1, 7))
