"""The worked examples of CONTRIBUTING.md run as written."""

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _blocks():
  with open(os.path.join(ROOT, "CONTRIBUTING.md")) as f:
    return re.findall(r"```python\n(.*?)```", f.read(), re.DOTALL)


def test_the_guide_has_its_two_worked_examples():
  assert len(_blocks()) == 2


@pytest.mark.parametrize("index", [0, 1], ids=["write_a_learner",
                                               "add_a_task_family"])
def test_a_worked_example_runs(index):
  exec(compile(_blocks()[index], "CONTRIBUTING.md", "exec"), {})  # pylint: disable=exec-used
