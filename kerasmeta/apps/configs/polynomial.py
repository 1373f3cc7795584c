# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Polynomial regression of order 0, 1, 2 (MT-net, task complexity).

The MT-net reference code's experiment (yoonholee/MT-net,
experiments/polynomial.sh): MT-net on polynomials of order n, K = 10
support and 10 query points, meta-batch 4, 60,000 meta-steps, no
normalisation, one inner step at alpha = 0.001 (the script leaves
`update_lr` at its default). The paper compares the subspace the masks
open (units with P(mask = 1) > 1/2) across orders
(`benchmarks/mtnet_analyses.py`).

Meta-train (SPEC: VARIANT[,ORDER], e.g. mtnet,2; VARIANT: maml, fomaml,
meta_sgd, mnet, tnet, mtnet, ...; ORDER defaults to 1, the reference's):

  python -m apps.meta_train --config=polynomial:mtnet,2 \
      --workdir=/tmp/poly2_mtnet

Evaluate (600 held-out tasks, K = 5, 10, 20, 0..10 inner steps):

  python -m apps.evaluate --workdir=/tmp/poly2_mtnet
"""

from kerasmeta.apps.configs import common

VARIANTS = common.FEW_SHOT_VARIANTS  # variant -> (algorithm, cell)


def parse_spec(spec):
  """`"mtnet,2"` -> ("mtnet", 2); the order defaults to 1."""
  parts = [part.strip() for part in str(spec).split(",")]
  if len(parts) > 2 or not all(part.isdigit() for part in parts[1:]):
    raise ValueError(f"Expected VARIANT[,ORDER], e.g. 'mtnet,2'; received "
                     f"{spec!r}.")
  return parts[0], int(parts[1]) if len(parts) == 2 else 1


# What follows --config=NAME: (kerasmeta-train --list_configs).
ARGUMENTS = ("VARIANT[,ORDER]: ORDER 0, 1 (the default) or 2; VARIANT one of "
             + ", ".join(common.FEW_SHOT_VARIANTS))

def get_config(spec="mtnet"):
  """The config of one variant and order (see `parse_spec`)."""
  variant, order = parse_spec(spec)
  config = common.new_config("polynomial", variant)
  # Tasks: y = sum_i u_i x^i / 2^i, u_i ~ U[-1, 1], x ~ U[-2, 2]; the
  # reference's learner (a 1-40-40-1 ReLU MLP) and alpha 0.001.
  config.polynomial_order = order
  return common.add_curve_regression(config, variant, "polynomial",
                                     inner_learning_rate=0.001)
