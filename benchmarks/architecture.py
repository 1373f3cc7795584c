# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Figures of kerasmeta's structure, read from the source with `ast`.

    python benchmarks/architecture.py            # the figures
    python benchmarks/architecture.py --modules  # and a line per module:
                                                 # its size and summary

Prints: import circles between modules (package `__init__` files, which
only re-export, left out), arrows up the house (a module importing one on a
higher floor, `FLOORS`), private names imported across modules,
`isinstance` dispatch on learner classes in `training/` and the exporters,
learner attributes that `training/` reads and `MetaLearner` does not
declare, functions longer than 60 lines (docstrings not counted), and the
size of `training/`. Runs in about a second; imports nothing of kerasmeta.
"""

import argparse
import ast
import collections
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "kerasmeta")

# The house, ground floor first: a module may import from its own floor
# and those below. Modules not listed are on the top floor.
FLOORS = (
    # tensors and weights
    ("philox", "sampling", "functional", "losses", "distribute",
     "precision"),
    # the structures of the papers, inner loops, tasks, environments
    ("layers", "inner", "tasks", "envs", "models", "batched"),
    # the learners
    ("algorithms", "rl", "ewc", "few_shot_baselines"),
    # evaluators, and experiments built from configs
    ("evaluation", "evaluators", "experiments", "plotting", "workdir"),
    # what runs and serves them
    ("training", "export", "meta_model", "pretraining", "testing",
     "learned_optimizer"),
)



def _declared():
  """`TRAINER_MEMBERS` of kerasmeta/algorithms/base.py, read with `ast`."""
  path = os.path.join(ROOT, "algorithms", "base.py")
  with open(path) as f:
    tree = ast.parse(f.read())
  for node in tree.body:
    if isinstance(node, ast.Assign) and any(
        getattr(target, "id", None) == "TRAINER_MEMBERS"
        for target in node.targets):
      return set(ast.literal_eval(node.value.args[0]))
  raise ValueError(f"No TRAINER_MEMBERS in {path}.")


# What `MetaLearner` declares the trainer may read.
DECLARED = _declared()

LONG_FUNCTION = 60


def modules():
  """`{dotted name: (path, ast tree)}` of every module of kerasmeta."""
  found = {}
  for directory, _, files in os.walk(ROOT):
    for file in sorted(files):
      if file.endswith(".py"):
        path = os.path.join(directory, file)
        relative = os.path.relpath(path, os.path.join(ROOT, ".."))
        name = relative[:-3].replace(os.sep, ".")
        with open(path, encoding="utf-8") as source:
          found[name] = (path, ast.parse(source.read()))
  return found


def _is_package(name, found):
  return name.endswith(".__init__") or f"{name}.__init__" in found


def _module_of(name, found):
  """The module a dotted import name refers to (a package's `__init__`)."""
  if name in found:
    return name
  if f"{name}.__init__" in found:
    return f"{name}.__init__"
  return None


def _type_checking_only(tree):
  """The ids of the nodes under `if TYPE_CHECKING:`: imports for the type
  checker, which the program never runs."""
  skipped = set()
  for node in ast.walk(tree):
    if isinstance(node, ast.If) and (
        getattr(node.test, "id", None) == "TYPE_CHECKING" or
        getattr(node.test, "attr", None) == "TYPE_CHECKING"):
      for statement in node.body:
        skipped |= {id(inner) for inner in ast.walk(statement)}
  return skipped


def imports(found):
  """`{module: {imported module: [imported names]}}` within kerasmeta, as
  the program runs them (not those under `if TYPE_CHECKING:`)."""
  graph = collections.defaultdict(lambda: collections.defaultdict(list))
  for name, (_, tree) in found.items():
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
      if id(node) in skipped:
        continue
      if isinstance(node, ast.ImportFrom) and node.module and \
          node.module.startswith("kerasmeta"):
        for alias in node.names:
          target = _module_of(f"{node.module}.{alias.name}", found)
          if target is None:
            target = _module_of(node.module, found)
            graph[name][target].append(alias.name)
          else:
            graph[name][target].append("")
      elif isinstance(node, ast.Import):
        for alias in node.names:
          target = _module_of(alias.name, found)
          if target is not None:
            graph[name][target].append("")
  return graph


def circles(graph, found):
  """Strongly connected sets of two or more modules (packages left out)."""
  nodes = [n for n in found if not _is_package(n, found)]
  edges = {n: [m for m in graph.get(n, {}) if m in nodes and m != n]
           for n in nodes}
  index, low, stack, on_stack, result = {}, {}, [], set(), []

  def visit(node):
    index[node] = low[node] = len(index)
    stack.append(node)
    on_stack.add(node)
    for other in edges[node]:
      if other not in index:
        visit(other)
        low[node] = min(low[node], low[other])
      elif other in on_stack:
        low[node] = min(low[node], index[other])
    if low[node] == index[node]:
      component = []
      while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == node:
          break
      if len(component) > 1:
        result.append(sorted(component))

  for node in nodes:
    if node not in index:
      visit(node)
  return result


def floor(module):
  top = module.split(".")[1] if "." in module else module
  top = top.replace("__init__", "")
  for level, names in enumerate(FLOORS):
    if top in names:
      return level
  return len(FLOORS)


def arrows_up(graph):
  return sorted((source, target) for source, targets in graph.items()
                for target in targets
                if not source.endswith("__init__")
                and floor(target) > floor(source))


def private_imports(graph, found):
  """`(module, imported module, name)` of `_private` names imported from
  other modules, or read from them as `module._name`."""
  found_private = [(source, target, name)
                   for source, targets in graph.items()
                   for target, names in targets.items()
                   for name in names
                   if name.startswith("_") and not name.endswith("__")]
  for source, (_, tree) in found.items():
    aliases = {}
    for node in ast.walk(tree):
      if isinstance(node, ast.ImportFrom) and node.module and \
          node.module.startswith("kerasmeta"):
        for alias in node.names:
          target = _module_of(f"{node.module}.{alias.name}", found)
          if target is not None:
            aliases[alias.asname or alias.name] = target
    for node in ast.walk(tree):
      if isinstance(node, ast.Attribute) and isinstance(
          node.value, ast.Name) and node.value.id in aliases and \
          node.attr.startswith("_") and not node.attr.startswith("__"):
        found_private.append((source, aliases[node.value.id], node.attr))
  return sorted(set(found_private))


def learner_classes(found):
  """Class names defined in `kerasmeta.algorithms`."""
  return {node.name for name, (_, tree) in found.items()
          if name.startswith("kerasmeta.algorithms.")
          for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


def _in_dispatchers(name):
  return name.startswith("kerasmeta.training.") or \
      name.startswith("kerasmeta.export")


def isinstance_dispatch(found):
  classes = learner_classes(found) - {"MetaLearner", "MetaGradients",
                                      "StepContext"}
  hits = []
  for name, (path, tree) in found.items():
    if not _in_dispatchers(name):
      continue
    for node in ast.walk(tree):
      if isinstance(node, ast.Call) and getattr(node.func, "id", None) == \
          "isinstance" and len(node.args) == 2:
        names = {getattr(n, "attr", getattr(n, "id", None))
                 for n in ast.walk(node.args[1])}
        if names & classes:
          hits.append(f"{os.path.relpath(path, ROOT)}:{node.lineno}")
  return hits


def undeclared_reads(found):
  """`learner.X` in `training/` where `MetaLearner` does not declare X."""
  hits = []
  for name, (path, tree) in found.items():
    if not name.startswith("kerasmeta.training."):
      continue
    for node in ast.walk(tree):
      if isinstance(node, ast.Attribute) and isinstance(
          node.value, (ast.Name, ast.Attribute)) and (
              getattr(node.value, "id", None) == "learner" or
              getattr(node.value, "attr", None) == "learner") and \
          node.attr not in DECLARED:
        hits.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} "
                    f"learner.{node.attr}")
  return hits


def long_functions(found):
  hits = []
  for _, (path, tree) in found.items():
    for node in ast.walk(tree):
      if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        length = node.end_lineno - node.lineno + 1
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(
            getattr(body[0], "value", None), ast.Constant) and isinstance(
                body[0].value.value, str):
          length -= body[0].end_lineno - body[0].lineno + 1
        if length > LONG_FUNCTION:
          hits.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} "
                      f"{node.name} ({length} lines)")
  return hits


def lines_of(found, prefix):
  total = 0
  for name, (path, _) in found.items():
    if name.startswith(prefix):
      with open(path, encoding="utf-8") as source:
        total += sum(1 for _ in source)
  return total


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--modules", action="store_true",
                      help="also list every module with its size")
  options = parser.parse_args()
  found = modules()
  graph = imports(found)
  report = {
      "import circles": circles(graph, found),
      "arrows up": arrows_up(graph),
      "private names imported across modules": private_imports(graph, found),
      "isinstance dispatch on learners in training/ and export":
          isinstance_dispatch(found),
      "undeclared learner attributes read by training/":
          undeclared_reads(found),
      f"functions over {LONG_FUNCTION} lines": long_functions(found),
  }
  for title, items in report.items():
    print(f"{title}: {len(items)}")
    for item in items:
      print(f"  {item}")
  print(f"lines in training/: {lines_of(found, 'kerasmeta.training.')}")
  if options.modules:
    for name, (path, tree) in sorted(found.items()):
      with open(path, encoding="utf-8") as source:
        count = sum(1 for _ in source)
      summary = (ast.get_docstring(tree) or "").strip().split("\n")[0]
      print(f"{name} ({count} lines): {summary}")


if __name__ == "__main__":
  main()
