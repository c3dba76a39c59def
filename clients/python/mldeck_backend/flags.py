"""Rollout flags: parsing with the contract's rules and a follower thread (``resources/contract/flags.md``).

A :class:`FlagFollower` keeps a local copy of the flag set of every deployment it follows. It reads
``mldeck:flags:<deployment>`` at start, subscribes to ``mldeck:flags:changed`` on a separate
connection, re-reads on every message for a followed deployment (and on any message it cannot
parse), after every (re)connect, and every ``flags_reread_s`` as a safety net. Values from the
message are never applied: it only says that something changed.

Routing (:meth:`FlagFollower.routes_to_ml`) answers from memory. It is ML off when the flag set is
missing or invalid, when it was never read, and when Redis has been unreachable for longer than
``redis_stale_after_s`` (the last known flags are used until then).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import redis

from .bucketing import murmur3_x86_32

__all__ = [
    "FLAGS_CHANNEL",
    "DEPLOYMENTS_KEY",
    "flags_key",
    "FlagState",
    "parse_flag_fields",
    "FlagFollower",
    "is_valid_deployment_name",
]

FLAGS_CHANNEL = "mldeck:flags:changed"
DEPLOYMENTS_KEY = "mldeck:deployments"

_log = logging.getLogger("mldeck_backend.flags")
_DEPLOYMENT_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_MAX_VERSION = (2**63 - 1) // 10  # the C++ reader's bound (18 digits at most)


def flags_key(deployment: str) -> str:
    """The Redis hash holding the flag set of ``deployment``."""
    return f"mldeck:flags:{deployment}"


def is_valid_deployment_name(name: str) -> bool:
    """True when ``name`` matches the contract's ``^[a-z][a-z0-9_-]{0,62}$``."""
    return bool(_DEPLOYMENT_RE.match(name))


def _canonical_unsigned(raw: Optional[bytes], maximum: int) -> Optional[int]:
    """Digits only, no sign, no leading zero (except ``0``), at most ``maximum``; else None."""
    if raw is None or not raw or len(raw) > 18:
        return None
    if len(raw) > 1 and raw[:1] == b"0":
        return None
    if not all(0x30 <= c <= 0x39 for c in raw):
        return None
    value = int(raw)
    return value if value <= maximum else None


def _flag_bool(raw: Optional[bytes]) -> Optional[bool]:
    if raw == b"0":
        return False
    if raw == b"1":
        return True
    return None


@dataclass(frozen=True)
class FlagState:
    """The flag set of one deployment as read from Redis (immutable; replaced whole on change).

    ``invalid_fields`` lists the routing fields that were missing or not in canonical form; a set
    with any invalid field (or that does not exist) routes nothing to ML.
    """

    deployment: str
    exists: bool = False
    ml_enabled: bool = False
    ml_traffic_percentage: int = 0
    fallback_on_error: bool = True
    version: int = 0
    updated_at: str = ""
    updated_by: str = ""
    invalid_fields: Tuple[str, ...] = ()
    read_at: float = 0.0  # time.monotonic() of the read that produced this state (0: never read)

    @property
    def valid(self) -> bool:
        """True when the set exists and every routing field is valid."""
        return self.exists and not self.invalid_fields

    @property
    def ml_share(self) -> int:
        """The percentage effectively routed to ML: 0 unless valid and enabled."""
        return self.ml_traffic_percentage if (self.valid and self.ml_enabled) else 0


def parse_flag_fields(deployment: str, fields: Optional[Mapping[bytes, bytes]], *, read_at: float = 0.0) -> FlagState:
    """Parses an ``HGETALL`` reply with the contract's strict rules (never clamps or guesses).

    ``fields`` is None or empty when the key does not exist.
    """
    if not fields:
        return FlagState(deployment=deployment, exists=False, read_at=read_at)
    invalid: List[str] = []
    enabled = _flag_bool(fields.get(b"ml_enabled"))
    if enabled is None:
        invalid.append("ml_enabled")
    percentage = _canonical_unsigned(fields.get(b"ml_traffic_percentage"), 100)
    if percentage is None:
        invalid.append("ml_traffic_percentage")
    fallback = _flag_bool(fields.get(b"fallback_on_error"))
    if fallback is None:
        invalid.append("fallback_on_error")
    version = _canonical_unsigned(fields.get(b"version"), _MAX_VERSION)
    if version is None or version < 1:  # flags.md: a whole number >= 1
        invalid.append("version")
    return FlagState(
        deployment=deployment,
        exists=True,
        ml_enabled=bool(enabled),
        ml_traffic_percentage=percentage or 0,
        fallback_on_error=True if fallback is None else fallback,
        version=version or 0,
        updated_at=fields.get(b"updated_at", b"").decode("utf-8", "replace"),
        updated_by=fields.get(b"updated_by", b"").decode("utf-8", "replace"),
        invalid_fields=tuple(invalid),
        read_at=read_at,
    )


@dataclass
class _FollowerCounters:
    changes_seen: int = 0
    reads: int = 0
    reconnects: int = 0
    last_error: str = ""
    unreachable_since: Optional[float] = None  # time.time() when Redis stopped answering


class FlagFollower:
    """Follows the flags of a set of deployments in a background thread.

    Thread-safe: :meth:`state` and :meth:`routes_to_ml` may be called from any thread; they read an
    immutable :class:`FlagState` from a dict that only the follower thread replaces entries of.
    """

    def __init__(
        self,
        redis_factory: Callable[[], "redis.Redis"],
        deployments: Iterable[str] = (),
        *,
        stale_after_s: float = 30.0,
        reread_s: float = 5.0,
        poll_s: float = 0.05,
        on_change: Optional[Callable[[FlagState, FlagState], None]] = None,
    ) -> None:
        self._redis_factory = redis_factory
        self._stale_after_s = float(stale_after_s)
        self._reread_s = float(reread_s)
        self._poll_s = float(poll_s)
        self._ping_s = min(1.0, self._stale_after_s / 4)
        self._on_change = on_change
        self._states: Dict[str, FlagState] = {}
        self._lock = threading.Lock()
        self._wanted: Dict[str, bytes] = {}  # deployment -> b"<deployment>:" (bucketing prefix)
        self._refused: set = set()  # invalid names already warned about
        self._pending_new = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._counters = _FollowerCounters()
        # time.monotonic() of the last successful exchange with Redis; 0 = never.
        self._last_ok = 0.0
        self._ready = threading.Event()
        for d in deployments:
            self._add(d)

    # ------------------------------------------------------------------ public, any thread

    def start(self) -> None:
        """Starts the follower thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="mldeck-flags", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stops the follower thread."""
        self._stop.set()
        self._pending_new.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_ready(self, timeout: float) -> bool:
        """Waits until the flags have been read once; False on timeout (routing stays ML off)."""
        return self._ready.wait(timeout)

    def follow(self, deployment: str) -> None:
        """Adds ``deployment`` to the followed set; it is read at once by the follower thread."""
        if deployment not in self._wanted and deployment not in self._refused:
            self._add(deployment)
            self._pending_new.set()

    def deployments(self) -> List[str]:
        """The followed deployments."""
        return list(self._wanted)

    def state(self, deployment: str) -> FlagState:
        """The last flag set read for ``deployment`` (a never-read one: exists=False)."""
        s = self._states.get(deployment)
        return s if s is not None else FlagState(deployment=deployment)

    def redis_reachable(self) -> bool:
        """False once Redis has been unreachable for longer than the stale limit (or never reached)."""
        last = self._last_ok
        return last != 0.0 and (time.monotonic() - last) <= self._stale_after_s

    def routes_to_ml(self, deployment: str, key: object) -> bool:
        """The routing decision of flags.md, from memory; never raises.

        ML ⇔ flags valid ∧ ml_enabled = 1 ∧ bucket(deployment, key) ≤ ml_traffic_percentage, and
        Redis was reached within the stale limit. An unknown deployment starts being followed
        and routes to the heuristic until its flags are read.
        """
        try:
            s = self._states.get(deployment)
            if s is None:
                if deployment not in self._wanted and deployment not in self._refused:
                    self.follow(deployment)
                return False
            pct = s.ml_traffic_percentage
            if not s.ml_enabled or pct <= 0 or s.invalid_fields or not s.exists:
                return False
            last = self._last_ok
            if last == 0.0 or time.monotonic() - last > self._stale_after_s:
                return False
            if pct >= 100:
                return True
            prefix = self._wanted[deployment]
            if isinstance(key, str):
                try:
                    data = prefix + key.encode("utf-8")
                except UnicodeEncodeError:
                    data = prefix + key.encode("utf-8", "surrogatepass")
            else:
                data = prefix + str(key).encode("utf-8")
            return murmur3_x86_32(data, 0) % 100 + 1 <= pct
        except Exception:  # the request path must never see an exception from here
            _log.exception("routing decision failed; serving the heuristic")
            return False

    def counters(self) -> Dict[str, object]:
        """Counters for health pages: changes seen, reads, reconnects, last error, unreachable since."""
        with self._lock:
            c = self._counters
            return {
                "changes_seen": c.changes_seen,
                "reads": c.reads,
                "reconnects": c.reconnects,
                "last_error": c.last_error,
                "redis_unreachable_since": c.unreachable_since,
                "redis_reachable": self.redis_reachable(),
            }

    # ------------------------------------------------------------------ follower thread

    def _add(self, deployment: str) -> None:
        if not isinstance(deployment, str) or not is_valid_deployment_name(deployment):
            if deployment not in self._refused and len(self._refused) < 1000:
                self._refused.add(deployment)
                _log.warning("not following flags of %r: not a valid deployment name (ML off)", deployment)
            return
        with self._lock:
            self._wanted[deployment] = (deployment + ":").encode("utf-8")

    def _mark_ok(self) -> None:
        self._last_ok = time.monotonic()
        if self._counters.unreachable_since is not None:
            with self._lock:
                since = self._counters.unreachable_since
                self._counters.unreachable_since = None
            _log.info("Redis reachable again (unreachable since %s)", time.strftime("%H:%M:%S", time.localtime(since)))

    def _mark_error(self, error: BaseException) -> None:
        with self._lock:
            self._counters.last_error = f"{type(error).__name__}: {error}"
            if self._counters.unreachable_since is None:
                self._counters.unreachable_since = time.time()
                first = True
            else:
                first = False
        if first:
            _log.warning("Redis unreachable for the flags: %s (last known flags kept for %.1f s, then ML off)",
                         error, self._stale_after_s)

    def _refresh(self, conn: "redis.Redis", deployment: str) -> FlagState:
        now = time.monotonic()
        try:
            fields = conn.hgetall(flags_key(deployment))
        except redis.ResponseError as e:  # WRONGTYPE: the key is not a hash -> invalid set
            _log.warning("flags of %s unreadable (%s): ML off", deployment, e)
            fields = {b"ml_enabled": b"?"}
        new = parse_flag_fields(deployment, fields, read_at=now)
        old = self._states.get(deployment)
        with self._lock:
            self._states[deployment] = new
            self._counters.reads += 1
            if old is None or (old.version, old.valid, old.exists) != (new.version, new.valid, new.exists) or \
                    (old.ml_enabled, old.ml_traffic_percentage, old.fallback_on_error) != \
                    (new.ml_enabled, new.ml_traffic_percentage, new.fallback_on_error):
                self._counters.changes_seen += 1
                changed = True
            else:
                changed = False
        if changed:
            if not new.valid:
                _log.warning("flags of %s are %s (invalid: %s): ML off", deployment,
                             "missing" if not new.exists else "INVALID", ", ".join(new.invalid_fields) or "-")
            else:
                _log.info("flags of %s: version %d, ml_enabled=%d, ml_traffic_percentage=%d, fallback_on_error=%d",
                          deployment, new.version, new.ml_enabled, new.ml_traffic_percentage, new.fallback_on_error)
            if self._on_change is not None:
                try:
                    self._on_change(old or FlagState(deployment=deployment), new)
                except Exception:
                    _log.exception("flag change callback failed")
        return new

    def _refresh_all(self, conn: "redis.Redis") -> None:
        for d in list(self._wanted):
            self._refresh(conn, d)
        self._mark_ok()
        self._ready.set()

    def _loop(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            conn = None
            pubsub = None
            try:
                conn = self._redis_factory()
                pubsub = conn.pubsub()
                pubsub.subscribe(FLAGS_CHANNEL)
                # The subscribe confirmation proves the subscriber is live before we read:
                # a change made after this read is announced on the channel.
                deadline = time.monotonic() + 5.0
                while True:
                    msg = pubsub.get_message(timeout=0.5)
                    if msg is not None and msg.get("type") == "subscribe":
                        break
                    if time.monotonic() > deadline:
                        raise redis.ConnectionError("no subscribe confirmation from Redis within 5 s")
                with self._lock:
                    self._counters.reconnects += 1
                self._refresh_all(conn)
                backoff = 0.1
                last_read = time.monotonic()
                while not self._stop.is_set():
                    if self._pending_new.is_set():
                        self._pending_new.clear()
                        self._refresh_all(conn)
                    msg = pubsub.get_message(timeout=self._poll_s)
                    now = time.monotonic()
                    if msg is not None and msg.get("type") == "message":
                        hinted = self._hinted(msg.get("data"))
                        if hinted is None:
                            self._refresh_all(conn)
                        elif hinted[0] in self._wanted:
                            state = self._refresh(conn, hinted[0])
                            if hinted[1] is not None and state.version < hinted[1]:
                                # Cannot go backwards: read again shortly (flags.md step 3).
                                time.sleep(0.01)
                                self._refresh(conn, hinted[0])
                            self._mark_ok()
                        last_read = now
                    elif now - last_read >= self._reread_s:
                        self._refresh_all(conn)
                        last_read = now
                    elif now - self._last_ok >= self._ping_s:
                        conn.ping()  # liveness of the data connection (the stale limit's resolution)
                        self._mark_ok()
            except Exception as e:  # redis errors, socket errors: reconnect with backoff
                if self._stop.is_set():
                    break
                self._mark_error(e)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
            finally:
                for closable in (pubsub, conn):
                    try:
                        if closable is not None:
                            closable.close()
                    except Exception:
                        pass

    @staticmethod
    def _hinted(data: object) -> Optional[Tuple[str, Optional[int]]]:
        """(deployment, version) of a change message, or None when it cannot be parsed."""
        try:
            obj = json.loads(data)
            deployment = obj["deployment"]
            if not isinstance(deployment, str):
                return None
            version = obj.get("version")
            return deployment, version if isinstance(version, int) else None
        except Exception:
            return None
