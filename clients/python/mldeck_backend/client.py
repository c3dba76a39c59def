"""The client object a serving backend creates once: flags, bucketing, logging, champion following.

Typical use (see ``examples/fastapi_eta`` for a whole service)::

    from mldeck_backend import ClientConfig, MLDeckClient

    client = MLDeckClient(ClientConfig(redis_url=..., pg_url=..., deployments=["eta"],
                                       follow_champion=["eta"]))
    client.start()                       # reads the flags, loads the champion, starts the threads
    ...
    if client.should_use_ml("eta", booking_id):      # from memory, a few microseconds
        model = client.model("eta")                  # the champion (None until one is loaded)
        ...
    client.log_prediction("eta", booking_id, predicted=7.5, latency_ms=3.1, path="ml",
                          model_version=model.version, numeric=[...], categorical=[...])
    ...
    client.close()                       # flushes what is buffered (to the spool if PostgreSQL is down)

No module-level state: everything lives in the client object; several clients may coexist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

import redis

from . import copytext
from .champion import ChampionFollower, ServedModel, load_verified
from .dependencies import DependencyReporter
from .flags import FlagFollower, FlagState
from .writer import LogWriter, WriterConfig, _F, _O, _P

__all__ = ["ClientConfig", "MLDeckClient", "PATHS"]

_log = logging.getLogger("mldeck_backend")

PATHS = ("ml", "heuristic", "fallback")


def _default_spool_dir() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "mldeck-backend", "spool")


@dataclass
class ClientConfig:
    """Settings of :class:`MLDeckClient`.

    Attributes:
        redis_url: ``redis://[user:password@]host[:port][/db]`` (default ``$MLDECK_REDIS_URL``).
        pg_url: ``postgresql://user[:password]@host[:port]/database`` (default ``$MLDECK_PG_URL``).
        deployments: deployments whose flags are read at start (others are followed on first use).
        follow_champion: deployments whose champion model is loaded and followed (needs torch).
        redis_stale_after_s: after Redis has been unreachable this long, ``should_use_ml`` answers
            False (ML off) until it is reached again; before that the last known flags hold.
        flags_reread_s: safety-net re-read of the flags (flags.md step 5).
        redis_timeout_s: socket and connect timeout of the Redis connections.
        batch_rows: rows per COPY batch (logging.md: 1,000).
        flush_interval_s: longest time a row waits in memory before its batch is written (1 s).
        buffer_rows: bound of the in-memory buffer; beyond it log calls return False (counted).
        spool_dir: base directory of the on-disk spool (a ``slot-<n>`` is taken per process).
        spool_max_bytes: size bound of the spool (see writer.py for what happens when it is reached).
        reconnect_max_s: longest wait between two PostgreSQL reconnect attempts.
        champion_reread_s / champion_failed_retry_s: champion re-read period; retry period of a
            champion that failed to load (a message for it retries at once).
        pseudonym_key: key of the HMAC-SHA256 used by :meth:`MLDeckClient.pseudonymize` (bytes).
        application_name: PostgreSQL ``application_name`` of the writer's connection.
        dependency_report_s: how often the backend's own dependencies are written to Redis
            (dependencies.md; each report expires after three of these).
    """

    redis_url: str = field(default_factory=lambda: os.environ.get("MLDECK_REDIS_URL", ""))
    pg_url: str = field(default_factory=lambda: os.environ.get("MLDECK_PG_URL", ""))
    deployments: Sequence[str] = ()
    follow_champion: Sequence[str] = ()
    redis_stale_after_s: float = 30.0
    flags_reread_s: float = 5.0
    redis_timeout_s: float = 2.0
    batch_rows: int = 1000
    flush_interval_s: float = 1.0
    buffer_rows: int = 200_000
    spool_dir: str = field(default_factory=_default_spool_dir)
    spool_max_bytes: int = 1 << 30
    reconnect_max_s: float = 5.0
    champion_reread_s: float = 5.0
    champion_failed_retry_s: float = 30.0
    pseudonym_key: Optional[bytes] = None
    application_name: str = "mldeck-backend"
    dependency_report_s: float = 5.0


class MLDeckClient:
    """MLDeck's contract for a Python serving backend, in one thread-safe object.

    ``should_use_ml`` and the ``log_*`` methods never raise and never block on the network: they
    work from memory; three daemon threads (flags, champion, log writer) talk to Redis and
    PostgreSQL.
    """

    def __init__(self, config: Optional[ClientConfig] = None) -> None:
        self.config = cfg = config or ClientConfig()
        if not cfg.redis_url:
            raise ValueError("no Redis URL: set ClientConfig.redis_url or MLDECK_REDIS_URL")
        if not cfg.pg_url:
            raise ValueError("no PostgreSQL URL: set ClientConfig.pg_url or MLDECK_PG_URL")
        self._flags = FlagFollower(self._new_redis, cfg.deployments, stale_after_s=cfg.redis_stale_after_s,
                                   reread_s=cfg.flags_reread_s)
        self._writer = LogWriter(WriterConfig(
            cfg.pg_url, cfg.spool_dir, batch_rows=cfg.batch_rows, flush_interval_s=cfg.flush_interval_s,
            buffer_rows=cfg.buffer_rows, spool_max_bytes=cfg.spool_max_bytes, reconnect_max_s=cfg.reconnect_max_s,
            application_name=cfg.application_name))
        self._champions: Optional[ChampionFollower] = None
        if cfg.follow_champion:
            self._champions = ChampionFollower(self._new_redis, cfg.pg_url, list(cfg.follow_champion),
                                               reread_s=cfg.champion_reread_s,
                                               failed_retry_s=cfg.champion_failed_retry_s, loader=load_verified)
        self._dependencies = DependencyReporter(
            self._new_redis, f"{cfg.application_name}@{socket.gethostname()}:{os.getpid()}",
            interval_s=cfg.dependency_report_s)
        self._pseudonym_key = cfg.pseudonym_key or os.urandom(32)
        self._started = False
        self._closed = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def _new_redis(self) -> "redis.Redis":
        t = self.config.redis_timeout_s
        return redis.Redis.from_url(self.config.redis_url, socket_timeout=t, socket_connect_timeout=t,
                                    health_check_interval=0)

    def start(self, wait_s: float = 5.0) -> bool:
        """Starts the threads and waits up to ``wait_s`` for the first flag read and champion load.

        Returns True when both happened in time; False otherwise (the client still works: ML off
        until the flags are read, no champion until one is loaded). Never raises for an
        unreachable server.
        """
        with self._lock:
            if self._started:
                return True
            self._started = True
        self._writer.start()
        self._flags.start()
        self._dependencies.start()
        if self._champions is not None:
            self._champions.start()
        deadline = time.monotonic() + wait_s
        ok = self._flags.wait_ready(max(0.0, deadline - time.monotonic()))
        if self._champions is not None:
            ok = self._champions.wait_ready(max(0.0, deadline - time.monotonic())) and ok
        if not ok:
            _log.warning("MLDeck client started without %s within %.1f s", "all servers", wait_s)
        return ok

    def close(self, timeout: float = 10.0) -> None:
        """Writes what is buffered (to PostgreSQL, else to the spool) and stops the threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._writer.close(timeout)
        self._flags.stop()
        self._dependencies.stop()
        if self._champions is not None:
            self._champions.stop()

    def __enter__(self) -> "MLDeckClient":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ flags

    def should_use_ml(self, deployment: str, key: Union[str, int]) -> bool:
        """True when this request should be served by the ML model (flags.md "Routing a request").

        From memory, a few microseconds; never raises. False when the flags are missing, invalid,
        not read yet, ML is disabled, the key's bucket is above the percentage, or Redis has been
        unreachable for longer than ``redis_stale_after_s``.
        """
        return self._flags.routes_to_ml(deployment, key)

    def flags(self, deployment: str) -> FlagState:
        """The last flag set read for ``deployment`` (e.g. for ``fallback_on_error``)."""
        self._flags.follow(deployment)
        return self._flags.state(deployment)

    def fallback_on_error(self, deployment: str) -> bool:
        """Whether a model failure should be answered with the heuristic (the flag, True if unknown)."""
        s = self._flags.state(deployment)
        return s.fallback_on_error if s.valid else True

    # ------------------------------------------------------------------ champion

    def model(self, deployment: str) -> Optional[ServedModel]:
        """The champion model serving ``deployment`` now (None while none could be loaded).

        Take the reference once per request: a switch replaces it, it never changes a model in use.
        """
        return self._champions.model(deployment) if self._champions is not None else None

    # ------------------------------------------------------------------ logging

    def log_prediction(self, deployment: str, request_key: Union[str, int], *, predicted: Optional[float],
                       path: str, latency_ms: float = 0.0, model_version: Optional[str] = None,
                       failed: bool = False, error: Optional[str] = None, numeric: Optional[Sequence[float]] = None,
                       categorical: Optional[Sequence[Optional[str]]] = None, feature_schema: int = 1,
                       ts: Optional[float] = None, predicted_class: Optional[int] = None,
                       probabilities: Optional[Sequence[float]] = None, image_key: Optional[str] = None) -> bool:
        """Queues one served prediction (logging.md "The prediction row"); never raises.

        ``path`` is ``ml``, ``heuristic`` or ``fallback``; ``failed`` is True on every ``fallback``
        row and on an ``ml`` row with ``predicted`` None. ``ts`` (epoch seconds, default now) is when
        the prediction was served. A classifier (classification.md) also gives ``predicted_class``,
        the index of the served class, with ``predicted`` its probability (taken from
        ``probabilities`` when None), and ``probabilities``, the whole vector (at most 20 classes).
        An image deployment (images.md) also gives ``image_key``, the key of the image in its image
        store ("cat/001.png"): the image itself is never logged.
        Returns False when the row was refused (invalid arguments, or the buffer is full); both are
        counted in :meth:`stats`.
        """
        try:
            if path not in PATHS or not deployment or not isinstance(deployment, str):
                raise ValueError(f"path must be one of {PATHS} and deployment a non-empty string")
            if predicted_class is not None:
                if isinstance(predicted_class, bool) or int(predicted_class) != predicted_class or predicted_class < 0:
                    raise ValueError("predicted_class must be a class index >= 0")
                predicted_class = int(predicted_class)
            if probabilities is not None:
                probabilities = tuple(float(v) for v in probabilities)
                if len(probabilities) > copytext.MAX_LOGGED_PROBABILITIES:
                    raise ValueError(f"at most {copytext.MAX_LOGGED_PROBABILITIES} probabilities are logged")
                if predicted is None and predicted_class is not None and predicted_class < len(probabilities):
                    predicted = probabilities[predicted_class]
            if image_key is not None:
                copytext.check_image_key(image_key)
            if path == "fallback" or predicted is None:
                failed = True
            row = (_P, time.time() if ts is None else float(ts), None if predicted is None else float(predicted),
                   float(latency_ms), int(feature_schema), bool(failed), path, deployment, str(request_key),
                   None if path == "heuristic" else model_version, error,
                   None if numeric is None else tuple(numeric), None if categorical is None else tuple(categorical),
                   predicted_class, probabilities, image_key)
        except Exception as e:
            self._writer.count_rejected()
            _log.warning("log_prediction refused: %s", e)
            return False
        return self._writer.append(row)

    def log_outcome(self, deployment: str, request_key: Union[str, int], actual: float, *,
                    observed_at: Optional[float] = None) -> bool:
        """Queues the ground truth of a request (several per request allowed: the latest wins)."""
        try:
            value = float(actual)
            if not deployment or not isinstance(deployment, str) or not math.isfinite(value):
                raise ValueError("deployment must be a non-empty string and actual a finite number")
            row = (_O, time.time() if observed_at is None else float(observed_at), value, deployment,
                   str(request_key))
        except Exception as e:
            self._writer.count_rejected()
            _log.warning("log_outcome refused: %s", e)
            return False
        return self._writer.append(row)

    def log_feedback(self, deployment: str, request_key: Union[str, int], positive: bool, *,
                     comment: Optional[str] = None, user_pseudonym: Optional[str] = None,
                     ts: Optional[float] = None, image_key: Optional[str] = None) -> bool:
        """Queues user feedback; ``user_pseudonym`` must not identify the user (see :meth:`pseudonymize`).
        On an image deployment ``image_key`` names the image the feedback is about.

        Refused (False, counted): a pseudonym containing ``@``, a comment over 4,000 characters, an
        image key the image store would refuse (images.md).
        """
        try:
            if not deployment or not isinstance(deployment, str):
                raise ValueError("deployment must be a non-empty string")
            if user_pseudonym is not None and "@" in user_pseudonym:
                raise ValueError("user_pseudonym contains '@' (an e-mail address?): pseudonymize it")
            if comment is not None and len(comment) > 4000:
                raise ValueError("comment is longer than 4000 characters")
            if image_key is not None:
                copytext.check_image_key(image_key)
            row = (_F, time.time() if ts is None else float(ts), bool(positive), deployment, str(request_key),
                   comment, user_pseudonym, image_key)
        except Exception as e:
            self._writer.count_rejected()
            _log.warning("log_feedback refused: %s", e)
            return False
        return self._writer.append(row)

    def pseudonymize(self, user_id: str) -> str:
        """Hex HMAC-SHA256 of ``user_id`` with the client's key (logging.md: never the raw id)."""
        return hmac.new(self._pseudonym_key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def flush(self, timeout: float = 10.0) -> bool:
        """Writes what is buffered now (to PostgreSQL or the spool); True when the buffer emptied."""
        return self._writer.flush(timeout)

    # ------------------------------------------------------------------ dependencies

    def report_dependency(self, name: str, state: str, fallback_active: bool, last_error: Optional[str] = None, *,
                          deployment: Optional[str] = None) -> bool:
        """Reports the state of one of the backend's own dependencies (dependencies.md); never raises.

        ``state`` is ``up``, ``down`` or ``degraded``; ``fallback_active`` True while the backend serves
        with a substitute (a neutral weather factor). Call it whenever you learn something (after a
        failed call, on recovery); it only updates memory, and a background thread rewrites every
        dependency every ``dependency_report_s`` with an expiry of three intervals, at once when the
        state changed. The fallback's start is remembered across calls. ``deployment`` defaults to every
        deployment in ``ClientConfig.deployments``. False (logged, counted nowhere else) on a bad argument.
        """
        targets = [deployment] if deployment is not None else list(self.config.deployments)
        return self._dependencies.report(targets, name, state, fallback_active, last_error)

    # ------------------------------------------------------------------ registration (optional)

    def ensure_deployment(self, deployment: str, description: str, features: List[Dict[str, Any]]) -> int:
        """Registers ``deployment`` and its feature schema if missing; returns the schema id to log with.

        Mirrors ``DeploymentStore::ensure`` (an identical feature list reuses its id). Needs a role that
        may insert into ``mldeck.deployments`` / ``mldeck.feature_schemas`` (not ``mldeck_backend``):
        usually done once by ``mldeckctl simulate`` or an operator; the worked example does it for the demo.
        ``features`` = ``[{"name": ..., "kind": "numeric"}, {"name": ..., "kind": "categorical",
        "categories": [...]}]``. Raises on error (call it at start-up, not in the request path).
        """
        import psycopg

        doc = json.dumps(features, separators=(",", ":"))
        with psycopg.connect(self.config.pg_url, connect_timeout=5, application_name=self.config.application_name) as c:
            with c.transaction():
                c.execute("INSERT INTO mldeck.deployments (name, description) VALUES (%s, %s) "
                          "ON CONFLICT (name) DO NOTHING", (deployment, description))
                c.execute("SELECT 1 FROM mldeck.deployments WHERE name = %s FOR UPDATE", (deployment,))
                row = c.execute("SELECT id FROM mldeck.feature_schemas WHERE deployment = %s AND features = %s::jsonb "
                                "ORDER BY id DESC LIMIT 1", (deployment, doc)).fetchone()
                if row is None:
                    row = c.execute("INSERT INTO mldeck.feature_schemas (deployment, id, features) "
                                    "SELECT %s, coalesce(max(id), 0) + 1, %s::jsonb FROM mldeck.feature_schemas "
                                    "WHERE deployment = %s RETURNING id", (deployment, doc, deployment)).fetchone()
        return int(row[0])

    # ------------------------------------------------------------------ observability

    def stats(self) -> Dict[str, Any]:
        """Counters of the parts: ``flags``, ``logging`` (see writer.py), ``dependencies``, ``champion``."""
        out: Dict[str, Any] = {"flags": self._flags.counters(), "logging": self._writer.counters(),
                               "dependencies": self._dependencies.counters()}
        out["flags"]["deployments"] = {
            d: {"version": s.version, "valid": s.valid, "ml_enabled": s.ml_enabled,
                "ml_traffic_percentage": s.ml_traffic_percentage, "fallback_on_error": s.fallback_on_error}
            for d in self._flags.deployments() for s in [self._flags.state(d)]}
        if self._champions is not None:
            out["champion"] = self._champions.status()
        return out
