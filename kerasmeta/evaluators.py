# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Evaluators by name: how a trained learner is measured on held-out tasks.

As big_vision finds its evaluators, kerasmeta finds one by name: each
experiment family declares the name of its evaluator (`EVALUATOR` in its
module; a config may name another in `config.eval.evaluator`), and the
evaluator registers under that name. `apps.evaluate` runs it on the test
split; the trainer's checkpoint selection runs the same evaluator on the
validation split and keeps its `score`, so the two share one path.

A new evaluator:

```python
@evaluators.register("my_metric")
class MyEvaluator(evaluators.Evaluator):
  def evaluate(self, learner, *, num_tasks, seed, split="test", shots=None,
               jit_compile=False):
    values = ...  # one number per held-out task
    results = {"my_metric": evaluation.summarize(values)}
    return evaluators.Evaluation(results, lambda path: None, "one line")

  def score(self, results):          # only where it can pick checkpoints
    return results["my_metric"]["mean"]
```
"""

from __future__ import annotations

import abc
import collections

from typing import Any, Callable, Optional, Sequence, TYPE_CHECKING

if TYPE_CHECKING:
  from kerasmeta._typing import Config, JitCompile

Evaluation = collections.namedtuple("Evaluation",
                                    ["results", "draw", "summary"])
Evaluation.__doc__ = """What an evaluator's `evaluate` returns.

Attributes:
  results: a JSON-serialisable dict of the evaluation's numbers.
  draw: `path -> None`, writes the evaluation's figure (a PNG) to `path`.
  summary: one line for the log.
"""

_EVALUATORS: dict[str, type[Evaluator]] = {}


class Evaluator(abc.ABC):
  """Measures a learner on held-out tasks of one config.

  Args:
    config: the experiment config whose tasks it evaluates on.

  Attributes:
    name: the name it is registered and found by.
  """

  name = None

  def __init__(self, config: Config) -> None:
    self.config = config

  @abc.abstractmethod
  def evaluate(self, learner: Any, *, num_tasks: int, seed: int,
               split: str = "test", shots: Any = None,
               jit_compile: JitCompile = False) -> Evaluation:
    """Evaluates `learner` on `num_tasks` held-out tasks drawn with `seed`.

    Args:
      learner: the config's learner (trained).
      num_tasks: held-out tasks (or task sequences, or goals).
      seed: their seed.
      split: "test", or "validation" (where the evaluator can `score`).
      shots: the K values of a regression evaluation (None: config.eval's).
      jit_compile: True, False or "auto" (`evaluation.metrics_by_step`).
    """

  @property
  def validates(self) -> bool:
    """Whether it can score checkpoints (it overrides `score`)."""
    return type(self).score is not Evaluator.score

  def score(self, results: dict) -> float:
    """What picks a checkpoint from `evaluate(split="validation")`'s
    results: higher is better."""
    raise ValueError(f"The {self.name!r} evaluator has no validation score: "
                     "config.select_checkpoint must be ''.")

  def check_split(self, split: str) -> None:
    """Refuses a split other than "test" unless the evaluator validates."""
    allowed = ("test", "validation") if self.validates else ("test",)
    if split not in allowed:
      raise ValueError(f"The {self.name!r} evaluator evaluates on "
                       f"{' or '.join(allowed)}; received split={split!r}.")


def register(name: str) -> Callable[[type[Evaluator]], type[Evaluator]]:
  """A class decorator: registers an `Evaluator` under `name`."""
  def decorate(cls):
    if not (isinstance(cls, type) and issubclass(cls, Evaluator)):
      raise TypeError(f"register({name!r}) takes an Evaluator subclass; "
                      f"received {cls!r}.")
    if _EVALUATORS.get(name, cls) is not cls:
      raise ValueError(f"An evaluator is already registered as {name!r}: "
                       f"{_EVALUATORS[name].__qualname__}.")
    cls.name = name
    _EVALUATORS[name] = cls
    return cls
  return decorate


def names() -> tuple:
  """Every registered evaluator's name, sorted."""
  return tuple(sorted(_EVALUATORS))


def get(name: str) -> type[Evaluator]:
  """The `Evaluator` class registered as `name`."""
  if name not in _EVALUATORS:
    raise ValueError(f"Unknown evaluator {name!r}; expected one of "
                     f"{names()}.")
  return _EVALUATORS[name]
