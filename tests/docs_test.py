# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The documentation as a reader meets it: every page's Python runs as
written and prints what the page shows, every training command names a
config and fields that exist, and the site builds with `mkdocs --strict`
(a broken link, a missing reference or a bad docstring fails it).

Pages are the site's (`docs/**.md`), the README and CONTRIBUTING.md. A
page's ```python blocks run in order in one namespace, in a scratch
folder; a ```text block right after a Python block is the output it
prints (numbers to 1% or 1e-3, other words exactly). A Python block that
cannot run here (a TPU, a download) is preceded by an HTML comment
`<!-- not run: REASON -->`.
"""

import contextlib
import glob
import io
import math
import os
import re
import shlex
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The site's pages first: a block the README repeats from them (its first
# example is the getting-started page's) runs once, on the site's page.
PAGES = sorted(
    os.path.relpath(path, ROOT) for path in
    glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True)) + [
        "README.md", "CONTRIBUTING.md"]
_BLOCK = re.compile(
    r"(?P<skip><!-- not run: [^>]+-->\s*)?^(?P<indent> *)```(?P<lang>\w*)[^\n]*\n"
    r"(?P<body>.*?)^(?P=indent)```[ \t]*$", re.DOTALL | re.MULTILINE)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _blocks(page):
  """`[(language, code, skipped, end, start)]` of the page's fenced blocks."""
  with open(os.path.join(ROOT, page), encoding="utf-8") as f:
    text = f.read()
  return [(m["lang"], m["body"], bool(m["skip"]), m.end(), m.start())
          for m in _BLOCK.finditer(text)], text


def _examples(page):
  """`[(code, shown output or None)]` of the page's Python blocks run (a
  block an earlier page holds with the same output is run there)."""
  earlier = set()
  for other in PAGES[:PAGES.index(page)]:
    earlier |= set(_own_examples(other))
  return [example for example in _own_examples(page)
          if example not in earlier]


def _own_examples(page):
  blocks, text = _blocks(page)
  examples = []
  for index, (language, body, skipped, end, _) in enumerate(blocks):
    if language != "python" or skipped:
      continue
    shown = None
    if index + 1 < len(blocks):
      following = blocks[index + 1]
      if following[0] == "text" and not text[end:following[4]].strip():
        shown = following[1]
    examples.append((body, shown))
  return examples


def _same_output(printed, shown):
  """Whether `printed` is `shown`: words equal, numbers close."""
  words = lambda text: _NUMBER.sub(" # ", text).split()
  numbers = lambda text: [float(n) for n in _NUMBER.findall(text)]
  return words(printed) == words(shown) and len(numbers(printed)) == len(
      numbers(shown)) and all(
          math.isclose(a, b, rel_tol=1e-2, abs_tol=1e-3)
          for a, b in zip(numbers(printed), numbers(shown)))


def test_the_site_has_the_pages_a_reader_looks_for():
  for page in ("index", "getting-started", "concepts",
               "guides/write-a-learner", "guides/add-a-task-family",
               "guides/your-own-model", "guides/serving",
               "guides/distributed", "guides/reproduce"):
    assert os.path.join("docs", page + ".md") in PAGES, page


def test_output_comparison_fails_on_another_number_or_word():
  assert _same_output("loss 0.5012 after 3\n", "loss 0.50 after 3")
  assert not _same_output("loss 0.60 after 3", "loss 0.50 after 3")
  assert not _same_output("loss 0.50 after 3 steps", "loss 0.50 after 3")
  assert not _same_output("accuracy 0.50", "loss 0.50")


@pytest.mark.parametrize("page", [page for page in PAGES if _examples(page)])
def test_a_pages_python_runs_and_prints_what_it_shows(page, tmp_path,
                                                      monkeypatch):
  monkeypatch.chdir(tmp_path)
  namespace = {"__name__": "__main__"}
  for number, (code, shown) in enumerate(_examples(page)):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
      exec(compile(code, f"{page} (Python block {number + 1})", "exec"),  # pylint: disable=exec-used
           namespace)
    if shown is not None:
      assert _same_output(printed.getvalue(), shown), (
          f"{page}, Python block {number + 1} printed\n"
          f"{printed.getvalue()}\nbut the page shows\n{shown}")


def _training_commands():
  """`(page, argv)` of every `meta_train` command in a bash block."""
  found = []
  for page in PAGES:
    for language, body, _, _, _ in _blocks(page)[0]:
      if language != "bash":
        continue
      for line in body.replace("\\\n", " ").splitlines():
        command = re.search(r"(apps\.meta_train|kerasmeta-train)(.*)",
                            line.split(" #")[0])
        if command:  # what precedes it (variables, a shell) is not ours
          words = shlex.split(command[2].strip().strip('"'))
          found.append((page, ["kerasmeta-train"] + words))
  return found


def test_every_training_command_names_a_config_and_fields_that_exist():
  from kerasmeta.apps import configs  # pylint: disable=g-import-not-at-top
  commands = _training_commands()
  assert len(commands) > 10
  for page, argv in commands:
    try:
      configs.check_overrides(configs.resolve_argv(argv))
    except ValueError as error:
      pytest.fail(f"{page}: {' '.join(argv)}: {error}")


def test_the_site_builds_strictly(tmp_path):
  built = subprocess.run(
      [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
       str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
      env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
  assert built.returncode == 0, built.stderr[-3000:]
  for page in PAGES:
    if page.startswith("docs"):
      name = page[len("docs/"):-len(".md")]
      name = "" if name == "index" else name
      assert os.path.exists(tmp_path / "site" / name / "index.html") or \
          os.path.exists(tmp_path / "site" / name.replace("/index", "") /
                         "index.html"), page
