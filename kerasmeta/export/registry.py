# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Adapters by learner family: each family's module registers its exporter.

`export_adapter(learner, path, ...)` looks the learner's class up (its
nearest registered base class) instead of testing types one by one, so a
new family adds an adapter module and one `register` line, and touches
nothing else.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, TYPE_CHECKING

from kerasmeta.export import checks

if TYPE_CHECKING:
  import tensorflow as tf
  from kerasmeta.algorithms import base


class ExportOptions(NamedTuple):
  """What an exporter is asked for (each family reads what applies to it).

  Attributes:
    loss_name: the learner's loss name (gradient learners; default: found
      from its loss). Classifiers are recognised by it.
    max_steps: the largest `num_steps` a request may ask for.
    max_support: the most support points (a policy's: transitions) a
      request may send; None: the family's default (10,000 points, or
      transitions; LEO, whose cost is quadratic in them: ways x 25).
    max_query: the most query points a request may send.
    allow_transductive: export a model whose batch-norm normalises the
      queries with their own statistics (gradient learners).
  """
  loss_name: Optional[str] = None
  max_steps: int = checks.DEFAULT_MAX_STEPS
  max_support: Optional[int] = None
  max_query: int = checks.DEFAULT_MAX_QUERY
  allow_transductive: bool = False


# learner class -> `(learner, path, ExportOptions) -> saved module`.
_EXPORTERS: dict[type, Callable] = {}


def register(learner_class: type,
             exporter: Callable[[Any, str, ExportOptions], tf.Module]) -> None:
  """Makes `exporter` write the adapters of `learner_class` and its
  subclasses (unless a subclass registers its own)."""
  _EXPORTERS[learner_class] = exporter


def exporter_for(learner: base.MetaLearner) -> Callable[..., tf.Module]:
  """The exporter registered for the nearest class of `learner`.

  Raises:
    TypeError: no family of `learner`'s classes registered one.
  """
  for cls in type(learner).__mro__:
    if cls in _EXPORTERS:
      return _EXPORTERS[cls]
  known = ", ".join(sorted(cls.__name__ for cls in _EXPORTERS))
  raise TypeError(f"No adapter is registered for {type(learner).__name__}; "
                  f"adapters serve: {known} (and their subclasses).")


def export_adapter(learner: base.MetaLearner, path: str,
                   loss_name: Optional[str] = None,
                   max_steps: int = checks.DEFAULT_MAX_STEPS,
                   max_support: Optional[int] = None,
                   max_query: int = checks.DEFAULT_MAX_QUERY,
                   allow_transductive: bool = False) -> tf.Module:
  """Writes the adapter SavedModel of `learner` to `path`.

  Args:
    learner: a learner of a family with an adapter: a `GradientLearner`
      (adapt_and_predict, adapt_and_predict_with_options, predict), `LEO`
      (the same adapt_and_predict signatures, no `predict`) or a
      `PolicyGradientMAML` (act, adapt_and_act).
    path: the SavedModel directory (for TF Serving: MODEL_DIR/<version>).
    loss_name: see `ExportOptions`.
    max_steps: see `ExportOptions`.
    max_support: see `ExportOptions`.
    max_query: see `ExportOptions`.
    allow_transductive: see `ExportOptions`.

  Returns:
    The module that was saved.
  """
  options = ExportOptions(loss_name, max_steps, max_support, max_query,
                          allow_transductive)
  return exporter_for(learner)(learner, path, options)
