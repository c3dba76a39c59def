"""The on-disk spool: log batches that could not be written while PostgreSQL was away.

Layout (one directory per writing process, see :class:`Spool`)::

    <base>/slot-<n>/lock                    flock()ed by the process using the slot
    <base>/slot-<n>/<seq:020d>.batch         one batch: {"v": 1, "p": [...], "o": [...], "f": [...]}
    <base>/slot-<n>/<seq:020d>.xid           the PostgreSQL transaction id of a write attempt in flight
    <base>/slot-<n>/rejected.jsonl           rows PostgreSQL refused as invalid (never retried)

A batch file holds the COPY text lines of its predictions (``p``), outcomes (``o``) and feedback
(``f``). It is written to a temporary name, ``fsync``ed, renamed and the directory ``fsync``ed, so a
crash leaves either the whole file or none. Batches are replayed in ``seq`` order, oldest first.

Exactly once: before a batch is committed its transaction id is recorded (``.xid``, durable). If the
outcome of the COMMIT is unknown (connection lost during it, process killed), the next attempt first
asks PostgreSQL ``pg_xact_status(xid)``: ``committed`` → the batch is removed without writing it
again; ``aborted`` (or unknown) → it is written again; ``in progress`` → asked again later.

The spool has a size bound (``max_bytes``). When a batch does not fit, :meth:`Spool.append` returns
False and changes nothing: the caller keeps the rows in memory (see the writer).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import threading
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

__all__ = ["Spool", "SpooledBatch", "SpoolLockedError"]

_log = logging.getLogger("mldeck_backend.spool")
_MAX_SLOTS = 64


class SpoolLockedError(RuntimeError):
    """Every spool slot under the base directory is in use by another process."""


@dataclass
class SpooledBatch:
    """A batch read back from the spool."""

    seq: int
    predictions: List[str]
    outcomes: List[str]
    feedback: List[str]
    xid: Optional[str]
    size: int

    @property
    def rows(self) -> int:
        return len(self.predictions) + len(self.outcomes) + len(self.feedback)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(directory: str, name: str, data: bytes) -> None:
    tmp = os.path.join(directory, f".{name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, os.path.join(directory, name))
    _fsync_dir(directory)


class Spool:
    """A size-bounded, ordered, crash-safe queue of batches in one slot directory.

    The first free ``slot-<n>`` under ``base_dir`` is taken (``flock``), so several processes (e.g.
    web server workers) can share one base directory, and a restarted process takes over the slot,
    and the batches, of one that died. Thread-safe.
    """

    def __init__(self, base_dir: str, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._lock = threading.Lock()
        os.makedirs(base_dir, mode=0o700, exist_ok=True)
        self.directory, self._lock_fd = self._take_slot(base_dir)
        self._files: Dict[int, int] = {}  # seq -> size in bytes
        for name in os.listdir(self.directory):
            if name.endswith(".batch") and name[:-6].isdigit():
                self._files[int(name[:-6])] = os.path.getsize(os.path.join(self.directory, name))
            elif name.endswith(".tmp"):
                os.unlink(os.path.join(self.directory, name))  # a write interrupted by a crash
        for name in os.listdir(self.directory):  # an .xid without its batch: the batch was done
            if name.endswith(".xid") and name[:-4].isdigit() and int(name[:-4]) not in self._files:
                os.unlink(os.path.join(self.directory, name))
        self._next = max(self._files, default=0) + 1
        self._bytes = sum(self._files.values())
        if self._files:
            _log.warning("spool %s holds %d batch(es) (%d bytes) from an earlier run: they are written first",
                         self.directory, len(self._files), self._bytes)

    @staticmethod
    def _take_slot(base_dir: str) -> Tuple[str, int]:
        for n in range(_MAX_SLOTS):
            directory = os.path.join(base_dir, f"slot-{n}")
            os.makedirs(directory, mode=0o700, exist_ok=True)
            fd = os.open(os.path.join(directory, "lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    continue
                raise
            return directory, fd
        raise SpoolLockedError(f"all {_MAX_SLOTS} spool slots under {base_dir} are in use by other processes")

    def close(self) -> None:
        """Releases the slot (the batches stay on disk for the next process)."""
        with self._lock:
            if self._lock_fd >= 0:
                os.close(self._lock_fd)
                self._lock_fd = -1

    # ------------------------------------------------------------------ queue

    @property
    def empty(self) -> bool:
        return not self._files

    def stats(self) -> Tuple[int, int]:
        """(batches, bytes) currently in the spool."""
        with self._lock:
            return len(self._files), self._bytes

    def append(self, predictions: List[str], outcomes: List[str], feedback: List[str],
               xid: Optional[str] = None) -> bool:
        """Stores a batch at the end of the queue; False (nothing written) when it does not fit.

        ``xid`` is given when a COMMIT of these rows was attempted and its outcome is unknown.
        Raises OSError when the disk refuses the write (the caller keeps the rows).
        """
        data = json.dumps({"v": 1, "p": predictions, "o": outcomes, "f": feedback},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with self._lock:
            if self._bytes + len(data) > self.max_bytes:
                return False
            seq = self._next
            self._next += 1
            if xid is not None:
                _write_atomic(self.directory, f"{seq:020d}.xid", xid.encode("ascii"))
            try:
                _write_atomic(self.directory, f"{seq:020d}.batch", data)
            except OSError:
                self._discard_xid(seq)
                raise
            self._files[seq] = len(data)
            self._bytes += len(data)
            return True

    def oldest(self) -> Optional[SpooledBatch]:
        """The oldest batch, or None."""
        with self._lock:
            if not self._files:
                return None
            seq = min(self._files)
            size = self._files[seq]
        with open(os.path.join(self.directory, f"{seq:020d}.batch"), "rb") as f:
            obj = json.loads(f.read().decode("utf-8"))
        xid_path = os.path.join(self.directory, f"{seq:020d}.xid")
        xid = None
        if os.path.exists(xid_path):
            with open(xid_path, "rb") as f:
                xid = f.read().decode("ascii").strip() or None
        return SpooledBatch(seq, obj.get("p", []), obj.get("o", []), obj.get("f", []), xid, size)

    def set_xid(self, seq: int, xid: str) -> None:
        """Records (durably) the transaction about to commit batch ``seq``."""
        _write_atomic(self.directory, f"{seq:020d}.xid", xid.encode("ascii"))

    def clear_xid(self, seq: int) -> None:
        """Forgets the transaction of batch ``seq`` (it is known not to have committed)."""
        self._discard_xid(seq)

    def remove(self, seq: int) -> None:
        """Removes batch ``seq`` (it is in PostgreSQL now): the batch first, then its xid."""
        with self._lock:
            size = self._files.pop(seq, 0)
            self._bytes -= size
        try:
            os.unlink(os.path.join(self.directory, f"{seq:020d}.batch"))
        except FileNotFoundError:
            pass
        _fsync_dir(self.directory)
        self._discard_xid(seq)

    def _discard_xid(self, seq: int) -> None:
        try:
            os.unlink(os.path.join(self.directory, f"{seq:020d}.xid"))
        except FileNotFoundError:
            pass

    def reject(self, table: str, line: str, error: str) -> None:
        """Appends a row PostgreSQL refused as invalid to ``rejected.jsonl`` (kept for a person)."""
        record = json.dumps({"table": table, "line": line, "error": error}, ensure_ascii=False) + "\n"
        with self._lock:
            with open(os.path.join(self.directory, "rejected.jsonl"), "a", encoding="utf-8") as f:
                f.write(record)
                f.flush()
                os.fsync(f.fileno())
