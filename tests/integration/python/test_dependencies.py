"""report_dependency: the contract's hash with its expiry, the fallback's start kept across reports,
MLDeck's own reader (mldeckctl deps) agreeing, expiry to unknown, and a Redis outage that never
raises into the caller (real servers)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Iterator

import pytest
import redis

from conftest import PrivateRedis, run_ctl, unique, wait_until
from mldeck_backend import ClientConfig, MLDeckClient

INTERVAL = 0.4  # reports every 0.4 s, expiring after 1.2 s


def _parse(ts: str) -> datetime:
    assert ts.endswith("Z") and len(ts) == len("2024-06-01T12:00:00.123Z"), ts
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


@pytest.fixture
def deployment() -> str:
    return unique("pydeps")


@pytest.fixture
def client(redis_url: str, admin_pg_url: str, spool_dir: str, deployment: str) -> Iterator[MLDeckClient]:
    c = MLDeckClient(ClientConfig(redis_url=redis_url, pg_url=admin_pg_url, deployments=[deployment],
                                  spool_dir=spool_dir, dependency_report_s=INTERVAL))
    c.start(10)
    yield c
    c.close()


def _hash(r: redis.Redis, deployment: str, name: str = "weather") -> dict:
    return {k.decode(): v.decode() for k, v in r.hgetall(f"mldeck:dep:{deployment}:{name}").items()}


def _deps(mldeckctl: str, redis_url: str, deployment: str) -> tuple:
    p = run_ctl(mldeckctl, "deps", "--deployment", deployment, "--redis", redis_url, "--json", check=False)
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, json.loads(p.stdout)["dependencies"]


def test_outage_and_recovery_follow_the_contract(client: MLDeckClient, redis_url: str, deployment: str,
                                                 mldeckctl: str) -> None:
    r = redis.Redis.from_url(redis_url)
    assert client.report_dependency("weather", "up", False)
    wait_until(lambda: _hash(r, deployment).get("state") == "up", 5, what="the first report")
    assert r.smembers(f"mldeck:deps:{deployment}") == {b"weather"}
    assert 0 < r.pttl(f"mldeck:dep:{deployment}:weather") <= 1200

    before = time.time()
    assert client.report_dependency("weather", "down", True, "HTTP 503 from the weather API")
    h = wait_until(lambda: (lambda h: h if h.get("state") == "down" else None)(_hash(r, deployment)), 5,
                   what="the outage report")
    assert h["fallback_active"] == "1"
    assert h["last_error"] == "HTTP 503 from the weather API"
    assert h["reported_by"].startswith("mldeck-backend@")
    since = _parse(h["fallback_since"])
    assert abs(since.timestamp() - before) < 1.0
    _parse(h["updated_at"])

    # Later reports of the same outage keep its start, and rewrite updated_at.
    first_update = h["updated_at"]
    assert client.report_dependency("weather", "down", True, "timeout")
    wait_until(lambda: _hash(r, deployment).get("updated_at", first_update) > first_update, 5, what="a new report")
    assert _hash(r, deployment)["fallback_since"] == h["fallback_since"]

    # MLDeck's own reader agrees: down, in fallback, exit code 1.
    code, deps = _deps(mldeckctl, redis_url, deployment)
    assert code == 1
    assert deps[0]["name"] == "weather" and deps[0]["state"] == "down" and deps[0]["fallback_active"] is True
    assert deps[0]["fallback_since"] == h["fallback_since"]

    # Recovery: the fallback fields are gone, not left over.
    assert client.report_dependency("weather", "up", False)
    wait_until(lambda: _hash(r, deployment).get("state") == "up", 5, what="the recovery report")
    assert "fallback_since" not in _hash(r, deployment) and "last_error" not in _hash(r, deployment)
    code, deps = _deps(mldeckctl, redis_url, deployment)
    assert code == 0 and deps[0]["state"] == "up"


def test_a_stopped_backend_reads_as_unknown(client: MLDeckClient, redis_url: str, deployment: str,
                                            mldeckctl: str) -> None:
    r = redis.Redis.from_url(redis_url)
    client.report_dependency("weather", "degraded", False)
    wait_until(lambda: _hash(r, deployment).get("state") == "degraded", 5, what="the report")
    client.close()
    wait_until(lambda: not r.exists(f"mldeck:dep:{deployment}:weather"), 5, what="the report to expire")
    code, deps = _deps(mldeckctl, redis_url, deployment)
    assert code == 1
    assert deps[0]["state"] == "unknown" and "expiry" in deps[0]["unknown_reason"]


def test_bad_arguments_are_refused_without_raising(client: MLDeckClient, redis_url: str, deployment: str) -> None:
    assert not client.report_dependency("weather", "UP", False)
    assert not client.report_dependency("Weather API", "up", False)
    assert not client.report_dependency("weather", "up", False, deployment="not:a:name")
    time.sleep(INTERVAL * 2)  # nothing may appear: give the thread two rounds
    assert not redis.Redis.from_url(redis_url).exists(f"mldeck:deps:{deployment}")


def test_redis_outage_never_raises_and_reporting_resumes(private_redis: PrivateRedis, admin_pg_url: str,
                                                         spool_dir: str) -> None:
    dep = unique("pydeps")
    c = MLDeckClient(ClientConfig(redis_url=private_redis.url, pg_url=admin_pg_url, deployments=[dep],
                                  spool_dir=spool_dir, dependency_report_s=INTERVAL, redis_timeout_s=0.5))
    c.start(10)
    try:
        r = redis.Redis.from_url(private_redis.url, socket_timeout=1)
        c.report_dependency("weather", "down", True, "refused")
        wait_until(lambda: r.exists(f"mldeck:dep:{dep}:weather"), 5, what="the report")
        private_redis.stop()
        t0 = time.perf_counter()
        assert c.report_dependency("weather", "down", True, "still refused")  # memory only: never waits
        assert time.perf_counter() - t0 < 0.05
        wait_until(lambda: c.stats()["dependencies"]["failed_rounds"] > 0, 5, what="a failed round")
        private_redis.start()
        r = redis.Redis.from_url(private_redis.url, socket_timeout=1)
        h = wait_until(lambda: r.hgetall(f"mldeck:dep:{dep}:weather"), 5, what="reporting to resume")
        assert h[b"last_error"] == b"still refused"
    finally:
        c.close()
