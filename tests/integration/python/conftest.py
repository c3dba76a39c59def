"""Fixtures for the Python client's integration tests: real Redis and PostgreSQL, never mocks.

The shared servers come from ``MLDECK_TEST_REDIS_URL`` / ``MLDECK_TEST_PG_URL`` (exported by
``packaging/local-stack/mldeck-dev test``); without them every test FAILS (a skipped test is not a
pass). Tests that stop and restart a server start their OWN private redis-server or PostgreSQL on a
free port (as tests/support and packaging/local-stack/lib/servers.sh do), so the shared servers
other tests use in parallel are never touched. ``mldeckctl`` is the build tree's
(``$MLDECK_BINARY_DIR/app/mldeckctl/mldeckctl``; ``$MLDECKCTL`` overrides it for development).
"""

from __future__ import annotations

import glob
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Callable, Iterator, List, Optional
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("MLDECK_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CLIENT_DIR = os.path.join(SOURCE_DIR, "clients", "python")
EXAMPLES_DIR = os.path.join(SOURCE_DIR, "examples")
for p in (CLIENT_DIR, EXAMPLES_DIR):
    if p not in sys.path:
        sys.path.insert(0, p)


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.005, what: str = "") -> object:
    """Polls ``condition`` until it returns a true value; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(interval)


def unique(prefix: str) -> str:
    """A name for Redis keys / deployments unique to one test (matches the deployment name rule)."""
    return f"{prefix}_{random.randrange(10**9)}"


# ---------------------------------------------------------------- shared servers

@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("MLDECK_TEST_REDIS_URL", "")
    if not url or not os.environ.get("MLDECK_TEST_PG_URL"):
        pytest.fail("MLDECK_TEST_REDIS_URL / MLDECK_TEST_PG_URL are not set: run the tests through "
                    "packaging/local-stack/mldeck-dev test, which starts real Redis and PostgreSQL.")
    redis.Redis.from_url(url, socket_timeout=5).ping()
    return url


@pytest.fixture(scope="session")
def admin_pg_url(redis_url: str) -> str:
    url = os.environ["MLDECK_TEST_PG_URL"]
    with psycopg.connect(url, connect_timeout=5):
        pass
    return url


@pytest.fixture(scope="session")
def mldeckctl() -> str:
    path = os.environ.get("MLDECKCTL") or os.path.join(os.environ.get("MLDECK_BINARY_DIR", ""), "app", "mldeckctl",
                                                      "mldeckctl")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        pytest.fail(f"mldeckctl not found at {path!r}: set MLDECK_BINARY_DIR (ctest does) or MLDECKCTL")
    return path


def run_ctl(mldeckctl: str, *args: str, check: bool = True, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Runs ``mldeckctl`` with a bounded timeout; fails the test with its output on a non-zero exit."""
    full_env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if env:
        full_env.update(env)
    r = subprocess.run([mldeckctl, *args], capture_output=True, text=True, timeout=60, env=full_env)
    if check and r.returncode != 0:
        pytest.fail(f"mldeckctl {' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


class ScratchDatabase:
    """A fresh database on a server, migrated with ``mldeckctl migrate``; dropped at the end."""

    def __init__(self, admin_url: str, mldeckctl: str, prefix: str = "py") -> None:
        self.admin_url = admin_url
        self.name = f"mldeck_{prefix}_{secrets.token_hex(5)}"
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as c:
            c.execute(f'CREATE DATABASE "{self.name}"')
        self.url = with_database(admin_url, self.name)
        run_ctl(mldeckctl, "migrate", "--pg", self.url)

    def drop(self) -> None:
        try:
            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except Exception as e:  # the server may be gone at the end of a failed test
            print(f"could not drop {self.name}: {e}", file=sys.stderr)


@pytest.fixture(scope="module")
def scratch_db(admin_pg_url: str, mldeckctl: str) -> Iterator[ScratchDatabase]:
    db = ScratchDatabase(admin_pg_url, mldeckctl)
    yield db
    db.drop()


# ---------------------------------------------------------------- private servers

def free_port() -> int:
    """A TCP port below the ephemeral range that nothing listens on (like servers.sh)."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def is_root() -> bool:
    return os.geteuid() == 0


class PrivateRedis:
    """A redis-server of this test alone, stoppable and restartable on the same port."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="mldeck-py-redis.")
        self.port = free_port()
        self.proc: Optional[subprocess.Popen] = None
        self.url = f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--dbfilename", "dump.rdb", "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)

        def up() -> bool:
            try:
                return bool(r.ping())
            except redis.RedisError:
                if self.proc is not None and self.proc.poll() is not None:
                    pytest.fail(f"redis-server exited at start: see {self.dir}/redis.log")
                return False

        wait_until(up, 10, 0.02, "the private redis-server to answer")

    def save_and_stop(self) -> None:
        """SAVE (so a restart has the same data), then stop the process."""
        redis.Redis(port=self.port, socket_timeout=5).save()
        self.stop()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    r = PrivateRedis()
    r.start()
    yield r
    r.close()


def _pg_bin() -> str:
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if not dirs:
        pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return dirs[-1]


class PrivatePostgres:
    """A PostgreSQL cluster of this test run alone (initdb, start, stop, restart on the same port).

    As root the cluster belongs to ``postgres`` and runs through ``runuser -u postgres`` (PostgreSQL
    refuses root), with its files in a private directory under /tmp, as servers.sh does.
    """

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.home = tempfile.mkdtemp(prefix="mldeck-py-pg.")
        self.data = os.path.join(self.home, "data")
        self.log = os.path.join(self.home, "postgres.log")
        self.password = secrets.token_hex(12)
        self.port = free_port()
        self.url = f"postgresql://mldeck:{self.password}@127.0.0.1:{self.port}/postgres"
        pwfile = os.path.join(self.home, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if is_root():
            shutil.chown(self.home, "postgres")
            shutil.chown(pwfile, "postgres")
        os.chmod(self.home, 0o700)
        r = self._as_pg([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "mldeck", f"--pwfile={pwfile}",
                         "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8",
                         "--locale=C.UTF-8", "--no-sync"], timeout=120)
        os.unlink(pwfile)
        if r.returncode != 0:
            pytest.fail(f"initdb failed:\n{r.stdout}\n{r.stderr}")

    def _as_pg(self, cmd: List[str], timeout: float) -> subprocess.CompletedProcess:
        if is_root():
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/")

    def start(self) -> None:
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
        r = self._as_pg([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60",
                         "-o", opts, "start"], timeout=90)
        if r.returncode != 0:
            pytest.fail(f"pg_ctl start failed:\n{r.stdout}\n{r.stderr}\n{open(self.log).read()[-2000:]}")

    def stop(self) -> None:
        r = self._as_pg([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "stop", "-m", "fast", "-w", "-t", "30"],
                        timeout=60)
        if r.returncode != 0 and "Is server running?" not in r.stderr:
            self._as_pg([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "stop", "-m", "immediate", "-w"], 30)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.close()


@pytest.fixture
def spool_dir() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="mldeck-py-spool.")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """A skipped test is not a pass: report every skip as a failure."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped tests count as failures in this suite: {report.longrepr}"


# ---------------------------------------------------------------- KPI check

SUMS = ("count", "failed", "latency_sum", "labelled", "sum_err", "sum_abs_err", "sum_sq_err", "sum_actual",
        "sum_sq_actual", "sum_ape", "ape_count")

# The aggregates recomputed from the raw rows alone (predictions + their latest outcome), independently
# of the triggers' own state tables.
RAW_SQL = """
SELECT date_trunc(%(unit)s, p.ts, 'UTC') AS bucket, p.path, coalesce(p.model_version, '') AS v,
       count(*) AS count,
       count(*) FILTER (WHERE p.failed OR p.predicted IS NULL) AS failed,
       sum(p.latency_ms::float8) AS latency_sum,
       count(o.actual) AS labelled,
       coalesce(sum(p.predicted - o.actual), 0) AS sum_err,
       coalesce(sum(abs(p.predicted - o.actual)), 0) AS sum_abs_err,
       coalesce(sum((p.predicted - o.actual) ^ 2), 0) AS sum_sq_err,
       coalesce(sum(o.actual), 0) AS sum_actual,
       coalesce(sum(o.actual ^ 2), 0) AS sum_sq_actual,
       coalesce(sum(abs(p.predicted - o.actual) / abs(o.actual) * 100) FILTER (WHERE o.actual <> 0), 0) AS sum_ape,
       count(*) FILTER (WHERE o.actual IS NOT NULL AND o.actual <> 0) AS ape_count
FROM mldeck.predictions p
LEFT JOIN mldeck.latest_outcomes o
       ON o.deployment = p.deployment AND o.request_key = p.request_key AND NOT p.failed AND p.predicted IS NOT NULL
WHERE p.deployment = %(d)s
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


def _close(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def assert_kpi_equals_recomputation(pg_url: str, deployment: str) -> int:
    """The trigger-maintained aggregates equal (1) a plain-SQL recomputation from the raw rows and
    (2) mldeck.kpi_rebuild over the same range (which also rebuilds the latency sketch)."""
    with psycopg.connect(pg_url) as c:
        for unit, table in (("minute", "mldeck.kpi_minute"), ("hour", "mldeck.kpi_hour")):
            raw = c.execute(RAW_SQL, {"unit": unit, "d": deployment}).fetchall()
            agg = c.execute(f"SELECT bucket, path, model_version, {', '.join(SUMS)} FROM {table} "
                            "WHERE deployment = %s AND count > 0 ORDER BY 1, 2, 3", (deployment,)).fetchall()
            assert [r[:3] for r in agg] == [r[:3] for r in raw], f"{table}: different buckets"
            for a, r in zip(agg, raw):
                for name, x, y in zip(SUMS, a[3:], r[3:]):
                    assert _close(x, y), f"{table} {a[:3]} {name}: aggregate {x} != raw {y}"
        fb_raw = c.execute("SELECT date_trunc('minute', ts, 'UTC'), count(*) FILTER (WHERE positive), count(*) "
                           "FROM mldeck.feedback WHERE deployment = %s GROUP BY 1 ORDER BY 1", (deployment,)).fetchall()
        fb_agg = c.execute("SELECT bucket, positive, total FROM mldeck.kpi_feedback_minute WHERE deployment = %s "
                           "ORDER BY 1", (deployment,)).fetchall()
        assert fb_agg == fb_raw
        cols = "bucket, path, model_version, " + ", ".join(SUMS) + ", lat_offset, lat_counts, actual_ge, both_ge"
        with c.transaction(force_rollback=True):
            before = c.execute(f"SELECT {cols} FROM mldeck.kpi_minute WHERE deployment = %s ORDER BY 1, 2, 3",
                               (deployment,)).fetchall()
            c.execute("SELECT mldeck.kpi_rebuild(%s, min(ts), max(ts) + interval '1 second') FROM mldeck.predictions "
                      "WHERE deployment = %s", (deployment, deployment))
            after = c.execute(f"SELECT {cols} FROM mldeck.kpi_minute WHERE deployment = %s ORDER BY 1, 2, 3",
                              (deployment,)).fetchall()
        assert len(before) == len(after)
        for b, a in zip(before, after):
            assert b[:3] == a[:3]
            for x, y in zip(b[3:], a[3:]):
                assert (x == y) if not isinstance(x, float) else _close(x, y), (b[:3], x, y)
        return len(raw)
