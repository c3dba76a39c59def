"""Bucketing: the client against the contract's test vectors, the CLI, and mldeckctl itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import CLIENT_DIR, SOURCE_DIR, run_ctl
from mldeck_backend import bucket, murmur3_x86_32

VECTORS = os.path.join(SOURCE_DIR, "resources", "contract", "bucket_vectors.json")


def _vectors() -> dict:
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


def test_reference_hashes() -> None:
    ref = _vectors()["reference"]
    assert len(ref) >= 10
    for r in ref:
        assert murmur3_x86_32(bytes.fromhex(r["input_hex"]), r["seed"]) == r["hash"], r


def test_every_bucket_vector() -> None:
    vectors = _vectors()["vectors"]
    assert len(vectors) == 315
    for v in vectors:
        assert murmur3_x86_32((v["deployment"] + ":" + v["key"]).encode("utf-8")) == v["hash"], v
        assert bucket(v["deployment"], v["key"]) == v["bucket"], v


def test_share_matches_percentage() -> None:
    keys = [f"user-{i}" for i in range(100_000)]
    buckets = [bucket("eta", k) for k in keys]
    for pct in (1, 5, 10, 25, 50, 75, 90, 99):
        share = sum(b <= pct for b in buckets) / len(keys) * 100
        assert abs(share - pct) <= 1.0, (pct, share)


def test_cli_prints_the_bucket() -> None:
    by_deployment: dict = {}
    for v in _vectors()["vectors"]:
        # argv cannot carry NUL; a key starting with "-" would read as an option.
        if "\x00" in v["key"] or v["key"].startswith("-") or not v["deployment"][:1].isalpha():
            continue
        by_deployment.setdefault(v["deployment"], []).append(v)
    checked = 0
    for deployment, vs in list(by_deployment.items())[:3]:
        args = [sys.executable, "-m", "mldeck_backend", "bucket", "--deployment", deployment]
        for v in vs:
            args += ["--key", v["key"]]
        out = subprocess.run(args, capture_output=True, text=True, timeout=30, cwd=CLIENT_DIR,
                             env=dict(os.environ, PYTHONPATH=CLIENT_DIR))
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == [str(v["bucket"]) for v in vs], deployment
        checked += len(vs)
    assert checked >= 100
    bad = subprocess.run([sys.executable, "-m", "mldeck_backend", "bucket", "--deployment", "Bad Name", "--key", "1"],
                         capture_output=True, text=True, timeout=30, cwd=CLIENT_DIR)
    assert bad.returncode == 2


def test_same_buckets_as_mldeckctl(mldeckctl: str) -> None:
    keys = ["12345", "booking-1001", "é", "e\u0301", "東京", "🚕", ""] + [f"k{i}" for i in range(50)]
    args = ["flags", "bucket", "--deployment", "eta", "--json"]
    for k in keys:
        args += ["--key", k]
    out = json.loads(run_ctl(mldeckctl, *args).stdout)
    got = {b["key"]: (b["hash"], b["bucket"]) for b in out["buckets"]}
    assert len(got) == len(keys)
    for k in keys:
        assert got[k] == (murmur3_x86_32(f"eta:{k}".encode()), bucket("eta", k)), k
