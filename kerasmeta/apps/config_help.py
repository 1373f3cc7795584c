# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""What the command line says about configs: `--list_configs` lists them
with their variants, `--describe_config` gives one config's fields, each
with its value and what it means.

A learner's fields (`config.learner.*`) are its constructor's arguments,
described where they are defined: the learner class's docstring (its
`Args:` section). Every other field is described in `field_help.FIELDS`.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from typing import Any, TYPE_CHECKING

from kerasmeta import algorithms
from kerasmeta import experiments
from kerasmeta.apps import configs
from kerasmeta.apps import field_help

if TYPE_CHECKING:
  from kerasmeta._typing import Config

_WIDTH = 79


def _summary(module):
  """The first paragraph of a config file's docstring, on one line."""
  doc = inspect.cleandoc(module.__doc__ or "").split("\n\n")[0]
  return " ".join(doc.split()).rstrip(".")


def _variants(module):
  """What follows `--config=NAME:` for a config file: its `ARGUMENTS`
  (the form of its argument), or its `VARIANTS` by name."""
  if hasattr(module, "ARGUMENTS"):
    return module.ARGUMENTS
  variants = getattr(module, "VARIANTS", None)
  if variants:
    return "variants: " + ", ".join(variants)
  return "no variants"


def list_configs() -> str:
  """Every config by name: what it runs and its variants."""
  lines = ["Configs (--config=NAME[:VARIANT]; --describe_config for one "
           "config's fields):", ""]
  for name in configs.names():
    module = configs.module(name)
    default = configs.DEFAULT.startswith(name + ":")
    lines.append(f"{name}{' (the default: ' + configs.DEFAULT + ')' if default else ''}")
    lines += textwrap.wrap(_summary(module), _WIDTH, initial_indent="    ",
                           subsequent_indent="    ")
    lines += textwrap.wrap(_variants(module), _WIDTH,
                           initial_indent="    ", subsequent_indent="      ")
  return "\n".join(lines)


def argument_help(learner_class: Any) -> dict:
  """`{argument: description}` from the `Args:` sections of a learner's
  class and constructor docstrings, and those of its base classes."""
  found: dict[str, str] = {}
  for cls in learner_class.__mro__:
    for doc in (cls.__doc__, getattr(cls.__init__, "__doc__", None)):
      for name, text in _args_section(doc or "").items():
        found.setdefault(name, text)
  return found


def _args_section(doc):
  """The `name: text` entries of a Google-style docstring's `Args:`."""
  doc = inspect.cleandoc(doc)
  match = re.search(r"^Args:\n(.*?)(?:^\S|\Z)", doc, re.DOTALL | re.MULTILINE)
  if not match:
    return {}
  entries, name = {}, None
  for line in match[1].splitlines():
    entry = re.match(r"^  (\*{0,2}\w+)(?: \([^)]*\))?: ?(.*)$", line)
    if entry:
      name = entry[1].lstrip("*")
      entries[name] = entry[2].strip()
    elif name is not None and line.strip():
      entries[name] += " " + line.strip()
  return entries


def field_descriptions(config: Config) -> dict:
  """`{field: description}` of every field of `config` (None where none
  is written)."""
  learner_help = {}
  if config.get("algorithm") in algorithms.ALGORITHMS:
    learner_help = argument_help(algorithms.ALGORITHMS[config.algorithm])
  described = {}
  for name in experiments.flat_fields(config):
    if name.startswith("learner."):
      described[name] = learner_help.get(name[len("learner."):])
    else:
      described[name] = field_help.FIELDS.get(name)
  return described


def describe(value: str) -> str:
  """One config's fields: `--config` value -> text."""
  name = value.partition(":")[0]
  config = configs.load(value)
  fields = experiments.flat_fields(config)
  descriptions = field_descriptions(config)
  lines = [f"Config {value} (override any field with "
           "--config.FIELD=VALUE):", ""]
  if name in configs.names():
    lines += textwrap.wrap(_summary(configs.module(name)) + ".", _WIDTH)
    lines.append("")
  for field, setting in fields.items():
    lines.append(f"{field} = {setting!r}")
    if descriptions[field]:
      lines += textwrap.wrap(descriptions[field], _WIDTH,
                             initial_indent="    ", subsequent_indent="    ")
  return "\n".join(lines)
