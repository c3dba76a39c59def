"""Following the champion model of a deployment (``resources/contract/models.md``).

The champion is published in Redis as the hash ``mldeck:champion:<deployment>`` (``version``,
``sha256``, ``path``, ...) with a hint on ``mldeck:models:changed``; PostgreSQL
(``mldeck.model_aliases`` → ``mldeck.models``) is the record, read when the hash is missing or
incomplete. A :class:`ChampionFollower` re-reads on every message for a followed deployment, after
every reconnect and every ``reread_s``; a new champion is loaded *next to* the served model:

1. the file is read once into memory and its SHA-256 compared with the registry's — a mismatch
   (changed, truncated, replaced file) is refused before ``torch.jit.load`` sees a byte, and since
   the bytes loaded are the bytes hashed there is no window between check and load;
2. ``torch.jit.load`` from those bytes, the ``mldeck.json`` metadata parsed, and a probe with a zero
   input of the described shape;
3. only then the served model is replaced (one reference assignment: a request holds either the old
   or the new model, never a mix). A failed load keeps the previous model serving, is logged, and is
   retried on the next message for it or after ``failed_retry_s``.

``torch`` is imported only when a model is loaded: a client that does not follow champions does
not need it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import redis

__all__ = [
    "MODELS_CHANNEL",
    "champion_key",
    "ChampionRef",
    "ServedModel",
    "ModelLoadError",
    "load_verified",
    "load_file",
    "ChampionFollower",
]

MODELS_CHANNEL = "mldeck:models:changed"

_log = logging.getLogger("mldeck_backend.champion")


def champion_key(deployment: str) -> str:
    """The Redis hash where the champion of ``deployment`` is published."""
    return f"mldeck:champion:{deployment}"


@dataclass(frozen=True)
class ChampionRef:
    """What the registry says the champion is."""

    version: str
    sha256: str
    path: str


class ModelLoadError(Exception):
    """A model file that cannot be served (missing, SHA-256 mismatch, not TorchScript, bad metadata)."""


class ServedModel:
    """A loaded TorchScript model with the input encoding of models.md §2. Thread-safe for predict.

    ``version`` is what ``predictions.model_version`` carries: the registry version for a champion,
    ``name@version`` of the metadata for a file loaded directly.
    """

    def __init__(self, module: Any, metadata: Optional[Dict[str, Any]], version: str, sha256: str, path: str) -> None:
        import torch

        self._torch = torch
        self.module = module
        self.metadata = metadata
        self.version = version
        self.sha256 = sha256
        self.path = path
        self.sequence_length = 1
        self.numeric_names: List[str] = []
        self.categorical: List[tuple] = []  # (name, [categories])
        self.feature_schema = 1
        self._width: Optional[int] = None
        if metadata is not None:
            self._parse_metadata(metadata)
        self._lock = threading.Lock()  # TorchScript modules are not documented as re-entrant

    def _parse_metadata(self, meta: Dict[str, Any]) -> None:
        torch = self._torch
        if meta.get("format") != "mldeck-model":
            raise ModelLoadError('metadata "format" is not "mldeck-model"')
        if meta.get("format_version") != 1:
            raise ModelLoadError(f"metadata format_version {meta.get('format_version')!r} is not supported (1)")
        features = meta.get("features")
        if not isinstance(features, list) or not features:
            raise ModelLoadError("metadata has no features")
        mean: List[float] = []
        std: List[float] = []
        for f in features:
            kind = f.get("kind")
            if kind == "numeric":
                m, s = f.get("mean"), f.get("std")
                if not isinstance(m, (int, float)) or not isinstance(s, (int, float)) or not math.isfinite(m) or \
                        not (s > 0):
                    raise ModelLoadError(f"numeric feature {f.get('name')!r} needs a finite mean and std > 0")
                self.numeric_names.append(str(f.get("name")))
                mean.append(float(m))
                std.append(float(s))
            elif kind == "categorical":
                cats = f.get("categories")
                if not isinstance(cats, list) or not cats:
                    raise ModelLoadError(f"categorical feature {f.get('name')!r} needs categories")
                self.categorical.append((str(f.get("name")), [str(c) for c in cats]))
            else:
                raise ModelLoadError(f"feature {f.get('name')!r} has an unknown kind {kind!r}")
        seq = meta.get("sequence_length", 1)
        if not isinstance(seq, int) or not 1 <= seq <= 4096:
            raise ModelLoadError("sequence_length must be a whole number 1..4096")
        self.sequence_length = seq
        self.feature_schema = int(meta.get("feature_schema", 1))
        # Converted to float32 first, as the Python encoder and ModelRunner do.
        self._mean = torch.tensor(mean, dtype=torch.float32)
        self._std = torch.tensor(std, dtype=torch.float32)
        self._index = [{c: i for i, c in enumerate(cats)} for _, cats in self.categorical]
        self._width = len(mean) + sum(len(c) for _, c in self.categorical)

    @property
    def width(self) -> Optional[int]:
        """Values per encoded row (None for a model without metadata until its first call)."""
        return self._width

    def encode(self, numeric: Sequence[Sequence[float]], categorical: Sequence[Sequence[str]]) -> Any:
        """The input tensor of models.md §2 for a batch of rows (time-ordered when sequence_length > 1)."""
        torch = self._torch
        b = len(numeric)
        if self.metadata is None:
            x = torch.tensor([list(map(float, r)) for r in numeric], dtype=torch.float32)
            if self._width is None:
                self._width = x.shape[1]
            elif x.shape[1] != self._width:
                raise ValueError(f"expected {self._width} numeric values per row, got {x.shape[1]}")
            return x
        n = len(self.numeric_names)
        if len(categorical) != b:
            raise ValueError("numeric and categorical rows differ in number")
        num = torch.tensor([list(map(float, r)) for r in numeric], dtype=torch.float32).reshape(b, -1)
        if num.shape[1] != n:
            raise ValueError(f"expected {n} numeric values per row, got {num.shape[1]}")
        if not bool(torch.isfinite(num).all()):
            raise ValueError("a numeric feature is not finite")
        parts = [(num - self._mean) / self._std]
        for j, index in enumerate(self._index):
            block = torch.zeros(b, len(index), dtype=torch.float32)
            for i, row in enumerate(categorical):
                if len(row) != len(self._index):
                    raise ValueError(f"expected {len(self._index)} categorical values per row, got {len(row)}")
                k = index.get(row[j])
                if k is not None:  # unknown category: all-zero block
                    block[i, k] = 1.0
            parts.append(block)
        x = torch.cat(parts, dim=1)
        if self.sequence_length > 1:
            length = self.sequence_length
            idx = (torch.arange(b).unsqueeze(1) + torch.arange(-length + 1, 1).unsqueeze(0)).clamp(min=0)
            x = x[idx]
        return x

    def predict(self, numeric: Sequence[Sequence[float]], categorical: Sequence[Sequence[str]] = ()) -> List[float]:
        """Predictions for a batch of rows; raises on any model failure or non-finite output."""
        torch = self._torch
        if not categorical:
            categorical = [[] for _ in numeric]
        x = self.encode(numeric, categorical)
        with self._lock, torch.no_grad():
            out = self.module(x)
        if not isinstance(out, torch.Tensor):
            raise ValueError("the model did not return a tensor")
        if out.dim() == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if out.dim() != 1 or out.shape[0] != len(numeric):
            raise ValueError(f"the model returned shape {list(out.shape)}, expected [{len(numeric)}] or "
                             f"[{len(numeric)}, 1]")
        values = out.to(torch.float64).tolist()
        for v in values:
            if not math.isfinite(v):
                raise ValueError("the model returned a NaN or infinite prediction")
        return values

    def probe(self) -> None:
        """Runs the model once on a zero input of the described shape (models.md §3)."""
        if self._width is None:
            return
        torch = self._torch
        shape = [1, self._width] if self.sequence_length == 1 else [1, self.sequence_length, self._width]
        with self._lock, torch.no_grad():
            out = self.module(torch.zeros(shape, dtype=torch.float32))
        if not isinstance(out, torch.Tensor) or out.numel() != 1:
            raise ModelLoadError(f"does not accept the input its metadata describes ({self._width} values per row)")


def _load_bytes(data: bytes, version: Optional[str], sha256: str, path: str) -> ServedModel:
    import torch

    extra = {"mldeck.json": ""}
    try:
        module = torch.jit.load(io.BytesIO(data), map_location="cpu", _extra_files=extra)
    except Exception as e:
        raise ModelLoadError(f"{path}: not a TorchScript model file ({str(e).splitlines()[0] if str(e) else e!r})")
    module.eval()
    meta = None
    raw = extra.get("mldeck.json") or ""
    if raw:
        try:
            meta = json.loads(raw)
        except ValueError as e:
            raise ModelLoadError(f"{path}: metadata mldeck.json is not valid JSON ({e})")
    if version is None:
        m = (meta or {}).get("model", {}) if isinstance(meta, dict) else {}
        version = f"{m.get('name')}@{m.get('version')}" if m.get("version") else path.rsplit("/", 1)[-1]
    try:
        model = ServedModel(module, meta, version, sha256, path)
        model.probe()
    except ModelLoadError as e:
        raise ModelLoadError(f"{path}: {e}")
    except Exception as e:
        raise ModelLoadError(f"{path}: does not accept the input its metadata describes: {str(e).splitlines()[0]}")
    return model


def load_verified(ref: ChampionRef) -> ServedModel:
    """Loads a registered model: SHA-256 first (of the bytes then loaded), then TorchScript and probe."""
    try:
        with open(ref.path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ModelLoadError(f"{ref.path}: cannot read the model file ({e.strerror or e})")
    digest = hashlib.sha256(data).hexdigest()
    if digest != ref.sha256.lower():
        raise ModelLoadError(
            f"{ref.path} does not match the registry (SHA-256 {digest}, expected {ref.sha256}, {len(data)} bytes): "
            "it was changed, truncated or replaced after registration, so it was not loaded")
    return _load_bytes(data, ref.version, digest, ref.path)


def load_file(path: str) -> ServedModel:
    """Loads a model file directly (no registry check): for a model shipped with the service."""
    with open(path, "rb") as f:
        data = f.read()
    return _load_bytes(data, None, hashlib.sha256(data).hexdigest(), path)


class ChampionFollower:
    """Serves the champion of each followed deployment; a background thread follows changes."""

    def __init__(
        self,
        redis_factory: Callable[[], "redis.Redis"],
        pg_url: Optional[str],
        deployments: Sequence[str],
        *,
        reread_s: float = 5.0,
        failed_retry_s: float = 30.0,
        loader: Callable[[ChampionRef], ServedModel] = load_verified,
        on_switch: Optional[Callable[[str, Optional[ServedModel], ServedModel], None]] = None,
    ) -> None:
        self._redis_factory = redis_factory
        self._pg_url = pg_url
        self._deployments = list(deployments)
        self._reread_s = reread_s
        self._failed_retry_s = failed_retry_s
        self._loader = loader
        self._on_switch = on_switch
        self._served: Dict[str, ServedModel] = {}
        self._wanted: Dict[str, ChampionRef] = {}
        self._failed: Dict[str, tuple] = {}  # deployment -> (ref, monotonic time)
        self._errors: Dict[str, str] = {}
        self._switches = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._first_pass = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="mldeck-champion", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_ready(self, timeout: float) -> bool:
        """Waits for the first read-and-load pass (successful or not)."""
        return self._first_pass.wait(timeout)

    def model(self, deployment: str) -> Optional[ServedModel]:
        """The model serving ``deployment`` now, or None when no champion could be loaded yet."""
        return self._served.get(deployment)

    def status(self) -> Dict[str, object]:
        with self._lock:
            return {
                "served": {d: m.version for d, m in self._served.items()},
                "errors": dict(self._errors),
                "switches": self._switches,
            }

    # ------------------------------------------------------------------ reading the champion

    def read(self, conn: Optional["redis.Redis"], deployment: str) -> Optional[ChampionRef]:
        """The champion as published: the Redis hash, else PostgreSQL. None when there is none."""
        if conn is not None:
            try:
                fields = conn.hgetall(champion_key(deployment))
                if fields:
                    version = fields.get(b"version", b"").decode()
                    sha = fields.get(b"sha256", b"").decode()
                    path = fields.get(b"path", b"").decode()
                    if version and sha and path:
                        return ChampionRef(version, sha, path)
                    _log.warning("incomplete champion hash for %s; reading PostgreSQL", deployment)
            except redis.ResponseError as e:
                _log.warning("cannot read the champion of %s from Redis (%s); reading PostgreSQL", deployment, e)
        if not self._pg_url:
            return None
        import psycopg

        with psycopg.connect(self._pg_url, connect_timeout=5, application_name="mldeck-backend-champion") as pg:
            row = pg.execute(
                "SELECT m.version, m.sha256, m.file_path FROM mldeck.model_aliases a "
                "JOIN mldeck.models m ON m.id = a.model_id AND m.deployment = a.deployment "
                "WHERE a.deployment = %s AND a.alias = 'champion'", (deployment,)).fetchone()
        return ChampionRef(row[0], row[1], row[2]) if row else None

    def _set_error(self, deployment: str, text: str) -> None:
        with self._lock:
            if text:
                self._errors[deployment] = text
            else:
                self._errors.pop(deployment, None)

    def _refresh(self, conn: "redis.Redis", deployment: str, hinted: bool) -> None:
        try:
            ref = self.read(conn, deployment)
        except redis.RedisError:
            raise
        except Exception as e:
            self._set_error(deployment, f"cannot read the champion: {e}")
            return
        # No champion (any more): keep serving what we serve; a backend never stops.
        if ref is None or ref == self._wanted.get(deployment):
            self._set_error(deployment, "")
            return
        failed = self._failed.get(deployment)
        if failed and failed[0] == ref and not hinted and time.monotonic() - failed[1] < self._failed_retry_s:
            return
        try:
            model = self._loader(ref)
        except Exception as e:
            text = f"Champion version {ref.version} cannot be served: {e}"
            self._failed[deployment] = (ref, time.monotonic())
            self._set_error(deployment, text)
            _log.warning("%s - still serving %s", text,
                         self._served[deployment].version if deployment in self._served else "the fallback")
            return
        old = self._served.get(deployment)
        self._wanted[deployment] = ref
        self._failed.pop(deployment, None)
        self._served[deployment] = model  # the atomic switch: one reference assignment
        with self._lock:
            self._switches += 1
            self._errors.pop(deployment, None)
        _log.info("champion %s of %s loaded (sha256 %s...); switched", ref.version, deployment, ref.sha256[:12])
        if self._on_switch is not None:
            try:
                self._on_switch(deployment, old, model)
            except Exception:
                _log.exception("champion switch callback failed")

    def _refresh_all(self, conn: "redis.Redis", hinted: Optional[str] = None) -> None:
        for d in self._deployments:
            self._refresh(conn, d, hinted == d)

    def _loop(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            conn = pubsub = None
            try:
                conn = self._redis_factory()
                pubsub = conn.pubsub()
                pubsub.subscribe(MODELS_CHANNEL)
                deadline = time.monotonic() + 5.0
                while True:
                    msg = pubsub.get_message(timeout=0.5)
                    if msg is not None and msg.get("type") == "subscribe":
                        break
                    if time.monotonic() > deadline:
                        raise redis.ConnectionError("no subscribe confirmation from Redis within 5 s")
                self._refresh_all(conn)
                self._first_pass.set()
                backoff = 0.1
                last_read = time.monotonic()
                while not self._stop.is_set():
                    msg = pubsub.get_message(timeout=0.25)
                    now = time.monotonic()
                    if msg is not None and msg.get("type") == "message":
                        deployment = None
                        try:
                            deployment = json.loads(msg.get("data")).get("deployment")
                        except Exception:
                            pass
                        if not deployment:  # unparsable: re-reading is safe
                            self._refresh_all(conn)
                        elif deployment in self._deployments:
                            self._refresh(conn, deployment, True)
                        last_read = now
                    elif now - last_read >= self._reread_s:
                        self._refresh_all(conn)
                        last_read = now
            except Exception as e:
                if self._stop.is_set():
                    break
                for d in self._deployments:
                    self._set_error(d, f"cannot follow the champion in Redis: {e}")
                if not self._first_pass.is_set():
                    # Redis down at start: PostgreSQL is the record; serve its champion meanwhile.
                    try:
                        for d in self._deployments:
                            self._refresh(None, d, False)  # type: ignore[arg-type]
                    except Exception:
                        pass
                    self._first_pass.set()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
            finally:
                for closable in (pubsub, conn):
                    try:
                        if closable is not None:
                            closable.close()
                    except Exception:
                        pass
