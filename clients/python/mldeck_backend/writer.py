"""Batched logging of predictions, outcomes and feedback (``resources/contract/logging.md``).

The request path appends a tuple to a bounded in-memory buffer (:meth:`LogWriter.append`, about a
microsecond). A background thread drains it: every ``batch_rows`` rows or every ``flush_interval_s``
it encodes a batch into COPY text and writes it in ONE transaction (predictions, then outcomes,
then feedback, each with one ``COPY ... FROM STDIN``), so a batch and its KPI aggregate changes
(statement triggers, ``resources/contract/kpi.md``) commit together or not at all.

When PostgreSQL cannot be reached the batch goes to the on-disk :class:`~mldeck_backend.spool.Spool`;
while the spool holds anything, new batches are appended behind it, and once PostgreSQL answers the
spool is replayed oldest first before anything newer: rows arrive in order, once (a COMMIT whose
outcome was lost is resolved with ``pg_xact_status``, see spool.py).

Bounds and what is counted (``LogWriter.counters()``):

* buffer full (``buffer_rows``): ``append`` refuses the row and returns False → ``dropped_buffer_full``;
* spool full (``spool_max_bytes``): the batch stays in memory (``spool_full_events`` counts each time
  a batch did not fit), so the buffer fills and then new rows are refused as above; nothing already
  accepted into the spool is ever dropped;
* at :meth:`LogWriter.close` rows that fit neither in PostgreSQL nor in the spool are lost and
  counted in ``dropped_at_close`` (logged as an error);
* rows that cannot be stored at all (text with NUL, invalid UTF-8) → ``rejected_invalid``;
  rows PostgreSQL refuses as invalid (a CHECK, a value out of range) are isolated by writing that
  batch again in one transaction, each row under its own SAVEPOINT; the refused rows are rolled back
  to their savepoint, appended to ``rejected.jsonl`` in the spool and counted in
  ``rejected_by_server``; the rest of the batch commits.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from datetime import date
from typing import Callable, Deque, Dict, List, Optional, Tuple

import psycopg

from . import copytext
from .spool import Spool

__all__ = ["LogWriter", "WriterConfig"]

_log = logging.getLogger("mldeck_backend.writer")

# Row kinds in the buffer.
_P, _O, _F = 0, 1, 2
_TABLES = {_P: "mldeck.predictions", _O: "mldeck.outcomes", _F: "mldeck.feedback"}


class _NotCommitted(Exception):
    """The batch is certainly not in PostgreSQL (failed before COMMIT was sent)."""

    def __init__(self, cause: BaseException, connection_lost: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.connection_lost = connection_lost


class _InDoubt(Exception):
    """COMMIT was sent but its outcome is unknown; ``xid`` tells PostgreSQL's answer later."""

    def __init__(self, cause: BaseException, xid: str) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.xid = xid


class WriterConfig:
    """Settings of the log writer (see :class:`mldeck_backend.ClientConfig` for their meaning)."""

    def __init__(self, pg_url: str, spool_dir: str, *, batch_rows: int = 1000, flush_interval_s: float = 1.0,
                 buffer_rows: int = 200_000, spool_max_bytes: int = 1 << 30, reconnect_max_s: float = 5.0,
                 connect_timeout_s: int = 5, application_name: str = "mldeck-backend") -> None:
        if batch_rows < 1 or buffer_rows < batch_rows:
            raise ValueError("batch_rows must be >= 1 and buffer_rows >= batch_rows")
        self.pg_url = pg_url
        self.spool_dir = spool_dir
        self.batch_rows = int(batch_rows)
        self.flush_interval_s = float(flush_interval_s)
        self.buffer_rows = int(buffer_rows)
        self.spool_max_bytes = int(spool_max_bytes)
        self.reconnect_max_s = float(reconnect_max_s)
        self.connect_timeout_s = int(connect_timeout_s)
        self.application_name = application_name


def _is_connection_error(e: BaseException, conn: Optional[psycopg.Connection]) -> bool:
    if isinstance(e, (psycopg.OperationalError, psycopg.InterfaceError, OSError)):
        return True
    return conn is None or conn.closed or conn.broken


def _is_data_error(e: BaseException) -> bool:
    """The rows themselves are refused (SQLSTATE class 22 data exception, 23 integrity violation)."""
    sqlstate = getattr(e, "sqlstate", None) or ""
    return sqlstate.startswith("22") or sqlstate.startswith("23")


class LogWriter:
    """The buffer, the writer thread and the spool. Thread-safe; one per client."""

    def __init__(self, config: WriterConfig) -> None:
        self._cfg = config
        self._spool = Spool(config.spool_dir, config.spool_max_bytes)
        self._buffer: Deque[tuple] = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._stopping = False
        self._close_deadline = 0.0
        self._thread: Optional[threading.Thread] = None
        self._conn: Optional[psycopg.Connection] = None
        self._next_connect = 0.0
        self._backoff = 0.25
        self._partitions_day: Optional[date] = None
        self._c: Dict[str, object] = {
            "predictions_written": 0, "outcomes_written": 0, "feedback_written": 0, "batches_written": 0,
            "spooled_batches": 0, "spooled_rows": 0, "replayed_batches": 0, "replayed_rows": 0,
            "in_doubt_committed": 0, "in_doubt_rewritten": 0,
            "dropped_buffer_full": 0, "dropped_at_close": 0, "rejected_invalid": 0, "rejected_by_server": 0,
            "spool_full_events": 0, "last_error": "", "pg_unreachable_since": None,
        }
        self._spool_full = False
        self._spool_full_warned = False

    # ------------------------------------------------------------------ request path

    def append(self, row: tuple) -> bool:
        """Queues one row (a tuple whose first element is its kind); False when the buffer is full."""
        with self._lock:
            n = len(self._buffer)
            if n >= self._cfg.buffer_rows or (self._stopping and self._thread is None):
                self._c["dropped_buffer_full"] += 1  # type: ignore[operator]
                return False
            self._buffer.append(row)
            if n + 1 == self._cfg.batch_rows:
                self._wake.notify()
            return True

    def count_rejected(self) -> None:
        """Counts a row refused before it reached the buffer (invalid arguments)."""
        with self._lock:
            self._c["rejected_invalid"] += 1  # type: ignore[operator]

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        """Starts the writer thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="mldeck-log-writer", daemon=True)
            self._thread.start()

    def flush(self, timeout: float) -> bool:
        """Asks for an immediate write of everything buffered and waits until the buffer is empty
        (written, or spooled) for up to ``timeout`` seconds; True when it emptied."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._flush_requested = True
            self._wake.notify()
        while time.monotonic() < deadline:
            with self._lock:
                if not self._buffer and not self._busy:
                    return True
            time.sleep(0.005)
        return False

    def close(self, timeout: float = 10.0) -> None:
        """Writes (or spools) everything buffered, then stops the thread and releases the spool."""
        with self._lock:
            self._stopping = True
            self._close_deadline = time.monotonic() + timeout
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout + 5.0)
            if self._thread.is_alive():
                _log.error("the log writer did not stop within %.1f s", timeout + 5.0)
                return
        with self._lock:
            left = len(self._buffer)
            if left:
                self._c["dropped_at_close"] += left  # type: ignore[operator]
                self._buffer.clear()
        if left:
            _log.error("%d log rows lost at close: PostgreSQL unreachable and the spool full (%s)",
                       left, self._spool.directory)
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
        self._spool.close()
        self._thread = None

    def counters(self) -> Dict[str, object]:
        """A snapshot of the counters (see the module docstring), plus buffer and spool sizes."""
        with self._lock:
            out = dict(self._c)
            out["buffered"] = len(self._buffer)
        files, size = self._spool.stats()
        out["spool_batches"] = files
        out["spool_bytes"] = size
        out["spool_dir"] = self._spool.directory
        return out

    # ------------------------------------------------------------------ writer thread

    _flush_requested = False
    _busy = False

    def _loop(self) -> None:
        last_flush = time.monotonic()
        while True:
            with self._lock:
                while True:
                    now = time.monotonic()
                    due = (len(self._buffer) >= self._cfg.batch_rows or self._stopping or self._flush_requested
                           or now - last_flush >= self._cfg.flush_interval_s)
                    if due:
                        break
                    self._wake.wait(max(0.001, self._cfg.flush_interval_s - (now - last_flush)))
                stopping = self._stopping
                self._flush_requested = False
                self._busy = True
            try:
                self._cycle(final=stopping)
            except Exception:  # never let the thread die: rows stay buffered
                _log.exception("log writer cycle failed")
                time.sleep(0.5)
            finally:
                with self._lock:
                    self._busy = False
            last_flush = time.monotonic()
            if stopping:
                with self._lock:
                    left = len(self._buffer)
                # The final cycle writes or spools everything unless the spool is full.
                if left == 0 or self._spool_full or time.monotonic() > self._close_deadline:
                    return

    def _take(self, n: int) -> List[tuple]:
        with self._lock:
            k = min(n, len(self._buffer))
            return [self._buffer.popleft() for _ in range(k)]

    def _put_back(self, rows: List[tuple]) -> None:
        with self._lock:
            self._buffer.extendleft(reversed(rows))

    def _cycle(self, final: bool) -> None:
        conn = self._connection()
        if conn is not None and not self._spool.empty:
            if not self._drain_spool(conn):
                conn = None
        self._spool_full = False
        while True:
            with self._lock:
                n = len(self._buffer)
            if n == 0:
                return
            rows = self._take(self._cfg.batch_rows)
            p, o, f = self._encode(rows)
            if not (p or o or f):
                continue
            if conn is not None and self._spool.empty:
                try:
                    rp, ro, rf = self._write(conn, p, o, f, None)
                    self._count_written(len(p) - rp, len(o) - ro, len(f) - rf, replay=False)
                    continue
                except _InDoubt as e:
                    self._note_error(e.cause)
                    self._drop_connection()
                    conn = None
                    if not self._to_spool(p, o, f, e.xid):
                        self._put_back(rows)
                        return
                    continue
                except _NotCommitted as e:
                    self._note_error(e.cause)
                    self._drop_connection()
                    conn = None
            if not self._to_spool(p, o, f, None):
                self._put_back(rows)
                return
            if not final and len(rows) < self._cfg.batch_rows:
                return

    # ------------------------------------------------------------------ encoding

    def _encode(self, rows: List[tuple]) -> Tuple[List[str], List[str], List[str]]:
        p: List[str] = []
        o: List[str] = []
        f: List[str] = []
        rejected = 0
        for row in rows:
            try:
                kind = row[0]
                if kind == _P:
                    line = copytext.prediction_line(*row[1:])
                    target = p
                elif kind == _O:
                    line = copytext.outcome_line(*row[1:])
                    target = o
                else:
                    line = copytext.feedback_line(*row[1:])
                    target = f
                if "\x00" in line:
                    raise ValueError("text contains NUL, which PostgreSQL text cannot store")
                line.encode("utf-8")  # lone surrogates cannot be stored either
                target.append(line)
            except Exception as e:
                rejected += 1
                if rejected <= 3:
                    _log.warning("log row refused (%s): %r", e, row[:9])
        if rejected:
            with self._lock:
                self._c["rejected_invalid"] += rejected  # type: ignore[operator]
        return p, o, f

    # ------------------------------------------------------------------ PostgreSQL

    def _connection(self) -> Optional[psycopg.Connection]:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            self._ensure_partitions(conn)
            return self._conn
        now = time.monotonic()
        if now < self._next_connect:
            return None
        try:
            conn = psycopg.connect(self._cfg.pg_url, autocommit=False, connect_timeout=self._cfg.connect_timeout_s,
                                   application_name=self._cfg.application_name, keepalives=1, keepalives_idle=5,
                                   keepalives_interval=2, keepalives_count=3, tcp_user_timeout=15000)
        except Exception as e:
            self._note_error(e)
            self._next_connect = now + self._backoff
            self._backoff = min(self._backoff * 2, self._cfg.reconnect_max_s)
            return None
        self._conn = conn
        self._backoff = 0.25
        self._partitions_day = None
        with self._lock:
            since = self._c["pg_unreachable_since"]
            self._c["pg_unreachable_since"] = None
            self._c["last_error"] = ""
        if since is not None:
            _log.info("PostgreSQL reachable again (unreachable since %s)",
                      time.strftime("%H:%M:%S", time.localtime(since)))  # type: ignore[arg-type]
        self._ensure_partitions(conn)
        return self._conn if self._conn is not None else None

    def _ensure_partitions(self, conn: psycopg.Connection) -> None:
        """logging.md rule 4: at start and once a day, make the coming days' partitions."""
        today = date.today()
        if self._partitions_day == today:
            return
        try:
            conn.execute("SELECT mldeck.ensure_prediction_partitions(current_date - 1, current_date + 7)")
            conn.commit()
        except Exception as e:
            try:
                conn.rollback()
            except Exception:
                self._drop_connection()
            _log.warning("could not create the prediction partitions (rows still go to the default one): %s", e)
        self._partitions_day = today

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
        self._next_connect = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self._cfg.reconnect_max_s)

    def _note_error(self, e: BaseException) -> None:
        text = f"{type(e).__name__}: {str(e).strip()}"
        with self._lock:
            first = self._c["pg_unreachable_since"] is None and _is_connection_error(e, self._conn)
            if first:
                self._c["pg_unreachable_since"] = time.time()
            self._c["last_error"] = text
        if first:
            _log.warning("PostgreSQL unreachable for logging: %s (batches go to the spool %s)", text,
                         self._spool.directory)

    def _write(self, conn: psycopg.Connection, p: List[str], o: List[str], f: List[str],
               on_xid: Optional[Callable[[str], None]]) -> Tuple[int, int, int]:
        """Writes one batch in one transaction; returns the rows PostgreSQL refused as invalid
        (predictions, outcomes, feedback), which were set aside. Raises _NotCommitted or _InDoubt."""
        try:
            return self._attempt(conn, p, o, f, on_xid, isolate=False)
        except _NotCommitted as e:
            if e.connection_lost or not _is_data_error(e.cause):
                raise
            _log.warning("PostgreSQL refused a row of a batch (%s): writing that batch row by row",
                         str(e.cause).strip())
        return self._attempt(conn, p, o, f, on_xid, isolate=True)

    def _attempt(self, conn: psycopg.Connection, p: List[str], o: List[str], f: List[str],
                 on_xid: Optional[Callable[[str], None]], isolate: bool) -> Tuple[int, int, int]:
        """One transaction: predictions, then outcomes, then feedback, one COPY each. With
        ``isolate`` every row is its own COPY under a SAVEPOINT, and a row refused as invalid is
        rolled back to its savepoint and recorded in the spool's rejected.jsonl (before COMMIT, so
        at least once), the others still commit together."""
        xid = ""
        rejected: List[Tuple[str, str, str]] = []
        counts = [0, 0, 0]
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_current_xact_id()::text")
                row = cur.fetchone()
                xid = row[0] if row else ""
                if on_xid is not None:
                    on_xid(xid)
                # A classifier's prediction lines carry two more columns, an image deployment's lines
                # one more (image_key), feedback on an image one more: one COPY per column list.
                copies: List[Tuple[int, str, List[str]]] = []
                for k, lines_of_kind, statement in ((0, p, copytext.prediction_copy), (1, o, None),
                                                    (2, f, copytext.feedback_copy)):
                    groups: Dict[str, List[str]] = {}
                    for line in lines_of_kind:
                        sql = copytext.COPY_OUTCOMES if statement is None else statement(line)
                        groups.setdefault(sql, []).append(line)
                    copies.extend((k, sql, lines) for sql, lines in groups.items())
                for k, sql, lines in copies:
                    if not lines:
                        continue
                    if not isolate:
                        with cur.copy(sql) as copy:
                            copy.write(("\n".join(lines) + "\n").encode("utf-8"))
                        continue
                    for line in lines:
                        cur.execute("SAVEPOINT mldeck_row")
                        try:
                            with cur.copy(sql) as copy:
                                copy.write((line + "\n").encode("utf-8"))
                        except Exception as e:
                            if _is_connection_error(e, conn) or not _is_data_error(e):
                                raise
                            cur.execute("ROLLBACK TO SAVEPOINT mldeck_row")
                            rejected.append((_TABLES[k], line, str(e).strip()))
                            counts[k] += 1
                        else:
                            cur.execute("RELEASE SAVEPOINT mldeck_row")
                for table, line, error in rejected:
                    self._spool.reject(table, line, error)
        except Exception as e:
            lost = _is_connection_error(e, conn)
            if not lost:
                try:
                    conn.rollback()
                except Exception:
                    lost = True
            raise _NotCommitted(e, lost) from e
        try:
            conn.commit()
        except Exception as e:
            if xid and _is_connection_error(e, conn):
                raise _InDoubt(e, xid) from e
            try:
                conn.rollback()
            except Exception:
                pass
            raise _NotCommitted(e, _is_connection_error(e, conn)) from e
        if rejected:
            with self._lock:
                self._c["rejected_by_server"] += len(rejected)  # type: ignore[operator]
            for table, line, error in rejected:
                _log.error("PostgreSQL refused a row of %s (%s); kept in %s/rejected.jsonl", table, error,
                           self._spool.directory)
        return counts[0], counts[1], counts[2]

    def _xact_status(self, conn: psycopg.Connection, xid: str) -> Optional[str]:
        """PostgreSQL's answer on transaction ``xid``: committed, aborted, in progress, or None."""
        try:
            row = conn.execute("SELECT pg_xact_status(%s::text::xid8)", (xid,)).fetchone()
            conn.commit()
            return row[0] if row else None
        except Exception as e:
            if _is_connection_error(e, conn):
                raise
            try:
                conn.rollback()
            except Exception:
                raise e
            return None  # e.g. "transaction ID is in the future": another cluster; not ours

    def _drain_spool(self, conn: psycopg.Connection) -> bool:
        """Replays the spool oldest first; False when PostgreSQL failed again (conn dropped)."""
        while True:
            batch = self._spool.oldest()
            if batch is None:
                return True
            try:
                if batch.xid is not None:
                    status = self._xact_status(conn, batch.xid)
                    if status == "committed":
                        # Counted before the file goes: a reader that sees the spool empty sees the count.
                        self._count_written(len(batch.predictions), len(batch.outcomes), len(batch.feedback),
                                            replay=True, resolved=True)
                        self._spool.remove(batch.seq)
                        _log.info("spooled batch %d was committed before the connection was lost: not written again",
                                  batch.seq)
                        continue
                    if status == "in progress":
                        return False  # the server has not noticed the lost connection yet; ask later
                    self._spool.clear_xid(batch.seq)
                    with self._lock:
                        self._c["in_doubt_rewritten"] += 1  # type: ignore[operator]
                seq = batch.seq
                rp, ro, rf = self._write(conn, batch.predictions, batch.outcomes, batch.feedback,
                                         lambda xid: self._spool.set_xid(seq, xid))
            except _InDoubt as e:
                self._note_error(e.cause)
                self._drop_connection()
                return False
            except _NotCommitted as e:
                self._note_error(e.cause)
                self._drop_connection()
                return False
            except Exception as e:  # connection errors while asking pg_xact_status
                self._note_error(e)
                self._drop_connection()
                return False
            self._count_written(len(batch.predictions) - rp, len(batch.outcomes) - ro, len(batch.feedback) - rf,
                                replay=True)
            self._spool.remove(batch.seq)
            _log.info("spooled batch %d written (%d rows)", batch.seq, batch.rows)

    def _to_spool(self, p: List[str], o: List[str], f: List[str], xid: Optional[str]) -> bool:
        """Appends a batch to the spool; False when it does not fit (the caller keeps the rows)."""
        try:
            ok = self._spool.append(p, o, f, xid)
            if not ok and xid is not None:
                # Rows whose COMMIT may have happened must be recorded with their xid, whatever the bound.
                self._spool.max_bytes, bound = 1 << 62, self._spool.max_bytes
                try:
                    ok = self._spool.append(p, o, f, xid)
                finally:
                    self._spool.max_bytes = bound
        except OSError as e:
            _log.error("cannot write the spool %s: %s", self._spool.directory, e)
            ok = False
        if ok:
            self._spool_full_warned = False
            with self._lock:
                self._c["spooled_batches"] += 1  # type: ignore[operator]
                self._c["spooled_rows"] += len(p) + len(o) + len(f)  # type: ignore[operator]
            return True
        with self._lock:
            self._c["spool_full_events"] += 1  # type: ignore[operator]
        first = not self._spool_full_warned
        self._spool_full = True
        self._spool_full_warned = True
        if first:
            _log.error("the spool %s is full (%d bytes max): rows wait in memory; new rows are refused once %d are "
                       "buffered", self._spool.directory, self._spool.max_bytes, self._cfg.buffer_rows)
        return False

    def _count_written(self, np_: int, no: int, nf: int, *, replay: bool, resolved: bool = False) -> None:
        with self._lock:
            c = self._c
            c["predictions_written"] += np_  # type: ignore[operator]
            c["outcomes_written"] += no  # type: ignore[operator]
            c["feedback_written"] += nf  # type: ignore[operator]
            c["batches_written"] += 1  # type: ignore[operator]
            if replay:
                c["replayed_batches"] += 1  # type: ignore[operator]
                c["replayed_rows"] += np_ + no + nf  # type: ignore[operator]
            if resolved:
                c["in_doubt_committed"] += 1  # type: ignore[operator]
