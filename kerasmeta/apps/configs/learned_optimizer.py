# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""A learned LSTM optimiser (Andrychowicz et al. 2016) on optimisees.

`--config=learned_optimizer:PROBLEM`, PROBLEM "quadratic" (random
10-dimensional quadratics), "mlp" (one hidden layer of 20 sigmoid units
on scikit-learn's 8x8 digits, no download) or "glyphs_mlp" (the same MLP
on 10 procedural glyph characters, 14x14):

  python -m apps.meta_train --config=learned_optimizer:quadratic \
      --workdir=/tmp/l2l_quadratic

Meta-training as the paper: a two-layer LSTM of 20 units per coordinate,
problems optimised for 100 steps in truncations of 20 (one meta-step a
truncation), Adam 1e-3 on the summed losses, no second derivatives. The
settings the paper leaves open are the authors' code's
(deepmind/learning-to-learn):
  quadratic   the raw gradient, output times 1; the code's loss averages
              its 128 problems, so each one's gradient reaches the LSTM
              times 1/128 (`gradient_scale`);
  mlp         log-and-sign preprocessing and output times 0.01, p the
              paper's 10 (the code's 5 hides the sign of the first
              layer's gradients at this initialisation: see
              `algorithms.learning_to_learn`); the optimisee's weights
              and biases start from N(0, 0.01^2) (`initializer`,
              "glorot" for Glorot-uniform kernels and zero biases).
The optimiser kept is the one of the lowest mean loss on 20 validation
problems (`select_checkpoint`), scored at every checkpoint, as the code's
`train.py` keeps its best.
Evaluation (apps.evaluate): loss curves over 200 steps on 100 held-out
problems (the MLPs on the dataset's test images, as the code's
`evaluate.py`) against SGD, Nesterov, RMSProp and Adam, each with its
learning rate chosen on 20 validation problems (validation images); on the
MLP also an MLP with two hidden layers and one with ReLU units.
"""

from kerasmeta.algorithms import learning_to_learn
from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution
from kerasmeta.tasks import optimizees

PROBLEMS = {"quadratic": "quadratic", "mlp": "digits_mlp",
            "glyphs_mlp": "glyphs_mlp"}


# What follows --config=NAME: (kerasmeta-train --list_configs).
ARGUMENTS = "PROBLEM: quadratic (default), mlp or glyphs_mlp"

def get_config(problem="quadratic"):
  """The config of PROBLEM (module docstring)."""
  if problem not in PROBLEMS:
    raise ValueError(f"Unknown learned_optimizer problem {problem!r}; "
                     f"expected one of {sorted(PROBLEMS)}.")
  config = common.new_config(PROBLEMS[problem], problem)
  config.model = "coordinatewise_lstm"
  if problem == "quadratic":
    config.dimension = 10
    problems = optimizees.QuadraticProblems
  else:
    config.hidden_sizes = (20,)
    config.activation = "sigmoid"
    config.batch_size = 128
    config.initializer = "normal"
    problems = optimizees.MLPProblems
  reference = learning_to_learn.reference_optimizer(problems)
  common.add_learner_fields(
      config, "learning_to_learn", num_steps=100, truncation=20,
      units=(20, 20),
      preprocess=reference["preprocess"] or "",  # "": the raw gradient
      p=reference["p"], output_scale=reference["output_scale"],
      gradient_scale=reference["gradient_scale"])
  # Quadratics are cheap: 16 a meta-step; an MLP's 1,500 coordinates run
  # through the LSTM at every step: 2 a meta-step.
  meta_batch_size = 16 if problem == "quadratic" else 2
  common.add_meta_training_fields(config, meta_batch_size=meta_batch_size,
                                  outer_learning_rate=1e-3,
                                  num_meta_steps=5000)
  execution.add_execution_fields(config, log_every=100,
                                 checkpoint_every=1000)
  # The problems' coordinates are one LSTM batch: XLA runs the quadratics'
  # step faster, TensorFlow the MLP's (`benchmarks/meta_step.py --bench
  # lstm_optimizer --meta-batch 16 --jit on|off`).
  config.jit_compile = "auto" if problem == "quadratic" else "off"
  config.select_checkpoint = "validation"
  common.add_evaluation_fields(
      config, num_tasks=100, num_steps=200, num_validation_problems=20,
      num_validation_tasks=20, baselines=True,
      learning_rates=(1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0))
  return config
