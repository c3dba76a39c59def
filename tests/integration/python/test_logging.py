"""Logging: COPY batches into the contract's tables, the KPI aggregates they feed, and the spool when
PostgreSQL is stopped (a private PostgreSQL of this test run, stopped and restarted for real)."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Iterator, List, Tuple

import psycopg
import pytest

from conftest import PrivatePostgres, ScratchDatabase, assert_kpi_equals_recomputation, unique, wait_until
from mldeck_backend import ClientConfig, MLDeckClient
from mldeck_backend import copytext

# --------------------------------------------------------------------------- helpers


def _client(pg_url: str, redis_url: str, spool_dir: str, **kw: object) -> MLDeckClient:
    cfg = ClientConfig(redis_url=redis_url, pg_url=pg_url, spool_dir=spool_dir,
                       **{"flush_interval_s": 0.1, "batch_rows": 200, "reconnect_max_s": 0.5, **kw})
    c = MLDeckClient(cfg)
    c.start(5)
    return c


class Feeder:
    """Logs a deterministic mix of predictions, outcomes and feedback at a steady rate, and keeps
    what it logged (the expected content of the tables)."""

    def __init__(self, client: MLDeckClient, deployment: str, n: int, rate: float) -> None:
        self.client, self.deployment, self.n, self.rate = client, deployment, n, rate
        self.predictions: List[str] = []
        self.outcomes: List[Tuple[str, float]] = []
        self.feedback = 0
        self.refused = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.base = time.time()

    def run(self) -> None:
        c, d = self.client, self.deployment
        start = time.monotonic()
        seq = 0
        for i in range(self.n):
            key = f"req-{i}"
            path = ("ml", "ml", "heuristic", "fallback", "ml")[i % 5]
            failed = path == "fallback" or i % 97 == 0
            predicted = None if (path == "ml" and i % 97 == 0) else 3.0 + (i % 23) * 0.37
            if i % 50 == 7:  # an outcome that arrives before its prediction
                c.log_outcome(d, key, 4.0 + (i % 11), observed_at=self.base + seq * 1e-3)
                self.outcomes.append((key, self.base + seq * 1e-3))
                seq += 1
            ok = c.log_prediction(d, key, predicted=predicted, path=path, latency_ms=1.0 + (i % 40) * 0.5,
                                  model_version=None if path == "heuristic" else ("1" if i < self.n // 2 else "2"),
                                  failed=failed, error="model error" if failed else None,
                                  numeric=[float(i % 13), 2.5, -0.25], categorical=["north", 'a "quoted"\tvalue'])
            assert ok
            self.predictions.append(key)
            if i >= 10 and i % 10 != 3:  # ground truth of an earlier request, some corrected later
                k = i - 10
                c.log_outcome(d, f"req-{k}", 2.0 + (k % 17) * 0.5, observed_at=self.base + seq * 1e-3)
                self.outcomes.append((f"req-{k}", self.base + seq * 1e-3))
                seq += 1
                if k % 31 == 0:
                    c.log_outcome(d, f"req-{k}", 9.5, observed_at=self.base + seq * 1e-3)
                    self.outcomes.append((f"req-{k}", self.base + seq * 1e-3))
                    seq += 1
            if i % 20 == 0:
                c.log_feedback(d, key, i % 40 == 0, comment="late\nagain" if i % 60 == 0 else None,
                               user_pseudonym=c.pseudonymize(f"user-{i % 7}"))
                self.feedback += 1
            wait = start + (i + 1) / self.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)


def _counts(pg_url: str, deployment: str) -> Tuple[int, int, int, int]:
    with psycopg.connect(pg_url) as c:
        return c.execute(
            "SELECT (SELECT count(*) FROM mldeck.predictions WHERE deployment = %(d)s),"
            " (SELECT count(DISTINCT request_key) FROM mldeck.predictions WHERE deployment = %(d)s),"
            " (SELECT count(*) FROM mldeck.outcomes WHERE deployment = %(d)s),"
            " (SELECT count(*) FROM mldeck.feedback WHERE deployment = %(d)s)", {"d": deployment}).fetchone()


def _assert_outcomes_in_logged_order(pg_url: str, deployment: str, expected: List[Tuple[str, float]]) -> None:
    """Outcome ids are assigned in insertion order: they must follow the order the rows were logged."""
    with psycopg.connect(pg_url) as c:
        rows = c.execute("SELECT request_key, extract(epoch FROM observed_at)::float8 FROM mldeck.outcomes "
                         "WHERE deployment = %s ORDER BY id", (deployment,)).fetchall()
    assert [r[0] for r in rows] == [k for k, _ in expected]
    assert all(abs(a[1] - b[1]) < 2e-6 for a, b in zip(rows, expected))


@pytest.fixture(scope="module")
def private_db(private_pg: PrivatePostgres, mldeckctl: str) -> Iterator[ScratchDatabase]:
    db = ScratchDatabase(private_pg.url, mldeckctl, prefix="pyspool")
    yield db
    if not _pg_up(private_pg):  # a failed test may have left it stopped
        private_pg.start()
    db.drop()


def _pg_up(pg: PrivatePostgres) -> bool:
    try:
        with psycopg.connect(pg.url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


# --------------------------------------------------------------------------- tests


def test_rows_land_in_the_contract_tables(redis_url: str, scratch_db, spool_dir: str) -> None:
    d = unique("pylog")
    c = _client(scratch_db.url, redis_url, spool_dir)
    ts = 1_717_228_800.000123  # 2024-06-01 08:00:00.000123 UTC
    try:
        assert c.log_prediction(d, "booking-1001", predicted=7.25, latency_ms=3.1, path="ml", model_version="mlp-1",
                                numeric=[12.5, 31, float("nan"), float("inf"), -0.25],
                                categorical=["north", 'with "quotes", comma', "back\\slash", "", "NULL", None],
                                ts=ts)
        assert c.log_prediction(d, 'booking "q"\tand\\slash', predicted=None, latency_ms=41.7, path="ml",
                                model_version="mlp-1", error="model timeout", ts=ts + 1)
        assert c.log_prediction(d, 1003, predicted=4.0, latency_ms=0.05, path="heuristic", model_version="ignored",
                                ts=ts + 2)
        assert c.log_prediction(d, "booking-1004", predicted=5.5, latency_ms=0.1, path="fallback",
                                model_version="mlp-1", error="model raised", ts=ts + 3)
        assert c.log_outcome(d, "booking-1001", 9.5, observed_at=ts + 60)
        assert c.log_feedback(d, "booking-1001", False, comment="driver was late\n(10 min)",
                              user_pseudonym=c.pseudonymize("alice@example.com"), ts=ts + 90)
        # Refused before the buffer (counted, never raised): bad path, e-mail as pseudonym, long comment.
        assert not c.log_prediction(d, "x", predicted=1.0, path="magic")
        assert not c.log_feedback(d, "x", True, user_pseudonym="alice@example.com")
        assert not c.log_feedback(d, "x", True, comment="x" * 4001)
        assert not c.log_outcome(d, "x", float("nan"))
        # Refused in the writer: NUL cannot be stored in PostgreSQL text.
        assert c.log_prediction(d, "nul\x00key", predicted=1.0, path="heuristic")
        assert c.flush(10)
        s = c.stats()["logging"]
        assert s["rejected_invalid"] == 5 and s["predictions_written"] == 4
        assert s["outcomes_written"] == 1 and s["feedback_written"] == 1
    finally:
        c.close()
    with psycopg.connect(scratch_db.url) as pg:
        rows = pg.execute("SELECT extract(epoch FROM ts)::numeric, predicted, latency_ms, feature_schema, failed, path,"
                          " request_key, model_version, error, numeric::text, categorical FROM mldeck.predictions"
                          " WHERE deployment = %s ORDER BY ts", (d,)).fetchall()
        assert len(rows) == 4
        r = rows[0]
        assert str(r[0]) == "1717228800.000123"
        assert r[1:9] == (7.25, pytest.approx(3.1), 1, False, "ml", "booking-1001", "mlp-1", None)
        assert r[9] == "{12.5,31,NaN,Infinity,-0.25}"
        assert r[10] == ["north", 'with "quotes", comma', "back\\slash", "", "NULL", None]
        assert rows[1][1] is None and rows[1][4] is True and rows[1][6] == 'booking "q"\tand\\slash'
        assert rows[1][8] == "model timeout" and rows[1][9] is None
        assert rows[2][5:8] == ("heuristic", "1003", None)  # no model version on the heuristic path
        assert rows[3][4] is True and rows[3][5] == "fallback"
        fb = pg.execute("SELECT positive, comment, user_pseudonym FROM mldeck.feedback WHERE deployment = %s",
                        (d,)).fetchone()
        assert fb[0] is False and fb[1] == "driver was late\n(10 min)" and len(fb[2]) == 64 and "@" not in fb[2]
    assert_kpi_equals_recomputation(scratch_db.url, d)


def test_classifier_rows_carry_class_and_vector(redis_url: str, scratch_db, spool_dir: str) -> None:
    """Contract v2 (classification.md): the served class and the probability vector; a row without
    them stays a v1 line (what an older client or spool wrote), in the same batch."""
    d = unique("pyclass")
    with psycopg.connect(scratch_db.url, autocommit=True) as pg:
        pg.execute("INSERT INTO mldeck.deployments (name, task, classes) VALUES (%s, 'classification', "
                   "'{declined,accepted}')", (d,))
    c = _client(scratch_db.url, redis_url, spool_dir)
    ts = 1_717_228_800.0
    try:
        assert c.log_prediction(d, "offer-1", predicted=0.8, path="ml", model_version="1", predicted_class=1,
                                probabilities=[0.2, 0.8], ts=ts)
        # predicted taken from the vector; a binary row may leave the vector out.
        assert c.log_prediction(d, "offer-2", predicted=None, path="ml", model_version="1", predicted_class=0,
                                probabilities=[0.75, 0.25], ts=ts + 1)
        assert c.log_prediction(d, "offer-3", predicted=0.6, path="heuristic", predicted_class=1, ts=ts + 2)
        assert c.log_prediction(d, "offer-4", predicted=0.9, path="ml", model_version="1", ts=ts + 3)  # v1 row
        assert not c.log_prediction(d, "x", predicted=0.5, path="ml", predicted_class=-1)
        assert not c.log_prediction(d, "x", predicted=0.5, path="ml", predicted_class=0, probabilities=[0.05] * 21)
        assert c.log_outcome(d, "offer-1", 1, observed_at=ts + 60)
        assert c.log_feedback(d, "offer-2", False, ts=ts + 90)  # wrong: the true class is "accepted"
        assert c.flush(10)
        assert c.stats()["logging"]["predictions_written"] == 4
    finally:
        c.close()
    with psycopg.connect(scratch_db.url) as pg:
        rows = pg.execute("SELECT request_key, predicted, predicted_class, probabilities FROM mldeck.predictions "
                          "WHERE deployment = %s ORDER BY ts", (d,)).fetchall()
        assert rows == [("offer-1", 0.8, 1, [pytest.approx(0.2), pytest.approx(0.8)]),
                        ("offer-2", 0.75, 0, [0.75, 0.25]), ("offer-3", 0.6, 1, None), ("offer-4", 0.9, None, None)]
        agg = pg.execute("SELECT sum(predicted_count[1]), sum(predicted_count[2]), sum(confusion[2] + confusion[4]), "
                         "sum(confusion[3]) FROM mldeck.kpi_class_minute WHERE deployment = %s", (d,)).fetchone()
        assert agg == (1, 2, 1, 1)  # offer-4 has no class; offer-1 right (1, 1), offer-2 wrong (1, 0)


def test_image_rows_carry_their_key(redis_url: str, scratch_db, spool_dir: str) -> None:
    """Image deployments (images.md): predictions and feedback name the image by its key, in the same
    batch as rows without one; a key the image store would refuse is refused at the call."""
    d = unique("pyimage")
    with psycopg.connect(scratch_db.url, autocommit=True) as pg:
        pg.execute("INSERT INTO mldeck.deployments (name, task, classes) VALUES (%s, 'classification', "
                   "'{cat,dog}')", (d,))
    c = _client(scratch_db.url, redis_url, spool_dir)
    ts = 1_717_228_800.0
    try:
        assert c.log_prediction(d, "img-1", predicted=None, path="ml", model_version="1", predicted_class=1,
                                probabilities=[0.3, 0.7], image_key="dog/0001.png", ts=ts)
        assert c.log_prediction(d, "img-2", predicted=0.6, path="ml", model_version="1",
                                image_key="chat noir/été 1.jpg", ts=ts + 1)
        assert c.log_prediction(d, "img-3", predicted=0.9, path="ml", model_version="1", predicted_class=0,
                                ts=ts + 2)  # no key: the classifier's line
        for bad in ("../etc/passwd", "/abs.png", "a//b.png", "back\\slash.png", ""):
            assert not c.log_prediction(d, "x", predicted=0.5, path="ml", image_key=bad)
            assert not c.log_feedback(d, "x", True, image_key=bad)
        assert c.log_feedback(d, "img-1", False, comment="a cat", image_key="dog/0001.png", ts=ts + 60)
        assert c.log_feedback(d, "img-3", True, ts=ts + 61)
        assert c.flush(10)
        assert c.stats()["logging"]["predictions_written"] == 3
    finally:
        c.close()
    with psycopg.connect(scratch_db.url) as pg:
        rows = pg.execute("SELECT request_key, predicted, predicted_class, image_key FROM mldeck.predictions "
                          "WHERE deployment = %s ORDER BY ts", (d,)).fetchall()
        assert rows == [("img-1", pytest.approx(0.7), 1, "dog/0001.png"),
                        ("img-2", 0.6, None, "chat noir/été 1.jpg"), ("img-3", 0.9, 0, None)]
        fb = pg.execute("SELECT request_key, image_key FROM mldeck.feedback WHERE deployment = %s ORDER BY ts",
                        (d,)).fetchall()
        assert fb == [("img-1", "dog/0001.png"), ("img-3", None)]


def test_postgres_stopped_during_logging_spool_then_exactly_once(private_pg: PrivatePostgres, private_db,
                                                                 redis_url: str, spool_dir: str) -> None:
    d = unique("pyspool")
    c = _client(private_db.url, redis_url, spool_dir)
    feeder = Feeder(c, d, n=5000, rate=2000)
    try:
        feeder.thread.start()
        wait_until(lambda: c.stats()["logging"]["predictions_written"] >= 300, 10, what="rows written before the stop")
        private_pg.stop()  # a real stop (pg_ctl stop -m fast): connections are cut mid-batch
        stopped = time.monotonic()
        wait_until(lambda: c.stats()["logging"]["spooled_rows"] >= 1200, 10, what="rows in the spool")
        s = c.stats()["logging"]
        assert s["pg_unreachable_since"] is not None
        during = s["predictions_written"]
        private_pg.start()
        restarted = time.monotonic()
        feeder.thread.join(30)
        assert not feeder.thread.is_alive()
        assert c.flush(20)
        wait_until(lambda: c.stats()["logging"]["spool_batches"] == 0, 20, what="the spool to drain")
        s = c.stats()["logging"]
        print(f"PostgreSQL down {restarted - stopped:.2f} s; {s['spooled_batches']} batches / {s['spooled_rows']} rows "
              f"spooled, {s['replayed_batches']} replayed, in doubt: {s['in_doubt_committed']} committed, "
              f"{s['in_doubt_rewritten']} rewritten")
        assert s["spooled_rows"] > 0 and s["replayed_rows"] == s["spooled_rows"]
        assert s["predictions_written"] == len(feeder.predictions) > during
        assert s["dropped_buffer_full"] == 0 and s["dropped_at_close"] == 0 and s["rejected_invalid"] == 0
    finally:
        c.close()
    n_pred, n_distinct, n_out, n_fb = _counts(private_db.url, d)
    assert (n_pred, n_distinct) == (len(feeder.predictions), len(feeder.predictions))  # every row once
    assert n_out == len(feeder.outcomes) and n_fb == feeder.feedback
    _assert_outcomes_in_logged_order(private_db.url, d, feeder.outcomes)
    buckets = assert_kpi_equals_recomputation(private_db.url, d)
    assert buckets >= 3


def test_spool_limit_then_next_process_writes_it(private_pg: PrivatePostgres, private_db, redis_url: str,
                                                 spool_dir: str) -> None:
    """PostgreSQL down, a tiny spool: what does not fit waits in memory, then the buffer bound refuses
    new rows (counted); close() counts what could go nowhere; a new process writes the spool once."""
    d = unique("pylimit")
    c = _client(private_db.url, redis_url, spool_dir, spool_max_bytes=40_000, buffer_rows=1000, batch_rows=100)
    try:
        private_pg.stop()
        accepted = refused = 0
        for i in range(3000):
            ok = c.log_prediction(d, f"r-{i}", predicted=1.0, path="heuristic", latency_ms=0.5,
                                  numeric=[1.0, 2.0], categorical=["x"])
            accepted += ok
            refused += not ok
            if i % 100 == 99:
                time.sleep(0.02)  # let the writer spool
        wait_until(lambda: c.stats()["logging"]["spool_full_events"] > 0, 10, what="the spool to be full")
        s = c.stats()["logging"]
        assert s["spool_bytes"] <= 40_000
        assert refused == s["dropped_buffer_full"] > 0
        spooled = s["spooled_rows"]
    finally:
        c.close(timeout=3)
    s = c.stats()["logging"]
    lost_at_close = s["dropped_at_close"]
    assert accepted == spooled + lost_at_close + s["predictions_written"]
    assert s["predictions_written"] == 0
    print(f"accepted {accepted}, refused {refused} (buffer full), spooled {spooled}, lost at close {lost_at_close}")
    private_pg.start()
    c2 = _client(private_db.url, redis_url, spool_dir)  # takes over the same slot
    try:
        wait_until(lambda: c2.stats()["logging"]["spool_batches"] == 0, 20, what="the next process to drain")
        assert c2.stats()["logging"]["replayed_rows"] == spooled
    finally:
        c2.close()
    assert _counts(private_db.url, d)[:2] == (spooled, spooled)


def _copy_in_transaction(pg_url: str, lines: List[str], commit: bool) -> str:
    with psycopg.connect(pg_url) as c:
        xid = c.execute("SELECT pg_current_xact_id()::text").fetchone()[0]
        with c.cursor().copy(copytext.COPY_PREDICTIONS) as cp:
            cp.write(("\n".join(lines) + "\n").encode())
        if commit:
            c.commit()
        else:
            c.rollback()
    return xid


def test_in_doubt_commit_is_resolved_with_pg_xact_status(redis_url: str, scratch_db, spool_dir: str) -> None:
    """A spooled batch whose COMMIT outcome was lost: committed → not written again; aborted → written."""
    d = unique("pydoubt")
    now = time.time()
    committed = [copytext.prediction_line(now, 1.0, 0.1, 1, False, "heuristic", d, f"c-{i}", None, None, None, None)
                 for i in range(5)]
    aborted = [copytext.prediction_line(now, 2.0, 0.1, 1, False, "heuristic", d, f"a-{i}", None, None, None, None)
               for i in range(7)]
    slot = os.path.join(spool_dir, "slot-0")
    os.makedirs(slot)
    for seq, lines, commit in ((1, committed, True), (2, aborted, False)):
        xid = _copy_in_transaction(scratch_db.url, lines, commit)
        with open(os.path.join(slot, f"{seq:020d}.batch"), "w") as f:
            json.dump({"v": 1, "p": lines, "o": [], "f": []}, f)
        with open(os.path.join(slot, f"{seq:020d}.xid"), "w") as f:
            f.write(xid)
    # A third spooled batch (no COMMIT attempted yet) with a row PostgreSQL refuses (1e300 is no real).
    third = [copytext.prediction_line(now, 3.0, 0.1, 1, False, "heuristic", d, f"r-{i}", None, None,
                                      [1e300] if i == 2 else [1.0], None) for i in range(4)]
    with open(os.path.join(slot, f"{3:020d}.batch"), "w") as f:
        json.dump({"v": 1, "p": third, "o": [], "f": []}, f)
    c = _client(scratch_db.url, redis_url, spool_dir)
    try:
        wait_until(lambda: c.stats()["logging"]["spool_batches"] == 0, 10, what="the spool to drain")
        s = c.stats()["logging"]
        assert s["in_doubt_committed"] == 1 and s["in_doubt_rewritten"] == 1
        assert s["rejected_by_server"] == 1 and s["replayed_rows"] == 5 + 7 + 3
    finally:
        c.close()
    with psycopg.connect(scratch_db.url) as pg:
        got = dict(pg.execute("SELECT left(request_key, 1), count(*) FROM mldeck.predictions WHERE deployment = %s "
                              "GROUP BY 1", (d,)).fetchall())
    assert got == {"c": 5, "a": 7, "r": 3}
    assert sorted(os.listdir(slot)) == ["lock", "rejected.jsonl"]


def test_row_refused_by_the_server_is_set_aside(redis_url: str, scratch_db, spool_dir: str) -> None:
    """A value PostgreSQL refuses (1e300 does not fit a real) must not block its batch forever."""
    d = unique("pyreject")
    c = _client(scratch_db.url, redis_url, spool_dir, flush_interval_s=5)
    try:
        for i in range(50):
            c.log_prediction(d, f"r-{i}", predicted=1.0, path="heuristic",
                             numeric=[1e300] if i == 17 else [1.0])
        assert c.flush(10)
        s = c.stats()["logging"]
        assert s["rejected_by_server"] == 1 and s["predictions_written"] == 49
        with open(os.path.join(s["spool_dir"], "rejected.jsonl")) as f:
            rejected = [json.loads(x) for x in f]
        assert len(rejected) == 1 and "\tr-17\t" in rejected[0]["line"]
    finally:
        c.close()
    assert _counts(scratch_db.url, d)[:2] == (49, 49)


def test_image_key_length_counts_utf16_units() -> None:
    # The C++ readers count UTF-16 units: a key of astral characters is as long there as its surrogate pairs.
    copytext.check_image_key("a" * copytext.MAX_IMAGE_KEY)
    copytext.check_image_key("\U0001F600" * (copytext.MAX_IMAGE_KEY // 2))
    with pytest.raises(ValueError, match="longer than"):
        copytext.check_image_key("\U0001F600" * (copytext.MAX_IMAGE_KEY // 2 + 1))
