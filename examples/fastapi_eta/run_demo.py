"""The demo backend in one process: the ETA service under uvicorn plus its load generator.

``packaging/local-stack/mldeck-dev demo --backend python`` runs this instead of ``mldeckctl simulate``:

    python3 -m fastapi_eta.run_demo --csv rides.csv --rate 200 [--port 0] [--seconds N]

SIGINT or SIGTERM stops the traffic, sends the outcomes still pending, stops the server, and the
service's shutdown closes the MLDeck client, which writes what it buffered (or spools it).
Progress is printed every 5 s. Exit code 0 when everything was logged, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from typing import List, Optional

import uvicorn

from .app import Settings, create_app
from .loadgen import LoadGenerator, read_rides

_log = logging.getLogger("fastapi_eta.demo")


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m fastapi_eta.run_demo", description=__doc__.splitlines()[0])
    p.add_argument("--csv", required=True, help="rides written by mldeckctl demo-data")
    p.add_argument("--rate", type=float, default=200.0, help="rides per second")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: a free port")
    p.add_argument("--seconds", type=float, default=0.0, help="0: until SIGINT/SIGTERM")
    p.add_argument("--outcome-delay", type=float, default=20.0, help="seconds until a ride's outcome (± 50 %%)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")

    rides = read_rides(args.csv)
    app = create_app(Settings())
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning",
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            _log.error("the ETA service did not start (see above)")
            return 2
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://{args.host}:{port}"
    _log.info("ETA service listening on %s (POST /predict, /outcome, /feedback; GET /health)", url)

    gen = LoadGenerator(url, rides, args.rate, outcome_delay_s=args.outcome_delay)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: gen.stop())
    _log.info("sending %.0f rides/s from %s", args.rate, args.csv)
    stats = gen.run(args.seconds)
    _log.info("traffic stopped: %d rides, %d outcomes, %d feedback, %d errors", stats.sent, stats.outcomes,
              stats.feedback, stats.errors)
    service = app.state.service
    health = service.health()
    server.should_exit = True
    thread.join(120)
    logging_stats = service.client.stats()["logging"]
    _log.info("client: %s", json.dumps({k: logging_stats[k] for k in (
        "predictions_written", "outcomes_written", "feedback_written", "spool_batches", "dropped_buffer_full",
        "dropped_at_close", "rejected_invalid", "rejected_by_server")}))
    _log.info("served model %s; paths %s", health["model_version"], health["paths"])
    lost = logging_stats["dropped_buffer_full"] + logging_stats["dropped_at_close"]
    return 0 if lost == 0 and not thread.is_alive() else 1


if __name__ == "__main__":
    sys.exit(main())
