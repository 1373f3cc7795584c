"""Helpers shared by the scripts that write results tables."""

import json
import os


def training_seconds(workdir):
  """Seconds of meta-training, from the steps/s logged in metrics.jsonl."""
  path = os.path.join(workdir, "metrics.jsonl")
  if not os.path.exists(path):
    return 0.0
  previous, seconds = 0, 0.0
  with open(path) as f:
    for line in f:
      entry = json.loads(line)
      seconds += (entry["step"] - previous) / entry["steps_per_second"]
      previous = entry["step"]
  return seconds


def write_table(path, lines):
  """Writes the Markdown `lines` to `path` and prints them."""
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
  print("\n".join(lines))
