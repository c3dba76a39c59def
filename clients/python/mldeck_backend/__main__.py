"""Command line of mldeck_backend: ``python3 -m mldeck_backend bucket --deployment D --key K``."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .bucketing import bucket
from .flags import is_valid_deployment_name


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line; returns the exit code (0 done, 2 usage error)."""
    parser = argparse.ArgumentParser(prog="python3 -m mldeck_backend",
                                     description="MLDeck backend client tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bucket", help="print the bucket (1..100) of request keys (bucketing.md)")
    b.add_argument("--deployment", required=True, help="deployment name, e.g. eta")
    b.add_argument("--key", required=True, action="append", help="request key (repeat for several)")
    args = parser.parse_args(argv)
    if args.command == "bucket":
        if not is_valid_deployment_name(args.deployment):
            print(f"error: {args.deployment!r} is not a valid deployment name (^[a-z][a-z0-9_-]{{0,62}}$)",
                  file=sys.stderr)
            return 2
        for key in args.key:
            print(bucket(args.deployment, key))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
