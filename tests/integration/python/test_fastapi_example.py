"""The worked FastAPI service (examples/fastapi_eta) end to end: served by uvicorn in its own process,
driven over HTTP, steered with mldeckctl, checked in PostgreSQL after a graceful stop."""

from __future__ import annotations

import csv
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
from typing import Any, Dict, Iterator, List, Tuple

import psycopg
import pytest

from conftest import (CLIENT_DIR, EXAMPLES_DIR, SOURCE_DIR, assert_kpi_equals_recomputation, free_port, run_ctl,
                      unique, wait_until)
from fastapi_eta.domain import CATEGORICAL, NUMERIC, heuristic_delay
from fastapi_eta.loadgen import LoadGenerator, read_rides

FIXTURE = os.path.join(SOURCE_DIR, "resources", "models", "fixtures", "eta_fixture.csv")
EXPECTED = os.path.join(SOURCE_DIR, "resources", "models", "fixtures", "eta_expected.csv")


class Service:
    """``uvicorn --factory fastapi_eta.app:create_app`` in a subprocess on a free port."""

    def __init__(self, redis_url: str, pg_url: str, deployment: str, spool_dir: str, log_path: str) -> None:
        self.port = free_port()
        env = dict(os.environ, MLDECK_REDIS_URL=redis_url, MLDECK_PG_URL=pg_url, ETA_DEPLOYMENT=deployment,
                   ETA_SPOOL_DIR=spool_dir, PYTHONPATH=f"{CLIENT_DIR}:{EXAMPLES_DIR}", PYTHONDONTWRITEBYTECODE="1")
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "fastapi_eta.app:create_app",
                                      "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._up, 60, 0.05, "the ETA service to answer /health")

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"the service exited with {self.proc.returncode}:\n{self.output()}")
        try:
            return self.get("/health")[0] == 200
        except OSError:
            return False

    def output(self) -> str:
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def _request(self, method: str, path: str, body: Any = None) -> Tuple[int, Dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, None if body is None else json.dumps(body),
                         {"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    def post_raw(self, path: str, text: str) -> Tuple[int, Dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", path, text, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    def get(self, path: str) -> Tuple[int, Dict[str, Any]]:
        return self._request("GET", path)

    def post(self, path: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        return self._request("POST", path, body)

    def stop(self) -> int:
        """Graceful stop (SIGINT, as Ctrl-C): the shutdown handler closes the client, which flushes."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
        return self.proc.returncode


def _with_infinite_rain(key: str, features: Dict[str, Any]) -> str:
    """A request whose rain_mm is 1e999 (JSON for +infinity once parsed): the model refuses a
    non-finite input, the heuristic still answers (rain > 0 adds 2 minutes)."""
    body = json.dumps({"request_key": key, "features": dict(features, rain_mm=12345.5)})
    return body.replace("12345.5", "1e999")


def _rides() -> Tuple[List[Dict[str, Any]], List[float]]:
    with open(FIXTURE, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(EXPECTED, newline="") as f:
        mlp = [float(r["eta_mlp"]) for r in csv.DictReader(f)]
    feats = []
    for r in rows:
        x: Dict[str, Any] = {n: float(r[n]) for n in NUMERIC}
        x.update({n: r[n] for n in CATEGORICAL})
        feats.append(x)
    return feats, mlp


@pytest.fixture
def workdir() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="mldeck-py-eta.")
    yield d
    for root, _, files in os.walk(d):
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)
    import shutil

    shutil.rmtree(d, ignore_errors=True)


def test_fastapi_eta_end_to_end(redis_url: str, scratch_db, mldeckctl: str, workdir: str) -> None:
    d = unique("pyeta")
    pg, store = scratch_db.url, os.path.join(workdir, "store")
    ctl = lambda *a: run_ctl(mldeckctl, *a)  # noqa: E731
    ctl("flags", "init", "--deployment", d, "--enabled", "1", "--percentage", "100", "--redis", redis_url)
    svc = Service(redis_url, pg, d, os.path.join(workdir, "spool"), os.path.join(workdir, "service.log"))
    sent: List[Tuple[str, str]] = []  # (request key, expected path)
    try:
        feats, mlp = _rides()

        def predict(i: int, key: str, features: Dict[str, Any] = None) -> Tuple[int, Dict[str, Any]]:
            return svc.post("/predict", {"request_key": key, "features": features or feats[i]})

        # 1. ML at 100 %, no champion yet: the demo MLP stands in (as in mldeckctl simulate).
        for i in range(10):
            status, body = predict(i, f"a-{i}")
            assert status == 200 and body["path"] == "ml" and body["model_version"] == "eta_mlp@1.0.0", body
            assert abs(body["delay_min"] - mlp[i]) < 1e-4
            sent.append((f"a-{i}", "ml"))

        # 2. The champion is registered and promoted with mldeckctl: the service switches to it.
        v1 = json.loads(ctl("models", "register", os.path.join(SOURCE_DIR, "resources", "models", "eta_mlp.pt"),
                            "--deployment", d, "--store", store, "--pg", pg, "--json").stdout)["model"]["version"]
        ctl("models", "promote", v1, "--deployment", d, "--pg", pg, "--redis", redis_url)
        wait_until(lambda: svc.get("/health")[1]["champion"] == v1, 5, 0.02, "the service to serve the champion")
        status, body = predict(0, "b-0")
        assert status == 200 and body["path"] == "ml" and body["model_version"] == v1
        assert abs(body["delay_min"] - mlp[0]) < 1e-4
        sent.append(("b-0", "ml"))

        # 3. Flags at 0 %: the heuristic answers, within 100 ms of the change.
        ctl("flags", "set", "--deployment", d, "--enabled", "1", "--percentage", "0", "--redis", redis_url, "--pg", pg)
        wait_until(lambda: predict(1, "probe-0")[1]["path"] == "heuristic", 2, 0.01, "the heuristic")
        sent.append(("probe-0", "heuristic"))
        status, body = predict(2, "c-0")
        numeric = [feats[2][n] for n in NUMERIC]
        assert body["path"] == "heuristic" and body["model_version"] is None
        assert body["delay_min"] == pytest.approx(heuristic_delay(numeric))
        sent.append(("c-0", "heuristic"))

        # 4. A model error (a non-finite input the model refuses) falls back on the heuristic...
        ctl("flags", "set", "--deployment", d, "--enabled", "1", "--percentage", "100", "--fallback", "1",
            "--redis", redis_url, "--pg", pg)
        wait_until(lambda: svc.get("/health")[1]["client"]["flags"]["deployments"][d]["ml_traffic_percentage"] == 100,
                   2, 0.01, "100 %")
        status, body = svc.post_raw("/predict", _with_infinite_rain("d-0", feats[3]))
        assert status == 200 and body["path"] == "fallback", body
        sent.append(("d-0", "fallback"))
        # ... and without fallback_on_error it is an HTTP 503, logged as a failed ML row.
        ctl("flags", "set", "--deployment", d, "--enabled", "1", "--percentage", "100", "--fallback", "0",
            "--redis", redis_url, "--pg", pg)
        wait_until(lambda: not svc.get("/health")[1]["client"]["flags"]["deployments"][d]["fallback_on_error"],
                   2, 0.01, "fallback off")
        status, _ = svc.post_raw("/predict", _with_infinite_rain("e-0", feats[4]))
        assert status == 503
        sent.append(("e-0", "ml-failed"))

        # 5. Outcomes and feedback.
        for i in range(10):
            assert svc.post("/outcome", {"request_key": f"a-{i}", "actual_delay_min": 5.0 + i})[0] == 200
        assert svc.post("/feedback", {"request_key": "a-1", "positive": False, "comment": "late",
                                      "user_id": "rider@example.com"})[0] == 200

        # 6. A new champion (the LSTM, a sequence model) while the load generator runs.
        ctl("flags", "set", "--deployment", d, "--enabled", "1", "--percentage", "50", "--fallback", "1",
            "--redis", redis_url, "--pg", pg)
        v2 = json.loads(ctl("models", "register", os.path.join(SOURCE_DIR, "resources", "models", "eta_lstm.pt"),
                            "--deployment", d, "--store", store, "--pg", pg, "--json").stdout)["model"]["version"]
        gen = LoadGenerator(f"http://127.0.0.1:{svc.port}", read_rides(FIXTURE), 100, outcome_delay_s=0.2)
        ctl("models", "promote", v2, "--deployment", d, "--pg", pg, "--redis", redis_url)
        stats = gen.run(seconds=2.0)
        assert stats.errors == 0, stats.last_error
        assert stats.sent >= 150 and stats.paths.get("ml", 0) > 0 and stats.paths.get("heuristic", 0) > 0
        wait_until(lambda: svc.get("/health")[1]["champion"] == v2, 5, 0.02, "the LSTM champion")
        health = svc.get("/health")[1]
        assert health["client"]["logging"]["dropped_buffer_full"] == 0
    finally:
        rc = svc.stop()
    assert rc == 0, svc.output()

    with psycopg.connect(pg) as c:
        rows = dict(((k, (p, f, v)) for k, p, f, v in c.execute(
            "SELECT request_key, path, failed, model_version FROM mldeck.predictions WHERE deployment = %s", (d,))))
        total = c.execute("SELECT count(*) FROM mldeck.predictions WHERE deployment = %s", (d,)).fetchone()[0]
        assert total == len(sent) + stats.sent  # every answer logged once, flushed at shutdown
        for key, path in sent:
            p, failed, version = rows[key]
            if path == "ml-failed":
                assert (p, failed) == ("ml", True)
            else:
                assert p == path and failed == (path == "fallback"), key
        assert rows["b-0"][2] == v1 and rows["a-0"][2] == "eta_mlp@1.0.0" and rows["c-0"][2] is None
        versions = {r[0] for r in c.execute("SELECT DISTINCT model_version FROM mldeck.predictions WHERE "
                                            "deployment = %s AND request_key LIKE 'ride-%%' AND path = 'ml'", (d,))}
        assert v2 in versions  # the load generator's rides were served by the new champion
        outcomes = c.execute("SELECT count(*) FROM mldeck.outcomes WHERE deployment = %s", (d,)).fetchone()[0]
        assert outcomes == 10 + stats.outcomes
        fb = c.execute("SELECT user_pseudonym FROM mldeck.feedback WHERE deployment = %s AND request_key = 'a-1'",
                       (d,)).fetchone()
        assert fb is not None and len(fb[0]) == 64 and "@" not in fb[0]
        schema = c.execute("SELECT count(*) FROM mldeck.feature_schemas WHERE deployment = %s", (d,)).fetchone()[0]
        assert schema == 1
    assert_kpi_equals_recomputation(pg, d)
