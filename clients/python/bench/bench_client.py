#!/usr/bin/python3
"""Benchmark of the Python backend client, figures recorded in
resources/contract/python-client.md ("Measured").

1. Request-path overhead: ``should_use_ml`` + ``log_prediction`` per request (p50 / p99, µs), with
   the flag follower and the log writer running against real Redis and PostgreSQL (KPI triggers on),
   paced at a steady request rate and flat out; next to the model's own prediction time
   (``ServedModel.predict`` of the demo MLP, one row, and of the LSTM over its 12-row window).
2. Sustained logging rate of one client process with the aggregates on: rows logged as fast as the
   caller can, until PostgreSQL holds them all (predictions only, then predictions + outcomes).

Runs in a scratch database it creates, migrates (``mldeckctl migrate``) and drops:

    /usr/bin/python3 clients/python/bench/bench_client.py [--redis URL] [--pg ADMIN_URL] [--mldeckctl PATH]

(defaults: $MLDECK_TEST_REDIS_URL, $MLDECK_TEST_PG_URL, build/app/mldeckctl/mldeckctl).
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from typing import List
from urllib.parse import urlsplit, urlunsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "clients", "python"), os.path.join(ROOT, "examples")]

import psycopg  # noqa: E402
import redis  # noqa: E402

from mldeck_backend import ClientConfig, MLDeckClient, load_file  # noqa: E402

NUMERIC = [8.7, 14.9, 16.0, 2.0, 3.25, 0.0, 13.7, 0.66]
CATEGORICAL = ["suburbs_north", "premium"]


def pct(values: List[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


def line(name: str, samples_ns: List[int]) -> str:
    us = [v / 1000.0 for v in samples_ns]
    return f"{name:<58} p50 {pct(us, 0.5):8.2f} µs   p99 {pct(us, 0.99):8.2f} µs   mean {statistics.fmean(us):8.2f} µs"


def scratch(admin: str, mldeckctl: str) -> str:
    name = f"mldeck_bench_py_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    p = urlsplit(admin)
    url = urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))
    subprocess.run([mldeckctl, "migrate", "--pg", url], check=True, capture_output=True, timeout=120)
    return url


def request_path(client: MLDeckClient, d: str, n: int, rate: float) -> tuple:
    both, flags_only, log_only = [], [], []
    clock = time.perf_counter_ns
    start = time.perf_counter()
    for i in range(n):
        key = f"booking-{i}"
        t0 = clock()
        on_ml = client.should_use_ml(d, key)
        t1 = clock()
        client.log_prediction(d, key, predicted=7.25, path="ml" if on_ml else "heuristic", latency_ms=3.1,
                              model_version="1", numeric=NUMERIC, categorical=CATEGORICAL)
        t2 = clock()
        flags_only.append(t1 - t0)
        log_only.append(t2 - t1)
        both.append(t2 - t0)
        if rate > 0:
            wait = start + (i + 1) / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
    return both, flags_only, log_only


def wait_written(client: MLDeckClient, key: str, target: int, timeout: float) -> float:
    t0 = time.perf_counter()
    while client.stats()["logging"][key] < target:
        if time.perf_counter() - t0 > timeout:
            raise SystemExit(f"timed out: {client.stats()['logging']}")
        time.sleep(0.01)
    return time.perf_counter()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--redis", default=os.environ.get("MLDECK_TEST_REDIS_URL", ""))
    ap.add_argument("--pg", default=os.environ.get("MLDECK_TEST_PG_URL", ""))
    ap.add_argument("--mldeckctl", default=os.environ.get("MLDECKCTL", os.path.join(ROOT, "build", "app", "mldeckctl",
                                                                                   "mldeckctl")))
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--rate", type=float, default=2000.0, help="paced request rate")
    ap.add_argument("--rows", type=int, default=300000, help="rows of the sustained logging run")
    args = ap.parse_args()
    if not args.redis or not args.pg:
        raise SystemExit("set --redis and --pg (or MLDECK_TEST_REDIS_URL / MLDECK_TEST_PG_URL)")
    pg = scratch(args.pg, args.mldeckctl)
    spool = tempfile.mkdtemp(prefix="mldeck-bench-spool.")
    d = f"bench{secrets.token_hex(3)}"
    r = redis.Redis.from_url(args.redis)
    subprocess.run([args.mldeckctl, "flags", "init", "--deployment", d, "--enabled", "1", "--percentage", "50",
                    "--redis", args.redis], check=True, capture_output=True, timeout=60)
    with psycopg.connect(pg) as c:
        server = c.execute("SHOW server_version").fetchone()[0]
        sync = c.execute("SHOW synchronous_commit").fetchone()[0]
    print(f"# bench_client: Python {platform.python_version()}, psycopg {psycopg.__version__} "
          f"({psycopg.pq.__impl__}), redis-py {redis.__version__}, PostgreSQL {server} "
          f"(synchronous_commit={sync}), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    try:
        # ---------------------------------------------------------------- 1. request path
        client = MLDeckClient(ClientConfig(redis_url=args.redis, pg_url=pg, deployments=[d], spool_dir=spool,
                                           buffer_rows=max(200_000, args.rows + 10)))
        client.start(10)
        request_path(client, d, 2000, 0)  # warm-up
        for label, rate in ((f"paced {args.rate:.0f} req/s", args.rate), ("flat out", 0.0)):
            both, flags_only, log_only = request_path(client, d, args.requests, rate)
            print(f"## request path, {label}, {args.requests} requests, writer + flag follower running")
            print(line("should_use_ml + log_prediction", both))
            print(line("  should_use_ml alone (bucket at 50 %)", flags_only))
            print(line("  log_prediction alone (8 numeric + 2 categorical)", log_only))
        client.flush(60)
        client.close()

        import torch

        torch.set_num_threads(1)
        print("## the model's own prediction time (ServedModel.predict, torch threads 1)")
        for name, rows in (("eta_mlp.pt", 1), ("eta_lstm.pt", 12)):
            model = load_file(os.path.join(ROOT, "resources", "models", name))
            num, cat = [NUMERIC] * rows, [CATEGORICAL] * rows
            for _ in range(200):
                model.predict(num, cat)
            samples = []
            for _ in range(3000 if rows == 1 else 1000):
                t0 = time.perf_counter_ns()
                model.predict(num, cat)
                samples.append(time.perf_counter_ns() - t0)
            print(line(f"{name} one request ({rows} row{'s' if rows > 1 else ''} in)", samples))

        # ---------------------------------------------------------------- 2. sustained rate
        print(f"## sustained logging, one client process, KPI aggregates on (batches of 1000)")
        for outcomes in (False, True):
            dd = f"{d}{'o' if outcomes else 'p'}"
            c = MLDeckClient(ClientConfig(redis_url=args.redis, pg_url=pg, deployments=[dd], spool_dir=spool,
                                          buffer_rows=args.rows * 2 + 10))
            c.start(10)
            t0 = time.perf_counter()
            for i in range(args.rows):
                c.log_prediction(dd, f"k{i}", predicted=7.25, path="ml" if i & 1 else "heuristic", latency_ms=3.1,
                                 model_version="1", numeric=NUMERIC, categorical=CATEGORICAL)
                if outcomes and i >= 100:
                    c.log_outcome(dd, f"k{i - 100}", 6.5)
            t_logged = time.perf_counter()
            t_end = wait_written(c, "outcomes_written" if outcomes else "predictions_written",
                                 args.rows - 100 if outcomes else args.rows, 600)
            s = c.stats()["logging"]
            total = s["predictions_written"] + s["outcomes_written"]
            c.close()
            what = "predictions + outcomes" if outcomes else "predictions only"
            print(f"{what:<24} {total:>8} rows: logged by the caller in {t_logged - t0:6.2f} s "
                  f"({total / (t_logged - t0):9.0f} rows/s), in PostgreSQL after {t_end - t0:6.2f} s "
                  f"= {total / (t_end - t0):8.0f} rows/s sustained; dropped {s['dropped_buffer_full']}")
    finally:
        with psycopg.connect(args.pg, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{urlsplit(pg).path[1:]}" WITH (FORCE)')
        r.delete(f"mldeck:flags:{d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
