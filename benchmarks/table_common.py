"""Helpers shared by the scripts that write results tables."""

import json
import os
import platform


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


def cpu_model():
  """The CPU's model name (Linux), else what `platform` knows."""
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def reusable_record(path, key, settings):
  """The JSON record at `path` if its `key` equals `settings` (the run was
  made with the same settings), else None."""
  if not os.path.exists(path):
    return None
  with open(path) as f:
    record = json.load(f)
  return record if record.get(key) == settings else None
