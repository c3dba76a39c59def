"""Flags: live changes made with mldeckctl, rollback, invalid values, Redis outage (real servers)."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import datetime, timezone
from typing import Iterator

import pytest
import redis

from conftest import PrivateRedis, run_ctl, unique, wait_until
from mldeck_backend import ClientConfig, MLDeckClient

KEYS = [f"booking-{i}" for i in range(2000)]


def _client(redis_url: str, pg_url: str, spool_dir: str, deployment: str, **kw: object) -> MLDeckClient:
    cfg = ClientConfig(redis_url=redis_url, pg_url=pg_url, deployments=[deployment], spool_dir=spool_dir, **kw)
    client = MLDeckClient(cfg)
    assert client.start(10)
    return client


def _ml_share(client: MLDeckClient, deployment: str) -> float:
    return sum(client.should_use_ml(deployment, k) for k in KEYS) / len(KEYS) * 100


@pytest.fixture
def deployment() -> str:
    return unique("pyflags")


@pytest.fixture
def client(redis_url: str, scratch_db, spool_dir: str, deployment: str) -> Iterator[MLDeckClient]:
    c = _client(redis_url, scratch_db.url, spool_dir, deployment)
    yield c
    c.close()


def _observe_change(client: MLDeckClient, deployment: str, cmd: list, expect_version: int) -> float:
    """Runs mldeckctl and measures when the client sees the new version, against the write's
    updated_at (set by the Lua script that writes and publishes): returns the delay in ms."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_at = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.flags(deployment).version >= expect_version:
            seen_at = time.time()
            break
        time.sleep(0.0002)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, out + err
    assert seen_at is not None, "the client never saw the change"
    state = client.flags(deployment)
    written = datetime.strptime(state.updated_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
    # updated_at has millisecond resolution (floored): allow that 1 ms.
    return (seen_at - written) * 1000.0


def test_change_made_with_mldeckctl_is_seen_within_100_ms(client: MLDeckClient, deployment: str, redis_url: str,
                                                          scratch_db, mldeckctl: str) -> None:
    assert not client.should_use_ml(deployment, "booking-1")  # no flags yet: ML off
    run_ctl(mldeckctl, "flags", "init", "--deployment", deployment, "--redis", redis_url)
    wait_until(lambda: client.flags(deployment).version == 1, 5, what="the initial flags")
    delays = []
    for i, pct in enumerate((10, 25, 50, 100, 30)):
        cmd = [mldeckctl, "flags", "set", "--deployment", deployment, "--enabled", "1", "--percentage", str(pct),
               "--redis", redis_url, "--pg", scratch_db.url, "--reason", "python client test"]
        delays.append(_observe_change(client, deployment, cmd, 2 + i))
        state = client.flags(deployment)
        assert state.valid and state.ml_enabled and state.ml_traffic_percentage == pct
        share = _ml_share(client, deployment)
        assert abs(share - pct) <= 4, (pct, share)
    print(f"flag change seen after {', '.join(f'{d:.2f}' for d in delays)} ms (from updated_at)")
    assert max(delays) <= 100 + 1, delays


def test_rollback_is_seen(client: MLDeckClient, deployment: str, redis_url: str, scratch_db, mldeckctl: str) -> None:
    run_ctl(mldeckctl, "flags", "init", "--deployment", deployment, "--enabled", "1", "--percentage", "100",
            "--redis", redis_url)
    wait_until(lambda: client.should_use_ml(deployment, "booking-7"), 5, what="ML at 100 %")
    assert _ml_share(client, deployment) == 100
    delay = _observe_change(client, deployment, [mldeckctl, "flags", "rollback", "--deployment", deployment,
                                                 "--redis", redis_url, "--pg", scratch_db.url,
                                                 "--reason", "python client test"], 2)
    assert delay <= 101, delay
    state = client.flags(deployment)
    assert state.valid and not state.ml_enabled and state.ml_traffic_percentage == 0
    assert _ml_share(client, deployment) == 0



def test_read_only_user_follows_flags_and_cannot_change_them(deployment: str, redis_url: str, scratch_db,
                                                             spool_dir: str, mldeckctl: str) -> None:
    """A backend on the read-only Redis ACL user (resources/contract/security.md) follows every change;
    its own writes, and mldeckctl's through it, are refused and change nothing."""
    read_url = os.environ.get("MLDECK_TEST_REDIS_READ_URL", "")
    if not read_url:
        pytest.fail("MLDECK_TEST_REDIS_READ_URL is not set: run the tests through packaging/local-stack/mldeck-dev, "
                    "which creates the Redis reader user.")
    run_ctl(mldeckctl, "flags", "init", "--deployment", deployment, "--enabled", "1", "--percentage", "100",
            "--redis", redis_url)
    c = _client(read_url, scratch_db.url, spool_dir, deployment)
    try:
        wait_until(lambda: c.should_use_ml(deployment, "booking-7"), 5, what="ML at 100 % seen by the reader")
        refused = run_ctl(mldeckctl, "flags", "rollback", "--deployment", deployment, "--redis", read_url,
                          "--pg", scratch_db.url, "--reason", "as the reader", check=False)
        assert refused.returncode != 0 and "NOPERM" in refused.stdout + refused.stderr, refused
        with pytest.raises(redis.exceptions.NoPermissionError):
            redis.Redis.from_url(read_url).hset(f"mldeck:flags:{deployment}", "ml_enabled", "0")
        assert c.flags(deployment).version == 1 and c.should_use_ml(deployment, "booking-7")
        run_ctl(mldeckctl, "flags", "rollback", "--deployment", deployment, "--redis", redis_url,
                "--pg", scratch_db.url, "--reason", "as the writer")
        wait_until(lambda: c.flags(deployment).version == 2, 5, what="the rollback seen by the reader")
        assert _ml_share(c, deployment) == 0
    finally:
        c.close()


INVALID = [
    ("ml_traffic_percentage", "150"), ("ml_traffic_percentage", "-1"), ("ml_traffic_percentage", "050"),
    ("ml_traffic_percentage", "1.0"), ("ml_traffic_percentage", " 50"), ("ml_traffic_percentage", "abc"),
    ("ml_traffic_percentage", ""), ("ml_enabled", "true"), ("ml_enabled", "2"), ("ml_enabled", " 1"),
    ("fallback_on_error", "yes"), ("version", "0"), ("version", "007"), ("version", "-3"), ("version", "x"),
]


def test_invalid_values_mean_ml_off(client: MLDeckClient, deployment: str, redis_url: str, scratch_db,
                                    mldeckctl: str) -> None:
    key = f"mldeck:flags:{deployment}"
    run_ctl(mldeckctl, "flags", "init", "--deployment", deployment, "--enabled", "1", "--percentage", "100",
            "--redis", redis_url)
    wait_until(lambda: client.should_use_ml(deployment, "k"), 5, what="ML at 100 %")
    r = redis.Redis.from_url(redis_url)
    good = r.hgetall(key)
    message = f'{{"deployment":"{deployment}","version":1}}'
    for field, value in INVALID:
        r.hset(key, field, value)
        r.publish("mldeck:flags:changed", message)
        wait_until(lambda: not client.flags(deployment).valid, 5, what=f"{field}={value!r} to be seen as invalid")
        assert field in client.flags(deployment).invalid_fields, (field, value)
        assert _ml_share(client, deployment) == 0, (field, value)
        r.hset(key, field, good[field.encode()])
        r.publish("mldeck:flags:changed", message)
        wait_until(lambda: client.flags(deployment).valid, 5, what="the valid value again")
        assert client.should_use_ml(deployment, "k")
    # An operator repairs an invalid set with mldeckctl flags set: valid again, ML back.
    r.hset(key, "ml_traffic_percentage", "150")
    r.publish("mldeck:flags:changed", message)
    wait_until(lambda: not client.flags(deployment).valid, 5, what="percentage 150 to be seen as invalid")
    run_ctl(mldeckctl, "flags", "set", "--deployment", deployment, "--enabled", "1", "--percentage", "100",
            "--fallback", "1", "--redis", redis_url, "--pg", scratch_db.url, "--reason", "repair")
    wait_until(lambda: client.flags(deployment).valid, 5, what="the repaired flags")
    assert _ml_share(client, deployment) == 100


def test_missing_field_wrong_type_and_deleted_key(client: MLDeckClient, deployment: str, redis_url: str,
                                                  mldeckctl: str) -> None:
    key = f"mldeck:flags:{deployment}"
    r = redis.Redis.from_url(redis_url)
    run_ctl(mldeckctl, "flags", "init", "--deployment", deployment, "--enabled", "1", "--percentage", "100",
            "--redis", redis_url)
    wait_until(lambda: client.should_use_ml(deployment, "k"), 5, what="ML at 100 %")
    r.hdel(key, "fallback_on_error")
    r.publish("mldeck:flags:changed", "not json at all")  # unparsable: the client re-reads everything
    wait_until(lambda: "fallback_on_error" in client.flags(deployment).invalid_fields, 5, what="missing field")
    assert not client.should_use_ml(deployment, "k")
    r.delete(key)
    r.set(key, "1")  # not a hash
    r.publish("mldeck:flags:changed", f'{{"deployment":"{deployment}"}}')
    wait_until(lambda: client.flags(deployment).exists and not client.flags(deployment).valid, 5, what="wrong type")
    assert not client.should_use_ml(deployment, "k")
    r.delete(key)
    r.publish("mldeck:flags:changed", f'{{"deployment":"{deployment}"}}')
    wait_until(lambda: not client.flags(deployment).exists, 5, what="deleted flags")
    assert _ml_share(client, deployment) == 0


def test_never_raises_in_the_request_path(client: MLDeckClient, deployment: str) -> None:
    for d, k in [(deployment, None), (deployment, 12345), (deployment, "\ud800"), ("Not Valid!", "k"),
                 (None, "k"), (["x"], "k"), ("unknown-dep", "k")]:
        assert client.should_use_ml(d, k) is False  # type: ignore[arg-type]


def test_redis_stopped_last_flags_then_ml_off_then_recovery(private_redis: PrivateRedis, scratch_db, spool_dir: str,
                                                            mldeckctl: str) -> None:
    deployment = unique("pyoutage")
    stale_after = 1.5
    run_ctl(mldeckctl, "flags", "init", "--deployment", deployment, "--enabled", "1", "--percentage", "100",
            "--redis", private_redis.url)
    client = _client(private_redis.url, scratch_db.url, spool_dir, deployment, redis_stale_after_s=stale_after,
                     redis_timeout_s=0.5)
    try:
        assert client.should_use_ml(deployment, "k")
        private_redis.save_and_stop()
        stopped = time.monotonic()
        wait_until(lambda: client.stats()["flags"]["redis_unreachable_since"] is not None, 5,
                   what="the client to notice Redis is gone")
        # Before the limit (less the PING period, stale_after / 4): the last known flags hold.
        if time.monotonic() - stopped < stale_after * 0.75 - 0.05:
            assert client.should_use_ml(deployment, "k")
        wait_until(lambda: not client.should_use_ml(deployment, "k"), stale_after + 3, what="ML off after the limit")
        off_after = time.monotonic() - stopped
        assert off_after >= stale_after * 0.75 - 0.05, off_after  # not before the limit (less the PING period)
        assert _ml_share(client, deployment) == 0
        private_redis.start()  # same port, same data (saved above)
        restarted = time.monotonic()
        wait_until(lambda: client.should_use_ml(deployment, "k"), 10, what="recovery after the restart")
        print(f"ML off {off_after:.2f} s after Redis stopped (limit {stale_after} s); "
              f"back {time.monotonic() - restarted:.2f} s after the restart")
        assert client.stats()["flags"]["redis_unreachable_since"] is None
        # The subscriber works again: a change is followed live.
        run_ctl(mldeckctl, "flags", "rollback", "--deployment", deployment, "--redis", private_redis.url,
                "--pg", scratch_db.url)
        wait_until(lambda: not client.should_use_ml(deployment, "k"), 5, what="the rollback after recovery")
    finally:
        client.close()
