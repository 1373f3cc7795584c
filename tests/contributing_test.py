# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The worked examples of CONTRIBUTING.md run as written."""

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _blocks():
  with open(os.path.join(ROOT, "CONTRIBUTING.md")) as f:
    return re.findall(r"```python\n(.*?)```", f.read(), re.DOTALL)


def test_the_guide_has_its_three_worked_examples():
  assert len(_blocks()) == 3


@pytest.mark.parametrize("index", [0, 1], ids=["write_a_learner",
                                               "add_a_task_family"])
def test_a_worked_example_runs(index):
  exec(compile(_blocks()[index], "CONTRIBUTING.md", "exec"), {})  # pylint: disable=exec-used


def test_the_evaluator_example_runs_on_the_task_family_example():
  namespace = {}
  for block in _blocks()[1:]:
    exec(compile(block, "CONTRIBUTING.md", "exec"), namespace)  # pylint: disable=exec-used
  from kerasmeta import evaluators  # pylint: disable=g-import-not-at-top
  assert "lines_solved" in evaluators.names()
