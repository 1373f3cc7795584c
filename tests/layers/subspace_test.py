# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from kerasmeta import models
from kerasmeta.layers import subspace
from kerasmeta.layers import TDense


def _layer(logits, mask="unit"):
  layer = TDense(len(logits), mask=mask, name="cell")
  layer.build((None, 3))
  if mask == "unit":
    layer.kernel_mask_logits.assign(np.asarray(logits, np.float32))
  return layer


def test_active_units_are_those_with_probability_over_one_half():
  logits = [-2.0, 0.0, 0.5, 3.0, -0.1]
  result = subspace.layer_subspace(_layer(logits))
  expected = 1 / (1 + np.exp(-np.asarray(logits, np.float64)))
  np.testing.assert_allclose(result.probabilities, expected, rtol=1e-6)
  # zeta = 0 is P = 1/2 exactly: not active.
  assert (result.name, result.units, result.active_units) == ("cell", 5, 2)
  assert result.mean_probability == pytest.approx(expected.mean(), rel=1e-6)


def test_a_higher_threshold_counts_fewer_units():
  layer = _layer([-2.0, 0.5, 3.0])
  assert subspace.layer_subspace(layer, threshold=0.9).active_units == 1
  assert subspace.layer_subspace(layer, threshold=0.0).active_units == 3
  with pytest.raises(ValueError, match="threshold must be in .*received 1"):
    subspace.layer_subspace(layer, threshold=1)


def test_a_model_lists_its_masked_layers_from_input_to_output():
  model = models.mlp(hidden_sizes=(4, 3), cell="mtnet")
  masked = [layer for layer in model.layers if layer.mask == "unit"]
  masked[0].kernel_mask_logits.assign([1.0, 1.0, -1.0, 2.0])
  masked[1].kernel_mask_logits.assign([-1.0, -1.0, 0.3])
  result = subspace.model_subspace(model)
  assert [(r.name, r.units, r.active_units) for r in result] == [
      ("hidden_1", 4, 3), ("hidden_2", 3, 1), ("output", 1, 0)]
  assert result[2].mean_probability == 0.5  # never trained: zeta = 0


def test_models_without_unit_masks_are_refused_with_the_reason():
  with pytest.raises(ValueError, match="no unit-masked layer"):
    subspace.model_subspace(models.mlp(hidden_sizes=(2,), cell="tnet"))
  with pytest.raises(ValueError, match="per-weight mask"):
    subspace.model_subspace(models.mlp(hidden_sizes=(2,),
                                       cell="mtnet_full"))
  with pytest.raises(ValueError, match="'cell' has no unit mask"):
    subspace.unit_mask_probabilities(_layer([0.0, 1.0], mask=None))
