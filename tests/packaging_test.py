"""What `pip install` puts into site-packages, and the console scripts."""

import ast
import importlib.util
import os

import setuptools  # pylint: disable=unused-import  (its distutils)
from distutils import core  # pylint: disable=g-import-not-at-top

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _distribution():
  cwd = os.getcwd()
  os.chdir(ROOT)
  try:
    return core.run_setup("setup.py", stop_after="init")
  finally:
    os.chdir(cwd)


def test_only_the_kerasmeta_namespace_is_installed():
  packages = _distribution().packages
  assert "kerasmeta.apps" in packages and "kerasmeta.apps.configs" in packages
  assert {package.split(".")[0] for package in packages} == {"kerasmeta"}


def test_console_scripts_name_the_apps_entry_points():
  scripts = _distribution().entry_points["console_scripts"]
  names = []
  for script in scripts:
    name, target = (part.strip() for part in script.split("="))
    module, function = target.split(":")
    # Read, not imported: each app defines its absl flags at import.
    with open(importlib.util.find_spec(module).origin) as f:
      tree = ast.parse(f.read())
    assert function in [node.name for node in tree.body
                        if isinstance(node, ast.FunctionDef)], script
    names.append(name)
  assert sorted(names) == ["kerasmeta-evaluate", "kerasmeta-export",
                           "kerasmeta-train"]
