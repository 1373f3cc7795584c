"""Interrupting a run: SIGTERM checkpoints and exits, a second exits now.

Preemptible machines (and `kill`) send SIGTERM some seconds before they
stop a process; the trainer saves a checkpoint after the current step and
returns, so nothing but the step in flight is lost.
"""

import os
import signal
import threading

from absl import logging


class Interrupted(Exception):
  """Raised inside the training loop on SIGTERM, to checkpoint and exit."""


def install_sigterm_handler():
  """SIGTERM raises `Interrupted` (a checkpoint is saved); a second SIGTERM
  exits at once, even in the middle of a long compiled step.

  Python runs signal handlers only between steps; the signal's wakeup file
  descriptor (written by the C-level handler at once) lets a watcher
  thread see every SIGTERM as it comes.

  Returns:
    A function that restores what was installed before.
  """
  def handler(signum, frame):
    del frame
    raise Interrupted(f"signal {signum}")
  try:
    previous = signal.signal(signal.SIGTERM, handler)
  except ValueError:  # not the main thread: leave signals alone
    return lambda: None
  read_fd, write_fd = os.pipe()
  os.set_blocking(write_fd, False)
  previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)

  def watch():
    count = 0
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
      while received := pipe.read(64):  # b"" once uninstalled
        new = received.count(bytes([signal.SIGTERM]))
        if new and count == 0:
          logging.warning("SIGTERM: saving a checkpoint after the current "
                          "step (a second SIGTERM exits at once).")
        count += new
        if count >= 2:
          logging.error("Second SIGTERM: exiting now, without saving.")
          os._exit(128 + signal.SIGTERM)  # pylint: disable=protected-access

  threading.Thread(target=watch, daemon=True, name="sigterm").start()

  def uninstall():
    signal.set_wakeup_fd(previous_fd)
    signal.signal(signal.SIGTERM, previous)
    os.close(write_fd)  # the watcher reads end-of-file and returns
  return uninstall
