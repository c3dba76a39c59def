"""A small load generator for the ETA service: booked rides at a steady rate, their real delay
(the outcome) some seconds later, and user feedback for a few of them.

Rides come from a CSV written by ``mldeckctl demo-data`` (feature columns, ``delay_min``), so the
traffic has the demo's distribution; rows are replayed in a loop with fresh request keys.
Like ``mldeckctl simulate``: 90 % of the rides get an outcome after ``outcome_delay_s`` (± 50 %), 5 % of
those also get feedback (positive when the prediction was within 3 minutes).

``python3 -m fastapi_eta.loadgen --url http://127.0.0.1:8000 --csv rides.csv --rate 200 [--seconds 60]``
"""

from __future__ import annotations

import argparse
import csv
import heapq
import http.client
import json
import logging
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from .domain import CATEGORICAL, NUMERIC

_log = logging.getLogger("fastapi_eta.loadgen")


def read_rides(path: str) -> List[Tuple[Dict[str, Any], float]]:
    """(features, delay_min) of every row of a demo-data CSV."""
    rides = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            features: Dict[str, Any] = {n: float(r[n]) for n in NUMERIC}
            features.update({n: r[n] for n in CATEGORICAL})
            rides.append((features, float(r["delay_min"])))
    if not rides:
        raise ValueError(f"{path}: no rows")
    return rides


@dataclass
class LoadStats:
    sent: int = 0
    errors: int = 0
    outcomes: int = 0
    feedback: int = 0
    paths: Dict[str, int] = field(default_factory=dict)
    last_error: str = ""


class LoadGenerator:
    """Sends rides to the service from the calling thread until :meth:`stop` (thread-safe)."""

    def __init__(self, base_url: str, rides: List[Tuple[Dict[str, Any], float]], rate: float, *,
                 outcome_delay_s: float = 20.0, outcome_share: float = 0.9, feedback_share: float = 0.05,
                 seed: int = 42) -> None:
        u = urlsplit(base_url)
        self._host, self._port = u.hostname or "127.0.0.1", u.port or 80
        self._rides = rides
        self._rate = rate
        self._outcome_delay_s = outcome_delay_s
        self._outcome_share = outcome_share
        self._feedback_share = feedback_share
        self._rng = random.Random(seed)
        self._run = uuid.uuid4().hex[:8]
        self._pending: List[Tuple[float, int, str, float, Optional[float]]] = []  # due, seq, key, actual, predicted
        self._stop = threading.Event()
        self._conn: Optional[http.client.HTTPConnection] = None
        self.stats = LoadStats()

    def stop(self) -> None:
        self._stop.set()

    def _post(self, path: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        for attempt in (1, 2):
            try:
                if self._conn is None:
                    self._conn = http.client.HTTPConnection(self._host, self._port, timeout=10)
                self._conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
                resp = self._conn.getresponse()
                data = resp.read()
                return resp.status, (json.loads(data) if data else {})
            except (OSError, http.client.HTTPException) as e:
                self._conn = None
                if attempt == 2:
                    raise e
        raise RuntimeError("unreachable")

    def _send_due(self, now: float, everything: bool = False) -> None:
        while self._pending and (everything or self._pending[0][0] <= now):
            _, _, key, actual, predicted = heapq.heappop(self._pending)
            try:
                self._post("/outcome", {"request_key": key, "actual_delay_min": actual})
                self.stats.outcomes += 1
                if predicted is not None and self._rng.random() < self._feedback_share:
                    self._post("/feedback", {"request_key": key, "positive": abs(predicted - actual) <= 3.0,
                                             "user_id": f"rider-{self._rng.randrange(5000)}"})
                    self.stats.feedback += 1
            except Exception as e:
                self.stats.errors += 1
                self.stats.last_error = str(e)

    def run(self, seconds: float = 0.0, progress_s: float = 5.0) -> LoadStats:
        """Sends at the set rate for ``seconds`` (0: until stop()), then the outcomes still pending."""
        start = time.monotonic()
        next_progress = start + progress_s
        i = 0
        while not self._stop.is_set() and (seconds <= 0 or time.monotonic() - start < seconds):
            features, actual = self._rides[i % len(self._rides)]
            key = f"ride-{self._run}-{i}"
            try:
                status, body = self._post("/predict", {"request_key": key, "features": features})
                predicted = body.get("delay_min") if status == 200 else None
                path = body.get("path", f"http-{status}")
                self.stats.paths[path] = self.stats.paths.get(path, 0) + 1
                self.stats.sent += 1
            except Exception as e:
                self.stats.errors += 1
                self.stats.last_error = str(e)
                predicted = None
            if self._rng.random() < self._outcome_share:
                due = time.monotonic() + self._outcome_delay_s * (0.5 + self._rng.random())
                heapq.heappush(self._pending, (due, i, key, actual, predicted))
            i += 1
            now = time.monotonic()
            self._send_due(now)
            if now >= next_progress:
                next_progress += progress_s
                _log.info("%d rides sent (%.0f/s), paths %s, %d outcomes, %d feedback, %d errors%s", self.stats.sent,
                          self.stats.sent / (now - start), self.stats.paths, self.stats.outcomes, self.stats.feedback,
                          self.stats.errors, f" (last: {self.stats.last_error})" if self.stats.errors else "")
            wait = start + i / self._rate - time.monotonic()
            if wait > 0:
                self._stop.wait(wait)
        self._send_due(time.monotonic(), everything=True)
        if self._conn is not None:
            self._conn.close()
        return self.stats


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m fastapi_eta.loadgen", description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--csv", required=True, help="rides written by mldeckctl demo-data")
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--seconds", type=float, default=0.0, help="0: until Ctrl-C")
    p.add_argument("--outcome-delay", type=float, default=20.0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    gen = LoadGenerator(args.url, read_rides(args.csv), args.rate, outcome_delay_s=args.outcome_delay)
    try:
        stats = gen.run(args.seconds)
    except KeyboardInterrupt:
        gen.stop()
        stats = gen.stats
    print(json.dumps(stats.__dict__))
    return 0 if stats.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
