# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The experiment configs, found by name.

`--config=NAME[:ARGS]` names a config of this folder (`glyphs:mtnet,20,1`);
a path to a config file (`my_configs/run.py:variant`) is read as it is.
The path these files had before they moved into the package,
`apps/configs/NAME.py`, still names them.
"""

import difflib
import importlib.util
import os

from kerasmeta import experiments

_HERE = os.path.dirname(os.path.abspath(__file__))
# The config a command without --config runs: MT-net on sinusoids.
DEFAULT = "sinusoid:mtnet"
_LEGACY_FOLDER = os.path.join("apps", "configs")


def names():
  """The configs of this folder, by name."""
  return sorted(name[:-3] for name in os.listdir(_HERE)
                if name.endswith(".py") and name not in (
                    "__init__.py", "common.py", "execution.py"))


def path(name):
  """The file of config `name`."""
  if name not in names():
    raise ValueError(f"Unknown config {name!r}; known: {names()}, or give a "
                     "config file's path.")
  return os.path.join(_HERE, f"{name}.py")


def resolve(value):
  """A `--config` value with a config named by name turned into its path.

  Args:
    value: `NAME[:ARGS]`, `apps/configs/NAME.py[:ARGS]`, or `PATH[:ARGS]`.

  Returns:
    `PATH[:ARGS]`: the value as given where it is a file's path.
  """
  target, separator, arguments = value.partition(":")
  if os.path.isfile(target):
    return value
  if os.path.normpath(os.path.dirname(target)) == _LEGACY_FOLDER and \
      target.endswith(".py"):
    target = os.path.basename(target)[:-3]
  if os.sep in target or "/" in target or target.endswith(".py"):
    raise ValueError(f"No config file {target!r}; configs by name: "
                     f"{names()}.")
  return path(target) + separator + arguments


def _config_position(argv):
  """`(index, prefix)` of the `--config` value in `argv` (`--config=V` or
  `--config V`), or None."""
  found = None
  for index, argument in enumerate(argv):
    if argument.startswith("--config="):
      found = (index, "--config=")
    elif argument == "--config" and index + 1 < len(argv):
      found = (index + 1, "")
  return found


def config_value(argv):
  """The `--config` value of `argv` (`DEFAULT` where there is none)."""
  found = _config_position(argv)
  if found is None:
    return DEFAULT
  index, prefix = found
  return argv[index][len(prefix):]


def resolve_argv(argv):
  """`argv` with its `--config` value resolved (see `resolve`)."""
  argv = list(argv)
  found = _config_position(argv)
  if found is not None:
    index, prefix = found
    argv[index] = prefix + resolve(argv[index][len(prefix):])
  return argv


def module(value):
  """The config file of a `--config` value, read as a module (its
  `get_config`, `VARIANTS` or `ARGUMENTS`, docstring)."""
  target = resolve(value).partition(":")[0]
  spec = importlib.util.spec_from_file_location("kerasmeta_config", target)
  loaded = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(loaded)
  return loaded


def load(value):
  """The config of a `--config` value (`NAME[:ARGS]` or `PATH[:ARGS]`)."""
  arguments = resolve(value).partition(":")[2]
  config_file = module(value)
  return config_file.get_config(arguments) if arguments else \
      config_file.get_config()


def check_overrides(argv):
  """Refuses `--config.FIELD=...` overrides of fields the config lacks,
  naming the near matches (ml_collections' own error names neither).

  Args:
    argv: the command line, its `--config` resolved.

  Raises:
    ValueError: a variant the config file refuses, or an unknown field.
  """
  config = load(config_value(argv))
  known = list(experiments.flat_fields(config))
  for argument in argv:
    if not argument.startswith("--config."):
      continue
    field = argument[len("--config."):].split("=")[0]
    if field not in known:
      near = difflib.get_close_matches(field, known, n=3)
      hint = f"; did you mean {', '.join(near)}?" if near else ""
      raise ValueError(f"Unknown config field {field!r} (in {argument})"
                       f"{hint}")
