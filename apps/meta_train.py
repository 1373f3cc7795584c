r"""Meta-trains a learner from a config.

  python -m apps.meta_train --config=apps/configs/sinusoid.py:mtnet \
      --workdir=/tmp/sine_mtnet [--config.num_meta_steps=2000 ...]

Without --config it runs the default: MT-net on sinusoids, the MT-net
paper's protocol (60,000 meta-steps, a few minutes on a 2-core CPU).

Re-running the same command resumes from the workdir's latest checkpoint.
With --evaluate (the default) the run ends with `apps.evaluate`'s
evaluation, writing eval.json and eval.png into the workdir.
"""

import os

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from apps import workdirs
from kerasmeta import training

_DEFAULT_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "configs", "sinusoid.py") + ":mtnet"
_CONFIG = config_flags.DEFINE_config_file(
    "config", _DEFAULT_CONFIG,
    "Config file and variant, e.g. apps/configs/sinusoid.py:mtnet (the "
    "default: MT-net on sinusoids, the MT-net paper's protocol).",
    lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None,
                               "Directory for checkpoints, logs, results.")
_TPU = flags.DEFINE_string(
    "tpu", None, "TPU address or name for --config.strategy=tpu ('local' on "
    "a TPU VM); the same as --config.tpu_address.")
_EVALUATE = flags.DEFINE_bool("evaluate", True,
                              "Evaluate the trained learner at the end.")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  config = _CONFIG.value
  if _TPU.value is not None:
    with config.unlocked():
      config.tpu_address = _TPU.value
  trainer = training.Trainer.from_config(config, _WORKDIR.value)
  final = trainer.train()
  logging.info("Finished at step %d: %s", trainer.step, final)
  if _EVALUATE.value:
    workdirs.evaluate_workdir(_WORKDIR.value, trainer=trainer)


if __name__ == "__main__":
  app.run(main)
