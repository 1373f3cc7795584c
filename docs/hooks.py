# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""mkdocs hooks: equations as MathML, the results' figures, the changelog.

Equations are written as `$...$` (inline) and `$$...$$` (display) and
turned into MathML when the site is built (latex2mathml), which browsers
render without a script or a network connection. Code, fenced or inline, is
left as written. The figures the benchmark scripts write into
`benchmarks/results/` are served as `results/figures/NAME.png`, and
`CHANGELOG.md` as the changelog page, so neither is copied.
"""

import os
import re

from latex2mathml import converter
from mkdocs.structure import files as files_lib

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_FENCE = re.compile(r"(^ *(```|~~~).*?^ *\2[^\n]*$)", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_INLINE = re.compile(r"(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?![\w$])")


def _math(text):
  """`text` (no code in it) with its equations as MathML."""
  text = _DISPLAY.sub(
      lambda m: "\n\n<div class=\"math\">" + converter.convert(
          m.group(1).strip(), display="block") + "</div>\n\n", text)
  # In a span: a line that starts with <math> would be taken for a block
  # of HTML and cut out of its paragraph.
  return _INLINE.sub(lambda m: "<span class=\"math\">" + converter.convert(
      m.group(1)) + "</span>", text)


def _outside_code(text, function, pattern):
  pieces = pattern.split(text) if pattern is _FENCE else None
  if pieces is not None:  # [text, fence, fence marker, text, ...]
    return "".join(function(piece) if index % 3 == 0 else piece
                   for index, piece in enumerate(pieces)
                   if index % 3 != 2)
  out, last = [], 0
  for match in pattern.finditer(text):
    out += [function(text[last:match.start()]), match.group(0)]
    last = match.end()
  return "".join(out + [function(text[last:])])


def on_page_markdown(markdown, page, config, files):  # pylint: disable=unused-argument
  return _outside_code(
      markdown, lambda t: _outside_code(t, _math, _INLINE_CODE), _FENCE)


def on_files(files, config):  # pylint: disable=unused-argument
  figures = os.path.join(_ROOT, "benchmarks", "results")
  for name in sorted(os.listdir(figures)):
    if name.endswith(".png"):
      files.append(files_lib.File.generated(
          config, f"results/figures/{name}",
          abs_src_path=os.path.join(figures, name)))
  files.append(files_lib.File.generated(
      config, "changelog.md",
      abs_src_path=os.path.join(_ROOT, "CHANGELOG.md")))
  return files
