"""Reports the backend's own dependencies (a weather API, a feature store) to Redis.

resources/contract/dependencies.md: one hash ``mldeck:dep:<deployment>:<name>`` per dependency,
written every ``interval_s`` with an expiry of three intervals, so that a backend that stops
reporting reads as *unknown* in MLDeck; its name in the set ``mldeck:deps:<deployment>``; a message
on ``mldeck:deps:changed`` when the state or the fallback changes.

:meth:`DependencyReporter.report` only records the new state in memory (and wakes the thread when it
changed); a daemon thread does the writing. Nothing here raises into the request path, and a Redis
outage only drops reports: their expiry then tells MLDeck the truth (unknown).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import redis

__all__ = ["DependencyReporter", "STATES"]

_log = logging.getLogger("mldeck_backend.dependencies")

STATES = ("up", "down", "degraded")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_MAX_ERROR = 500
CHANNEL = "mldeck:deps:changed"

# The same script as MLDeck's writer (core/store/redis/DependencyStore.cpp): replace the hash, set
# its expiry and index the name atomically; publish only when state or fallback changed.
_REPORT_SCRIPT = """
local old = {false, false}
if redis.call('TYPE', KEYS[1])['ok'] == 'hash' then
  old = redis.call('HMGET', KEYS[1], 'state', 'fallback_active')
end
redis.call('DEL', KEYS[1])
local sets = {}
for i = 7, #ARGV do table.insert(sets, ARGV[i]) end
redis.call('HSET', KEYS[1], unpack(sets))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[6])
if old[1] ~= ARGV[4] or old[2] ~= ARGV[5] then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
"""


def _iso(t: float) -> str:
    """ISO-8601 UTC with milliseconds and a Z, the contract's only time form."""
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(t * 1000) % 1000:03d}Z"


@dataclass
class _Dependency:
    state: str
    fallback_active: bool
    fallback_since: Optional[float]
    last_error: Optional[str]


class DependencyReporter:
    """Keeps the last state of each (deployment, dependency) and writes it every ``interval_s``."""

    def __init__(self, new_redis: Callable[[], "redis.Redis"], reported_by: str, interval_s: float = 5.0) -> None:
        if interval_s < 0.34:
            raise ValueError("interval_s must be at least 0.34 s (the expiry is three intervals, at least 1 s)")
        self._new_redis = new_redis
        self._reported_by = reported_by
        self.interval_s = interval_s
        self._deps: Dict[Tuple[str, str], _Dependency] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._written = 0
        self._failed_rounds = 0
        self._last_error: Optional[str] = None

    @property
    def ttl_ms(self) -> int:
        return int(self.interval_s * 3 * 1000)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mldeck-dependencies", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def report(self, deployments: Sequence[str], name: str, state: str, fallback_active: bool,
               last_error: Optional[str] = None) -> bool:
        """Records the state of ``name`` for each deployment; False (logged) on a bad argument.

        ``fallback_since`` is kept by the reporter: the time of the first report with
        ``fallback_active`` True after one without, so every report of one outage carries its start.
        """
        try:
            if state not in STATES:
                raise ValueError(f"state must be one of {STATES}, not {state!r}")
            if not isinstance(name, str) or not _NAME.match(name):
                raise ValueError(f"dependency name {name!r} must match {_NAME.pattern}")
            if not deployments:
                raise ValueError("no deployment to report for: pass deployment= or configure deployments")
            for d in deployments:
                if not isinstance(d, str) or not _NAME.match(d):
                    raise ValueError(f"deployment name {d!r} must match {_NAME.pattern}")
            fallback = bool(fallback_active)
            error = None if last_error is None else str(last_error)[:_MAX_ERROR]
        except Exception as e:
            _log.warning("report_dependency refused: %s", e)
            return False
        now = time.time()
        changed = False
        with self._lock:
            for d in deployments:
                old = self._deps.get((d, name))
                since = (old.fallback_since if old is not None and old.fallback_active else now) if fallback else None
                if old is None or old.state != state or old.fallback_active != fallback:
                    changed = True
                self._deps[(d, name)] = _Dependency(state, fallback, since, error)
        if changed:
            self._wake.set()
        return True

    def counters(self) -> Dict[str, object]:
        with self._lock:
            return {"reports_written": self._written, "failed_rounds": self._failed_rounds,
                    "last_error": self._last_error,
                    "dependencies": {f"{d}/{n}": {"state": v.state, "fallback_active": v.fallback_active,
                                                  "fallback_since": None if v.fallback_since is None
                                                  else _iso(v.fallback_since)}
                                     for (d, n), v in self._deps.items()}}

    # ------------------------------------------------------------------ the thread

    def _write_all(self, r: "redis.Redis") -> int:
        with self._lock:
            items: List[Tuple[Tuple[str, str], _Dependency]] = list(self._deps.items())
        script = r.register_script(_REPORT_SCRIPT)
        now = _iso(time.time())
        for (deployment, name), dep in items:
            fallback = "1" if dep.fallback_active else "0"
            fields = ["state", dep.state, "fallback_active", fallback]
            if dep.fallback_active and dep.fallback_since is not None:
                fields += ["fallback_since", _iso(dep.fallback_since)]
            if dep.last_error:
                fields += ["last_error", dep.last_error]
            fields += ["updated_at", now, "reported_by", self._reported_by]
            message = json.dumps({"deployment": deployment, "dependency": name, "state": dep.state,
                                  "fallback_active": 1 if dep.fallback_active else 0}, separators=(",", ":"))
            script(keys=[f"mldeck:dep:{deployment}:{name}", f"mldeck:deps:{deployment}"],
                   args=[self.ttl_ms, CHANNEL, message, dep.state, fallback, name, *fields])
        return len(items)

    def _run(self) -> None:
        conn: Optional["redis.Redis"] = None
        while not self._stop.is_set():
            self._wake.clear()
            try:
                if conn is None:
                    conn = self._new_redis()
                written = self._write_all(conn)
                with self._lock:
                    self._written += written
                    self._last_error = None
            except Exception as e:  # a Redis outage drops this round; the expiry says "unknown"
                with self._lock:
                    self._failed_rounds += 1
                    self._last_error = str(e)
                _log.warning("dependency report not written: %s", e)
                conn = None
            self._wake.wait(self.interval_s)
