"""One run per output directory: a lock file naming the owner's host and pid, with stale-lock detection."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from pathlib import Path

from ..errors import InputError
from .writing import temporary_path

log = logging.getLogger("unfoldnmf")

LOCK_NAME = ".unfoldnmf.lock"
#: The owner touches its lock this often (seconds) ...
HEARTBEAT = 30.0
#: ... so a lock untouched for this long (seconds) is stale even when its host cannot be asked.
STALE_AFTER = 600.0


def _identity(status: os.stat_result) -> tuple[int, int]:
    """What tells one lock file from another that replaced or refreshed it."""
    return status.st_ino, status.st_mtime_ns


def _slurm_job() -> str | None:
    """This process's SLURM job id (the same after a requeue), or None outside SLURM."""
    return os.environ.get("SLURM_JOB_ID") or None


def _alive(owner: dict, age: float) -> bool:
    """Whether the run that wrote ``owner`` may still be running."""
    same_host = owner.get("host") == socket.gethostname()
    if same_host:
        try:
            os.kill(int(owner.get("pid", -1)), 0)
        except ProcessLookupError:
            return False
        except (PermissionError, OverflowError, ValueError):
            return True
        return True
    if _slurm_job() is not None and owner.get("slurm_job") == _slurm_job():
        return False  # this job was requeued onto another node: the lock is its own earlier run's
    return age < STALE_AFTER


class OutputLock:
    """``<directory>/.unfoldnmf.lock`` held for the length of a run (a context manager).

    The file holds the owner's host, pid, start time and SLURM job id. A lock is stale when its pid
    is gone (same host), it belongs to this very SLURM job (a requeue onto another node), or it has
    not been touched for :data:`STALE_AFTER` seconds (another host: the owner refreshes it every
    :data:`HEARTBEAT` seconds); an unreadable lock ages like any other. A stale lock is taken over
    with a warning, atomically: of several runs that judge the same lock stale, one takes it.
    With ``takeover`` every lock counts as stale: the user says its owner is dead.
    """

    def __init__(self, directory: str | Path, takeover: bool = False):
        self.path = Path(directory) / LOCK_NAME
        self.takeover = takeover
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def owner(self) -> tuple[dict, float] | None:
        """(owner record, seconds since last touched) of the present lock, or None if there is none."""
        present = self._read()
        return None if present is None else present[:2]

    def _read(self) -> tuple[dict, float, tuple[int, int]] | None:
        """(owner record, age in seconds, identity: inode and modification time) of the present lock;
        {} for a record that cannot be read."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return None
        try:
            owner = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            owner = {}
        return (owner if isinstance(owner, dict) else {}), time.time() - status.st_mtime, _identity(status)

    def check(self) -> None:
        """Refuse (InputError) if a live run holds the lock."""
        present = self.owner()
        if present is not None and not self.takeover and _alive(*present):
            owner = present[0]
            raise InputError(
                f"{self.path.parent}: output directory is in use by another run (pid {owner.get('pid', '?')} on host "
                f"{owner.get('host', '?')}, started {owner.get('started', '?')}); "
                f"if that run is dead, delete {self.path}"
            )

    def acquire(self) -> None:
        """Take the lock, replacing a stale one; InputError if a live run holds it."""
        record = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                  "slurm_job": _slurm_job()}
        tmp = temporary_path(self.path)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.chmod(tmp, 0o644)  # readable by whoever is refused, so the message can name the owner
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
            for _ in range(3):
                try:
                    os.link(tmp, self.path)  # atomic, and fails if a lock exists: never a half-written lock
                    break
                except FileExistsError:
                    self._remove_stale()
            else:
                self.check()
                raise InputError(f"{self.path}: could not take the output directory's lock")
        finally:
            Path(tmp).unlink(missing_ok=True)
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name="unfoldnmf-lock", daemon=True)
        self._beat.start()

    def _remove_stale(self) -> None:
        """Remove the present lock if it is stale (InputError if it is live). It is first renamed to a
        name of this process's own and removed only if that is the very file judged stale, so a
        fresh lock that another run took in between is put back, never deleted."""
        present = self._read()
        if present is None:
            return
        owner, age, identity = present
        if not self.takeover and _alive(owner, age):
            self.check()
        moved = self.path.with_name(f"{LOCK_NAME}.{socket.gethostname()}.{os.getpid()}.stale")
        try:
            os.rename(self.path, moved)
        except FileNotFoundError:
            return  # another run removed it first
        if _identity(moved.stat()) != identity:  # a fresh lock, taken (or touched) since we looked: give it back
            try:
                os.link(moved, self.path)
            except FileExistsError:
                pass  # a third run already holds the lock; the check below names it
            finally:
                moved.unlink(missing_ok=True)
            self.check()
            return
        moved.unlink()
        log.warning("taking over %s lock %s (pid %s on host %s)", "the" if self.takeover else "stale", self.path,
                    owner.get("pid", "?"), owner.get("host", "?"))

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
