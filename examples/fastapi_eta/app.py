"""A FastAPI serving backend for the ``eta`` deployment, wired to MLDeck with ``mldeck_backend``.

Per request (``POST /predict``): the flags decide ML or heuristic (``should_use_ml``, from memory);
on the ML path the current champion predicts (the demo MLP stands in while there is no champion,
as in ``mldeckctl simulate``); a model error is answered with the heuristic when
``fallback_on_error`` is 1 (logged with path ``fallback``), else with HTTP 503 (logged as a failed
``ml`` row). Every answer is logged through the client's buffer; ground truth
(``POST /outcome``) and user feedback (``POST /feedback``, the user id pseudonymised) too.

Run: ``uvicorn --factory fastapi_eta.app:create_app`` with ``PYTHONPATH=clients/python:examples``
and ``MLDECK_REDIS_URL`` / ``MLDECK_PG_URL`` set (see README.md next to this file).

Settings (environment): ``ETA_DEPLOYMENT`` (eta), ``ETA_SPOOL_DIR`` (the client's default),
``ETA_REGISTER_DEPLOYMENT`` (1: register the deployment and its feature schema at start; needs a
role that may), ``ETA_STANDIN_MODEL`` (the demo MLP; empty: heuristic until a champion is loaded),
``ETA_TORCH_THREADS`` (1), ``ETA_REDIS_STALE_AFTER_S`` (30).
"""

from __future__ import annotations

import collections
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Deque, Dict, List, Optional, Tuple

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from mldeck_backend import ClientConfig, MLDeckClient, ServedModel, load_file

from .domain import CATEGORICAL, DEMO_MODEL, DESCRIPTION, FEATURES, NUMERIC, heuristic_delay

_log = logging.getLogger("fastapi_eta")


class RideFeatures(BaseModel):
    """The features of a booked ride (the deployment's feature schema 1)."""

    distance_km: float
    planned_duration_min: float
    hour: float
    weekday: float
    traffic_index: float
    rain_mm: float
    temperature_c: float
    driver_load: float
    pickup_zone: str
    vehicle_type: str


class PredictRequest(BaseModel):
    request_key: str = Field(..., min_length=1, max_length=200, description="stable key, e.g. the booking id")
    features: RideFeatures


class PredictResponse(BaseModel):
    request_key: str
    delay_min: float
    path: str
    model_version: Optional[str]


class OutcomeRequest(BaseModel):
    request_key: str = Field(..., min_length=1, max_length=200)
    actual_delay_min: float
    observed_at: Optional[datetime] = None


class FeedbackRequest(BaseModel):
    request_key: str = Field(..., min_length=1, max_length=200)
    positive: bool
    comment: Optional[str] = Field(None, max_length=4000)
    user_id: Optional[str] = Field(None, description="pseudonymised by the service before logging")


@dataclass
class Settings:
    """The service's settings, from the environment by default."""

    redis_url: str = field(default_factory=lambda: os.environ.get("MLDECK_REDIS_URL", ""))
    pg_url: str = field(default_factory=lambda: os.environ.get("MLDECK_PG_URL", ""))
    deployment: str = field(default_factory=lambda: os.environ.get("ETA_DEPLOYMENT", "eta"))
    spool_dir: Optional[str] = field(default_factory=lambda: os.environ.get("ETA_SPOOL_DIR") or None)
    register_deployment: bool = field(default_factory=lambda: os.environ.get("ETA_REGISTER_DEPLOYMENT", "1") == "1")
    standin_model: str = field(default_factory=lambda: os.environ.get("ETA_STANDIN_MODEL", DEMO_MODEL))
    torch_threads: int = field(default_factory=lambda: int(os.environ.get("ETA_TORCH_THREADS", "1")))
    redis_stale_after_s: float = field(default_factory=lambda: float(os.environ.get("ETA_REDIS_STALE_AFTER_S", "30")))
    flush_interval_s: float = 1.0


class EtaService:
    """The request logic, independent of the web framework (one per process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.deployment = settings.deployment
        cfg = ClientConfig(redis_url=settings.redis_url, pg_url=settings.pg_url, deployments=[settings.deployment],
                           follow_champion=[settings.deployment], redis_stale_after_s=settings.redis_stale_after_s,
                           flush_interval_s=settings.flush_interval_s, application_name="fastapi-eta")
        if settings.spool_dir:
            cfg.spool_dir = settings.spool_dir
        self.client = MLDeckClient(cfg)
        self.feature_schema = 1
        self.standin: Optional[ServedModel] = None
        # Sequence models (e.g. the LSTM) see the last L requests (models.md §2, one at a time).
        self._history: Deque[Tuple[List[float], List[str]]] = collections.deque(maxlen=4096)
        self._history_lock = threading.Lock()
        self.counts: Dict[str, int] = collections.Counter()
        self._counts_lock = threading.Lock()

    def start(self) -> None:
        if self.settings.torch_threads > 0:
            import torch

            torch.set_num_threads(self.settings.torch_threads)  # this process's choice, not the client's
        if self.settings.register_deployment:
            self.feature_schema = self.client.ensure_deployment(self.deployment, DESCRIPTION, FEATURES)
        if self.settings.standin_model:
            try:
                self.standin = load_file(self.settings.standin_model)
            except Exception as e:
                _log.warning("stand-in model %s not loaded (%s): heuristic until a champion is loaded",
                             self.settings.standin_model, e)
        self.client.start(wait_s=15)
        m = self.client.model(self.deployment)
        _log.info("serving %s: champion %s", self.deployment,
                  m.version if m else f"none yet (stand-in {self.standin.version if self.standin else 'heuristic'})")

    def close(self) -> None:
        self.client.close()

    def current_model(self) -> Optional[ServedModel]:
        return self.client.model(self.deployment) or self.standin

    def _predict_ml(self, model: ServedModel, numeric: List[float], categorical: List[str]) -> float:
        if model.sequence_length == 1:
            return model.predict([numeric], [categorical])[0]
        with self._history_lock:
            window = list(self._history)[-(model.sequence_length - 1):] + [(numeric, categorical)]
        return model.predict([w[0] for w in window], [w[1] for w in window])[-1]

    def predict(self, req: PredictRequest) -> PredictResponse:
        t0 = time.perf_counter()
        d = self.deployment
        f = req.features
        numeric = [float(getattr(f, n)) for n in NUMERIC]
        categorical = [str(getattr(f, n)) for n in CATEGORICAL]
        on_ml = self.client.should_use_ml(d, req.request_key)
        path, failed, error, version, value = "heuristic", False, None, None, None
        if on_ml:
            model = self.current_model()
            version = model.version if model else None
            try:
                if model is None:
                    raise RuntimeError("no model loaded")
                value = self._predict_ml(model, numeric, categorical)
                path = "ml"
            except Exception as e:
                failed, error = True, f"{type(e).__name__}: {e}"[:500]
                if self.client.fallback_on_error(d):
                    path, value = "fallback", heuristic_delay(numeric)
                else:
                    path = "ml"
        else:
            value = heuristic_delay(numeric)
        with self._history_lock:
            self._history.append((numeric, categorical))
        latency_ms = (time.perf_counter() - t0) * 1000.0
        self.client.log_prediction(d, req.request_key, predicted=value, path=path, latency_ms=latency_ms,
                                   model_version=version, failed=failed, error=error, numeric=numeric,
                                   categorical=categorical, feature_schema=self.feature_schema)
        with self._counts_lock:
            self.counts[path] += 1
        if value is None:
            raise HTTPException(status_code=503, detail=f"the model failed and fallback_on_error is 0: {error}")
        return PredictResponse(request_key=req.request_key, delay_min=value, path=path,
                               model_version=version if path != "heuristic" else None)

    def outcome(self, req: OutcomeRequest) -> Dict[str, Any]:
        if not math.isfinite(req.actual_delay_min):
            raise HTTPException(status_code=422, detail="actual_delay_min must be a finite number")
        at = req.observed_at.timestamp() if req.observed_at else None
        ok = self.client.log_outcome(self.deployment, req.request_key, req.actual_delay_min, observed_at=at)
        if not ok:
            raise HTTPException(status_code=503, detail="outcome not logged (the log buffer is full)")
        return {"logged": True}

    def feedback(self, req: FeedbackRequest) -> Dict[str, Any]:
        pseudonym = self.client.pseudonymize(req.user_id) if req.user_id else None
        ok = self.client.log_feedback(self.deployment, req.request_key, req.positive, comment=req.comment,
                                      user_pseudonym=pseudonym)
        if not ok:
            raise HTTPException(status_code=503, detail="feedback not logged (the log buffer is full)")
        return {"logged": True}

    def _paths(self) -> Dict[str, int]:
        with self._counts_lock:
            return dict(self.counts)

    def health(self) -> Dict[str, Any]:
        champion = self.client.model(self.deployment)
        served = self.current_model()
        return {
            "deployment": self.deployment,
            "model_version": served.version if served else None,
            "champion": champion.version if champion else None,
            "paths": self._paths(),
            "client": self.client.stats(),
        }


def create_app(settings: Optional[Settings] = None) -> FastAPI:
    """The FastAPI application (``uvicorn --factory fastapi_eta.app:create_app``)."""
    service = EtaService(settings or Settings())
    app = FastAPI(title="ETA service (MLDeck worked example)", version="1.0")
    app.state.service = service

    @app.on_event("startup")
    def _startup() -> None:
        service.start()

    @app.on_event("shutdown")
    def _shutdown() -> None:
        service.close()

    @app.post("/predict", response_model=PredictResponse)
    def predict(req: PredictRequest) -> PredictResponse:
        return service.predict(req)

    @app.post("/outcome")
    def outcome(req: OutcomeRequest) -> Dict[str, Any]:
        return service.outcome(req)

    @app.post("/feedback")
    def feedback(req: FeedbackRequest) -> Dict[str, Any]:
        return service.feedback(req)

    @app.get("/health")
    def health() -> Dict[str, Any]:
        return service.health()

    return app
