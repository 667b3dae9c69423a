"""One writer per folder: ``ltr train`` holds a lock on its checkpoint folder and ``ltr eval`` on its results
folder, so a second process on the same run is refused instead of mixing its files with the first's.

The lock is ``fcntl.flock`` on ``<folder>.lock`` beside the folder (so the folder itself can be moved aside
while it is held), which also names the holder (PID, host, command). The kernel releases it when the holder dies,
however it dies, so a dead holder's lock is simply taken over (and said so), and the temporary files that
holder left half-written in the folder (``*.<its pid>.tmp``) are removed.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import sys
from pathlib import Path

from ltr_core.errors import UserError

class LockError(UserError):
    """Another live process holds the folder."""


class FolderLock:
    def __init__(self, folder: Path, what: str):
        self.folder, self.what = Path(folder), what
        self.fd: int | None = None
        self.took_over: str = ""       # the previous holder's record when it died holding the lock
        self.removed: list[Path] = []  # the dead holder's temporary files, removed on taking over

    def acquire(self) -> "FolderLock":
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder.with_name(self.folder.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise LockError(f"cannot lock {self.folder} ({e.strerror}): is the folder writable?") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd) or "another process"
            os.close(fd)
            raise LockError(f"{self.folder} is in use by {holder}: one {self.what} at a time writes there. Wait "
                            "for it to finish or stop it, or use another workspace") from None
        previous = _read(fd)
        if previous:
            self.took_over = previous
            self.removed = _remove_leftovers(self.folder, previous)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"PID {os.getpid()} on {socket.gethostname()} ({' '.join(sys.argv)[:200]})\n".encode(), 0)
        except OSError as e:                       # a full disk: the lock's record cannot be written
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise LockError(f"cannot write the lock of {self.folder} ({e.strerror}): free space on that disk and run "
                            "again; nothing was changed") from None
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "FolderLock":
        return self.acquire() if self.fd is None else self

    def __exit__(self, *exc) -> None:
        self.release()


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _remove_leftovers(folder: Path, record: str) -> list[Path]:
    """Delete ``*.<pid>.tmp`` under ``folder`` for the dead holder named in ``record`` (same host only: a PID
    means nothing on another machine). Only files this module's ``tmp_name`` pattern names are touched."""
    m = re.match(r"PID (\d+) on (\S+) ", record)
    if not m or m.group(2) != socket.gethostname() or not folder.is_dir():
        return []
    removed = []
    for leftover in folder.rglob(f"*.{m.group(1)}.tmp"):
        if leftover.is_file() and not leftover.is_symlink():
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


def tmp_name(path: Path) -> Path:
    """A temporary file beside ``path`` that no other process uses: ``<name>.<pid>.tmp``."""
    path = Path(path)
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def remove_dead_leftovers(folder: Path) -> list[Path]:
    """Delete the ``*.<pid>.tmp`` files directly in ``folder`` whose process no longer runs on this host (a
    stopped command's half-written files; a running one's are kept). Returns what was removed."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for leftover in folder.glob("*.tmp"):
        m = re.match(r".*\.(\d+)\.tmp$", leftover.name)
        if not m or not leftover.is_file() or leftover.is_symlink() or _alive(int(m.group(1))):
            continue
        leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:              # another user's process: alive
        pass
    return True
