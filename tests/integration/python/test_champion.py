"""Champion following: promotions made with mldeckctl are served, a tampered file is refused before
torch.jit.load and the previous model keeps serving, PostgreSQL stands in for a missing Redis hash."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import tempfile
import time
from typing import Iterator, List, Tuple

import pytest
import redis

from conftest import SOURCE_DIR, run_ctl, unique, wait_until
from fastapi_eta.domain import CATEGORICAL, DESCRIPTION, FEATURES, NUMERIC
from mldeck_backend import ClientConfig, MLDeckClient

MODELS = os.path.join(SOURCE_DIR, "resources", "models")


def _fixture() -> Tuple[List[List[float]], List[List[str]], List[float], List[float]]:
    with open(os.path.join(MODELS, "fixtures", "eta_fixture.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(MODELS, "fixtures", "eta_expected.csv"), newline="") as f:
        expected = list(csv.DictReader(f))
    numeric = [[float(r[n]) for n in NUMERIC] for r in rows]
    categorical = [[r[n] for n in CATEGORICAL] for r in rows]
    return numeric, categorical, [float(e["eta_mlp"]) for e in expected], [float(e["eta_lstm"]) for e in expected]


@pytest.fixture
def store() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="mldeck-py-store.")
    yield d
    for root, dirs, files in os.walk(d):
        for name in files:
            os.chmod(os.path.join(root, name), stat.S_IRUSR | stat.S_IWUSR)
    shutil.rmtree(d, ignore_errors=True)


def _register(mldeckctl: str, pg_url: str, store: str, deployment: str, model: str) -> dict:
    out = run_ctl(mldeckctl, "models", "register", model, "--deployment", deployment, "--store", store,
                  "--pg", pg_url, "--json").stdout
    return json.loads(out)["model"]


def _promote(mldeckctl: str, pg_url: str, redis_url: str, deployment: str, version: str) -> None:
    run_ctl(mldeckctl, "models", "promote", version, "--deployment", deployment, "--pg", pg_url, "--redis", redis_url,
            "--reason", "python client test")


def test_promotion_switch_tamper_and_postgres_fallback(redis_url: str, scratch_db, spool_dir: str, mldeckctl: str,
                                                       store: str) -> None:
    d = unique("pychamp")
    numeric, categorical, expected_mlp, expected_lstm = _fixture()
    cfg = ClientConfig(redis_url=redis_url, pg_url=scratch_db.url, deployments=[d], follow_champion=[d],
                       spool_dir=spool_dir, champion_failed_retry_s=30)
    client = MLDeckClient(cfg)
    assert client.ensure_deployment(d, DESCRIPTION, FEATURES) == 1
    assert client.ensure_deployment(d, DESCRIPTION, FEATURES) == 1  # idempotent
    v1 = _register(mldeckctl, scratch_db.url, store, d, os.path.join(MODELS, "eta_mlp.pt"))
    v2 = _register(mldeckctl, scratch_db.url, store, d, os.path.join(MODELS, "eta_lstm.pt"))
    try:
        assert client.start(30)
        assert client.model(d) is None  # no champion yet: the service decides what stands in

        _promote(mldeckctl, scratch_db.url, redis_url, d, v1["version"])
        t = time.monotonic()
        wait_until(lambda: client.model(d) is not None and client.model(d).version == v1["version"], 3,
                   what="champion v1")
        first = time.monotonic() - t
        m = client.model(d)
        assert m.sha256 == v1["sha256"] and m.feature_schema == 1
        # The input encoding of models.md: the same predictions as Python made at export time.
        got = m.predict(numeric, categorical)
        assert max(abs(a - b) for a, b in zip(got, expected_mlp)) < 1e-5

        _promote(mldeckctl, scratch_db.url, redis_url, d, v2["version"])
        t = time.monotonic()
        wait_until(lambda: client.model(d).version == v2["version"], 3, what="champion v2 (LSTM)")
        second = time.monotonic() - t
        lstm = client.model(d)
        assert lstm.sequence_length == 12
        got = lstm.predict(numeric, categorical)
        assert max(abs(a - b) for a, b in zip(got, expected_lstm)) < 1e-5
        print(f"champion followed {first * 1000:.0f} ms / {second * 1000:.0f} ms after mldeckctl models promote returned")

        # PostgreSQL is the record: with the Redis hash gone a new client still finds the champion.
        redis.Redis.from_url(redis_url).delete(f"mldeck:champion:{d}")
        other = MLDeckClient(ClientConfig(redis_url=redis_url, pg_url=scratch_db.url, follow_champion=[d],
                                          spool_dir=spool_dir))
        try:
            assert other.start(30)
            assert other.model(d) is not None and other.model(d).version == v2["version"]
        finally:
            other.close()

        # A tampered champion file is refused before torch.jit.load; v2 keeps serving.
        path = v1["path"]
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        with open(path, "ab") as f:
            f.write(b"tampered")
        _promote(mldeckctl, scratch_db.url, redis_url, d, v1["version"])
        wait_until(lambda: d in client.stats()["champion"]["errors"], 5, what="the refusal")
        error = client.stats()["champion"]["errors"][d]
        assert "does not match the registry" in error and v1["version"] in error, error
        assert client.model(d) is lstm and lstm.version == v2["version"]
        assert len(lstm.predict(numeric[:3], categorical[:3])) == 3
        assert client.stats()["champion"]["switches"] == 2
    finally:
        client.close()
