# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""A run's directory: one trainer at a time, checkpoints that fall back,
settings pinned, nothing already written lost; read by the evaluator and
the exporter without moving or rewriting any of the run's files.

* `Lock`: the OS's exclusive lock (`fcntl.flock`) on `WORKDIR/lock`, held
  for as long as a process writes into the workdir and released by the
  kernel when it ends, however it ends; the file names the holder (host,
  process id, since when) for the refusal's message.
* `restore_newest`: restores the newest checkpoint that restores, found
  from the checkpoint files themselves (the `checkpoint` list may be
  missing or garbled); a checkpoint that does not restore is moved aside
  into `checkpoints/unreadable/`, never deleted.
* `check_config`: refuses a resumed run whose config changes what is
  trained, with a readable diff; keeps every config a run started with in
  `config_history.jsonl`.
* `restore_learner`: a workdir's learner at a checkpoint, for readers
  (evaluation, export), beside a live trainer if need be.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import json
import os
import re
import socket
from typing import Any, Callable, Optional, TYPE_CHECKING, Union

from absl import logging
import tensorflow as tf

from kerasmeta import experiments

if TYPE_CHECKING:
  from kerasmeta._typing import Config

LOCK_NAME = "lock"
UNREADABLE = "unreadable"
# Settings a resumed run may change: how long, how often it logs and
# saves, where its data is cached, how it is executed and evaluated.
RESUMABLE_FIELDS = ("num_meta_steps", "log_every", "checkpoint_every",
                    "max_checkpoints", "eval", "data_dir", "strategy",
                    "num_cpu_devices", "tpu_address", "jit_compile",
                    "steps_per_call")


class WorkdirError(RuntimeError):
  """The workdir cannot be used as asked (locked, mixed, unrecoverable)."""


# ---------------------------------------------------------------- the lock
# This process's locks: path -> [descriptor, holds]. A flock belongs to an
# open file, so the process re-enters its own instead of opening another.
_HELD: dict[str, list] = {}


class Lock:
  """An exclusive OS lock (`fcntl.flock`) on a workdir, held while a
  process writes into it.

  The lock is the kernel's, on the open file `workdir/lock`: it is released
  when the holder ends however it ends (kill -9 included), a stale file is
  never mistaken for a live holder nor a live holder for a stale file, and
  processes that race for it cannot both win. The file names the holder
  (host, pid, start) for the refusal's message. One process may hold it
  again (the app holds it through training and the final evaluation, the
  trainer inside that).

  Args:
    workdir: the directory.

  Raises (on `acquire`):
    WorkdirError: another process holds it, or the workdir cannot be
      locked (read-only).
  """

  def __init__(self, workdir: str) -> None:
    self.path = os.path.join(workdir, LOCK_NAME)
    self.held = False

  def _holder(self):
    try:
      with tf.io.gfile.GFile(self.path) as f:
        return json.loads(f.read())
    except (tf.errors.OpError, ValueError):
      return None

  def acquire(self) -> Lock:
    if "://" in self.path:
      # Object stores have no locks.
      logging.warning("Workdir %s is not local: it cannot be locked; run "
                      "one trainer on it at a time.",
                      os.path.dirname(self.path))
      return self
    key = os.path.realpath(self.path)
    if key in _HELD:  # this process holds it already
      _HELD[key][1] += 1
      self.held = True
      return self
    try:
      descriptor = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as error:
      raise WorkdirError(
          f"Cannot lock workdir {os.path.dirname(self.path)}: "
          f"{error.strerror}. A trainer writes into its workdir: give one "
          "it can write to.") from None
    try:
      fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
      os.close(descriptor)
      holder = self._holder() or {}
      raise WorkdirError(
          f"Workdir {os.path.dirname(self.path)} is in use by process "
          f"{holder.get('pid', '?')} on {holder.get('host', '?')} since "
          f"{holder.get('since', '?')}. Wait for it, or stop it.") from None
    me = {"host": socket.gethostname(), "pid": os.getpid(),
          "since": datetime.datetime.now().isoformat(timespec="seconds")}
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, json.dumps(me).encode(), 0)
    _HELD[key] = [descriptor, 1]
    self.held = True
    return self

  def release(self) -> None:
    if not self.held:
      return
    self.held = False
    key = os.path.realpath(self.path)
    entry = _HELD.get(key)
    if entry is None:
      return
    entry[1] -= 1
    if entry[1] == 0:
      del _HELD[key]
      descriptor = entry[0]
      os.ftruncate(descriptor, 0)  # no holder to name
      fcntl.flock(descriptor, fcntl.LOCK_UN)
      os.close(descriptor)

  def __enter__(self) -> Lock:
    return self.acquire()

  def __exit__(self, *exc_info: Any) -> None:
    self.release()


# ---------------------------------------------------------------- checkpoints
_CHECKPOINT_FILE = re.compile(r"^(?P<prefix>.*-(?P<step>\d+))\.index$")


def checkpoint_paths(directory: str) -> list[str]:
  """The checkpoints in `directory`, from their index files, oldest first.

  The `checkpoint` list file is not read: it may be missing or garbled.
  """
  if not tf.io.gfile.isdir(directory):
    return []
  found = []
  for name in tf.io.gfile.listdir(directory):
    match = _CHECKPOINT_FILE.match(name)
    if match:
      found.append((int(match["step"]),
                    os.path.join(directory, match["prefix"])))
  return [path for _, path in sorted(found)]


def _move_aside(path):
  """Moves a checkpoint's files into `unreadable/` beside it."""
  directory = os.path.dirname(path)
  aside = os.path.join(directory, UNREADABLE)
  tf.io.gfile.makedirs(aside)
  for name in tf.io.gfile.glob(path + ".*"):
    target = os.path.join(aside, os.path.basename(name))
    tf.io.gfile.rename(name, target, overwrite=True)
  return aside


# What reading a truncated, garbled or half-deleted checkpoint raises.
READ_ERRORS = (tf.errors.OpError, ValueError, IndexError)


def _read_whole(path):
  """Reads every tensor of a checkpoint (its checksums are checked), so a
  damaged one is found before anything is restored from it."""
  reader = tf.train.load_checkpoint(path)
  for name in reader.get_variable_to_shape_map():
    reader.get_tensor(name)


def _lists_as_latest(directory, path):
  """Whether the `checkpoint` list file reads and names `path` latest."""
  try:
    state = tf.train.get_checkpoint_state(directory)
  except (tf.errors.OpError, ValueError):  # garbled
    return False
  return state is not None and os.path.basename(
      state.model_checkpoint_path) == os.path.basename(path)


def restore_newest(checkpoint: tf.train.Checkpoint, directory: str,
                   verify: Optional[Callable[[], None]] = None,
                   read_only: bool = False) -> tuple[Optional[str], list[str]]:
  """Restores the newest checkpoint of `directory` that reads whole.

  A checkpoint whose files do not read whole, or that `verify` rejects, is
  moved into `unreadable/` and the one before is tried. An error of the
  restore itself (the checkpoint reads, but does not fit the objects: the
  model changed) is raised as it is: the checkpoints are not at fault.

  Read-only (an evaluator or exporter, perhaps beside a live trainer that
  is writing a checkpoint or rotating old ones out): nothing in the
  directory is moved or written; a checkpoint that does not read whole, or
  whose files vanish while it is read, is passed over for the one before.

  Args:
    checkpoint: a `tf.train.Checkpoint`.
    directory: its directory.
    verify: optional `() -> None` run after a restore; it raises a
      `FloatingPointError` (e.g. on non-finite weights) to reject it.
    read_only: move and write nothing.

  Returns:
    `(path, moved)`: the restored checkpoint's path (None where the
    directory holds none) and the paths moved aside.

  Raises:
    WorkdirError: checkpoints exist but none restores.
  """
  moved: list[str] = []
  paths = checkpoint_paths(directory)
  if read_only:
    return _restore_read_only(checkpoint, paths, verify), moved
  if tf.io.gfile.isdir(directory):
    # Data files whose index is gone: kept aside, so that a new checkpoint
    # of the same number does not overwrite them.
    orphans = {name.split(".data-")[0] for name in tf.io.gfile.listdir(
        directory) if ".data-" in name} - {os.path.basename(p) for p in paths}
    for orphan in sorted(orphans):
      path = os.path.join(directory, orphan)
      logging.warning("Checkpoint %s has data but no index; moved it to %s.",
                      path, _move_aside(path))
      moved.append(path)

  def set_aside(path, error):
    reason = (str(error).strip().splitlines() or [""])[0][:300]
    aside = _move_aside(path)
    moved.append(path)
    logging.warning("Checkpoint %s does not restore (%s: %s); moved it to "
                    "%s and trying the one before.", path,
                    type(error).__name__, reason, aside)

  for path in reversed(paths):
    try:
      _read_whole(path)
    except READ_ERRORS as error:
      set_aside(path, error)
      continue
    # It reads whole: an error here (it does not fit these objects, the
    # model changed) is not the checkpoint's fault, and is raised.
    restore_fitting(checkpoint, path)
    if verify is not None:
      try:
        verify()
      except FloatingPointError as error:
        set_aside(path, error)
        continue
    good = [p for p in paths if p not in moved]
    if moved or not _lists_as_latest(directory, path):
      # The list file re-made from what restores, so that the checkpoint
      # manager rotates these and never starts numbering anew. (Left alone
      # where it is right: an evaluator beside a trainer writes nothing.)
      tf.compat.v1.train.update_checkpoint_state(
          directory, path,
          all_model_checkpoint_paths=good[:good.index(path) + 1])
    if moved:
      logging.warning("Resumed from %s, the newest checkpoint that "
                      "restores.", path)
    return path, moved
  if moved:
    raise WorkdirError(
        f"No checkpoint in {directory} restores; all were moved to "
        f"{os.path.join(directory, UNREADABLE)}. Start afresh in another "
        "workdir (or with restart), or repair them.")
  return None, moved


def is_full_disk(error: BaseException) -> bool:
  """Whether `error` (an `OSError` or a TensorFlow file error) says the
  device is full."""
  if isinstance(error, OSError) and error.errno == errno.ENOSPC:
    return True
  return "No space left on device" in str(error)


def restore_fitting(checkpoint: tf.train.Checkpoint, path: str,
                    partial: bool = False) -> None:
  """Restores `path` into `checkpoint` (`partial`: the checkpoint may hold
  more than `checkpoint` tracks), or raises a `WorkdirError` in one line
  where it does not fit (written by another config or model)."""
  try:
    status = checkpoint.restore(path)
    if partial:
      status = status.expect_partial()
    status.assert_existing_objects_matched()
  except (ValueError, AssertionError, tf.errors.InvalidArgumentError) as error:
    reason = (str(error).strip().splitlines() or [""])[0][:200]
    raise WorkdirError(
        f"Checkpoint {path} does not fit this config's learner ({reason}): "
        "it was written with another config or model. Use the config it "
        "was trained with, or another workdir.") from None


def _restore_read_only(checkpoint, paths, verify):
  """`restore_newest` moving and writing nothing: the restored path."""
  for path in reversed(paths):
    try:
      _read_whole(path)
    except READ_ERRORS as error:
      reason = (str(error).strip().splitlines() or [""])[0][:300]
      logging.warning("Checkpoint %s does not read whole (%s: %s): being "
                      "written or removed by a trainer, or damaged; trying "
                      "the one before.", path, type(error).__name__, reason)
      continue
    try:
      restore_fitting(checkpoint, path, partial=True)
    except tf.errors.NotFoundError:  # rotated out while read
      logging.warning("Checkpoint %s was removed while it was read; trying "
                      "the one before.", path)
      continue
    if verify is not None:
      try:
        verify()
      except FloatingPointError as error:
        logging.warning("Checkpoint %s: %s; trying the one before.", path,
                        error)
        continue
    return path
  if paths:
    raise WorkdirError(f"No checkpoint of {os.path.dirname(paths[0])} "
                       "restores.")
  return None


# What a run writes into its workdir (besides the lock).
RUN_FILES = ("checkpoints", "metrics.jsonl", "metrics.superseded.jsonl",
             "tensorboard", "config.json", "config_history.jsonl",
             "eval.json", "eval.png")


def set_aside(workdir: str) -> Optional[str]:
  """Moves a run's files into `workdir/previous-<time>/`.

  Returns:
    That folder, or None where there was nothing to move.
  """
  present = [name for name in RUN_FILES
             if tf.io.gfile.exists(os.path.join(workdir, name))]
  if not present:
    return None
  stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
  target = os.path.join(workdir, f"previous-{stamp}")
  tf.io.gfile.makedirs(target)
  for name in present:
    tf.io.gfile.rename(os.path.join(workdir, name),
                       os.path.join(target, name))
  return target


# ---------------------------------------------------------------- configs
def config_changes(stored: Any, new: Any) -> list[tuple[str, Any, Any]]:
  """`[(field, stored value, new value)]` of the fields that differ and
  change what is trained (`RESUMABLE_FIELDS` may change)."""
  stored, new = experiments.flat_fields(stored), experiments.flat_fields(new)
  changes = []
  for field in sorted(set(stored) | set(new)):
    if field.split(".")[0] in RESUMABLE_FIELDS:
      continue
    before, after = stored.get(field, "(absent)"), new.get(field, "(absent)")
    if isinstance(before, list):
      before = tuple(before)
    if isinstance(after, list):
      after = tuple(after)
    if before != after:
      changes.append((field, before, after))
  return changes


def last_recorded_config(history_path: str) -> Optional[dict[str, Any]]:
  """The config of the last whole line of `config_history.jsonl` (a dict),
  or None where there is none (a torn last line is passed over)."""
  if not tf.io.gfile.exists(history_path):
    return None
  with tf.io.gfile.GFile(history_path) as f:
    lines = f.read().splitlines()
  for line in reversed(lines):
    try:
      return json.loads(line)["config"]
    except (ValueError, KeyError, TypeError):
      continue
  return None


def check_config(stored: dict[str, Any], new: dict[str, Any]) -> None:
  """Raises a `WorkdirError` with a diff if `new` changes what is trained.

  Args:
    stored: the workdir's config (a dict, as `config.json` holds it).
    new: the config of the run resuming it (a dict).
  """
  changes = config_changes(stored, new)
  if changes:
    lines = "\n".join(f"  {field}: {before!r} -> {after!r}"
                      for field, before, after in changes)
    raise WorkdirError(
        "This workdir was trained with other settings; resuming would mix "
        f"two runs:\n{lines}\nUse another workdir, or the stored values "
        f"(only {', '.join(RESUMABLE_FIELDS)} may change on resume).")


# ---------------------------------------------------------------- readers
def restore_learner(
    workdir: str,
    checkpoint: Optional[Union[str, int]] = None) -> tuple[Config, Any, str]:
  """The learner of a training workdir at its latest (or a named) checkpoint.

  Reads only: nothing in the workdir is moved or written, so it is safe
  beside a live trainer (a checkpoint being written or rotated out is
  passed over for the one before).

  Args:
    workdir: a workdir written by `apps.meta_train`.
    checkpoint: a checkpoint path or number (e.g. 5000), or "best" (the
      best validated one); None: the best validated one where the config
      selects by validation, else the newest that restores (found from
      the checkpoint files, whether or not the `checkpoint` list is there).

  Returns:
    `(config, learner, checkpoint_path)`.
  """
  config = experiments.load_config(workdir)
  learner = experiments.build_learner(config)
  saved = tf.train.Checkpoint(**learner.checkpoint_items())
  directory = os.path.join(workdir, "checkpoints")
  best = os.path.join(directory, "best.json")
  if checkpoint == "best" or (checkpoint is None and config.get(
      "select_checkpoint") and tf.io.gfile.exists(best)):
    if not tf.io.gfile.exists(best):
      raise FileNotFoundError(f"No validated checkpoint in {directory!r}.")
    with tf.io.gfile.GFile(best) as f:
      path = os.path.join(directory, "best",
                          os.path.basename(json.load(f)["path"]))
  elif checkpoint is None:
    path = _restore_read_only(saved, checkpoint_paths(directory), None)
    if path is None:
      raise FileNotFoundError(f"No checkpoint in {directory!r}.")
    return config, learner, path
  elif str(checkpoint).isdigit():
    path = os.path.join(directory, f"ckpt-{checkpoint}")
  else:
    path = str(checkpoint)
  if not tf.io.gfile.exists(path + ".index"):
    raise FileNotFoundError(f"No checkpoint {path!r}.")
  restore_fitting(saved, path, partial=True)
  return config, learner, path
