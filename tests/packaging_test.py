# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""What `pip install` puts into site-packages, and the console scripts."""

import ast
import glob
import importlib.util
import os
import subprocess
import sys
import zipfile

import pytest

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


HEADER = ("# Copyright 2026 The kerasmeta Authors.\n"
          "# SPDX-License-Identifier: Apache-2.0\n")


def test_every_source_file_carries_the_licence_header():
  # The header policy of CONTRIBUTING.md: Apache-2.0 by SPDX identifier.
  missing = []
  for folder in ("kerasmeta", "apps", "export", "tests", "benchmarks",
                 "examples", "docs"):
    for directory, _, files in os.walk(os.path.join(ROOT, folder)):
      for name in files:
        path = os.path.join(directory, name)
        if name.endswith(".py") and os.path.getsize(path):
          with open(path, encoding="utf-8") as f:
            if not f.read(len(HEADER)) == HEADER:
              missing.append(os.path.relpath(path, ROOT))
  missing += [name for name in ("setup.py",) if
              open(os.path.join(ROOT, name)).read(len(HEADER)) != HEADER]
  assert not missing, f"no licence header: {missing}"


@pytest.mark.slow
def test_the_release_builds_and_passes_twine_check(tmp_path):
  # What publishing needs: an sdist and a wheel (built here without
  # fetching build dependencies), their metadata valid for PyPI.
  subprocess.run([sys.executable, "-m", "build", "--no-isolation",
                  "--outdir", str(tmp_path), ROOT], check=True,
                 capture_output=True)
  built = sorted(glob.glob(str(tmp_path / "kerasmeta-*")))
  assert [os.path.basename(p).split("-")[1].replace(".tar.gz", "")
          for p in built] == [
      _version()] * 2, built
  checked = subprocess.run([sys.executable, "-m", "twine", "check",
                            "--strict", *built], capture_output=True,
                           text=True)
  assert checked.returncode == 0, checked.stdout + checked.stderr
  wheel, = [p for p in built if p.endswith(".whl")]
  names = zipfile.ZipFile(wheel).namelist()
  assert any(name.endswith("dist-info/licenses/LICENSE") or
             name.endswith("dist-info/LICENSE") for name in names), names
  assert {name.split("/")[0] for name in names
          if not ".dist-info" in name} == {"kerasmeta"}


def _version():
  with open(os.path.join(ROOT, "kerasmeta", "version.py")) as f:
    return f.read().split('__version__ = "')[1].split('"')[0]


def test_the_version_is_one_number_everywhere():
  import kerasmeta  # pylint: disable=g-import-not-at-top
  assert kerasmeta.__version__ == _version() == _distribution().get_version()
  with open(os.path.join(ROOT, "CHANGELOG.md")) as f:
    assert f"## {_version()}" in f.read()
  with open(os.path.join(ROOT, "CITATION.cff")) as f:
    assert f'version: "{_version()}"' in f.read()
