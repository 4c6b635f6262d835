"""One run per output directory: a lock file naming the owner's host and pid, with stale-lock detection."""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

from ..errors import InputError

log = logging.getLogger("unfoldnmf")

LOCK_NAME = ".unfoldnmf.lock"
#: The owner touches its lock this often (seconds) ...
HEARTBEAT = 30.0
#: ... so a lock untouched for this long (seconds) is stale even when its host cannot be asked.
STALE_AFTER = 600.0


def _alive(owner: dict, age: float) -> bool:
    """Whether the run that wrote ``owner`` may still be running."""
    if owner.get("host") == socket.gethostname():
        try:
            os.kill(int(owner.get("pid", -1)), 0)
        except ProcessLookupError:
            return False
        except (PermissionError, OverflowError, ValueError):
            return True
        return True
    return age < STALE_AFTER


class OutputLock:
    """``<directory>/.unfoldnmf.lock`` held for the length of a run (a context manager).

    The file holds the owner's host, pid and start time. A lock is stale when its pid is gone
    (same host) or it has not been touched for :data:`STALE_AFTER` seconds (another host: the
    owner refreshes it every :data:`HEARTBEAT` seconds); a stale lock is taken over with a warning.
    """

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / LOCK_NAME
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def owner(self) -> tuple[dict, float] | None:
        """(owner record, seconds since last touched) of the present lock, or None if there is none."""
        try:
            age = time.time() - self.path.stat().st_mtime
            owner = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            owner = {}
            age = 0.0
        return (owner if isinstance(owner, dict) else {}), age

    def check(self) -> None:
        """Refuse (InputError) if a live run holds the lock."""
        present = self.owner()
        if present is not None and _alive(*present):
            owner = present[0]
            raise InputError(
                f"{self.path.parent}: output directory is in use by another run (pid {owner.get('pid', '?')} on host "
                f"{owner.get('host', '?')}, started {owner.get('started', '?')}); if that run is dead, delete {self.path}"
            )

    def acquire(self) -> None:
        """Take the lock, replacing a stale one; InputError if a live run holds it."""
        record = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        fd, tmp = tempfile.mkstemp(prefix=f"{LOCK_NAME}.", suffix=".tmp", dir=self.path.parent)
        try:
            os.chmod(tmp, 0o644)  # readable by whoever is refused, so the message can name the owner
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
            for _ in range(2):
                try:
                    os.link(tmp, self.path)  # atomic, and fails if a lock exists: never a half-written lock
                    break
                except FileExistsError:
                    self.check()
                    owner = (self.owner() or ({}, 0.0))[0]
                    log.warning("taking over stale lock %s (pid %s on host %s is gone)", self.path,
                                owner.get("pid", "?"), owner.get("host", "?"))
                    self.path.unlink(missing_ok=True)
            else:
                self.check()
                raise InputError(f"{self.path}: could not take the output directory's lock")
        finally:
            Path(tmp).unlink(missing_ok=True)
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name="unfoldnmf-lock", daemon=True)
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                os.utime(self.path)
            except OSError:
                return

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._beat is None:
            return
        self._stop.set()
        self._beat.join()
        self._beat = None
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
