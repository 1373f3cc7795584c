# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Interrupting a run: SIGTERM or Ctrl-C stop it at the next call boundary.

Preemptible machines (and `kill`) send SIGTERM some seconds before they
stop a process. The handlers here only record the request: a signal that
arrives while a compiled call runs is answered after the call returns and
its steps are counted, so the checkpoint saved then holds exactly the state
after the step it is named for (a handler that raised would land between
the call's return and the counting of its steps). Calls last about half a
second (`steps.CallSizes`). A second SIGTERM exits at once, even in the
middle of a long compiled call; a second Ctrl-C raises `KeyboardInterrupt`
at once; neither saves.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any, Callable

from absl import logging


class Interrupted(Exception):
  """Raised by the trainer after saving, on SIGTERM."""


class StopRequests:
  """Records SIGTERM and SIGINT while installed (a context manager).

  Attributes:
    received: the first signal's number, or None.
  """

  def __init__(self) -> None:
    self.received = None
    self._uninstall = lambda: None

  def __enter__(self) -> StopRequests:
    try:
      previous = {number: signal.signal(number, self._handle)
                  for number in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread: leave signals alone
      return self
    stop_watching = _watch_for_a_second_sigterm()

    def uninstall():
      stop_watching()
      for number, handler in previous.items():
        signal.signal(number, handler)
    self._uninstall = uninstall
    return self

  def __exit__(self, *exc_info: Any) -> None:
    self._uninstall()

  def _handle(self, number, frame):
    del frame
    if self.received is None:
      self.received = number
      logging.warning("%s: stopping after the current call, with a "
                      "checkpoint (again to stop at once, unsaved).",
                      "Ctrl-C" if number == signal.SIGINT else "SIGTERM")
    elif number == signal.SIGINT:
      raise KeyboardInterrupt  # a second Ctrl-C: now, unsaved

  def raise_if_received(self) -> None:
    """Raises `KeyboardInterrupt` (Ctrl-C) or `Interrupted` (SIGTERM) if a
    stop was requested."""
    if self.received == signal.SIGINT:
      raise KeyboardInterrupt
    if self.received is not None:
      raise Interrupted(f"signal {self.received}")


def _watch_for_a_second_sigterm():
  """Exits the process on a second SIGTERM, even while Python waits for a
  long compiled call (Python runs signal handlers only between bytecodes;
  the wakeup file descriptor, written by the C-level handler at once, lets
  a thread see every SIGTERM as it comes).

  Returns:
    A function that stops watching.
  """
  read_fd, write_fd = os.pipe()
  os.set_blocking(write_fd, False)
  previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)

  def watch():
    count = 0
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
      while received := pipe.read(64):  # b"" once uninstalled
        count += received.count(bytes([signal.SIGTERM]))
        if count >= 2:
          logging.error("Second SIGTERM: exiting now, without saving.")
          os._exit(128 + signal.SIGTERM)  # pylint: disable=protected-access

  threading.Thread(target=watch, daemon=True, name="sigterm").start()

  def stop():
    signal.set_wakeup_fd(previous_fd)
    os.close(write_fd)  # the watcher reads end-of-file and returns
  return stop


class RaiseOnSigterm:
  """While installed (a context manager), SIGTERM raises `Interrupted` at
  once: for work with nothing to save, such as a final evaluation, which
  then ends with one line instead of a silent kill."""

  def __enter__(self) -> RaiseOnSigterm:
    try:
      self._previous = signal.signal(signal.SIGTERM, self._handle)
    except ValueError:  # not the main thread
      self._previous = None
    return self

  def __exit__(self, *exc_info: Any) -> None:
    if self._previous is not None:
      signal.signal(signal.SIGTERM, self._previous)

  @staticmethod
  def _handle(number, frame):
    del frame
    raise Interrupted(f"signal {number}")


def install_sigterm_handler() -> Callable[..., None]:
  """Installs `StopRequests` without a context (for scripts that run one
  long call); returns a function that uninstalls it."""
  requests = StopRequests().__enter__()
  return requests.__exit__
