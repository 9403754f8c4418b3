"""Runs the Autobahn TestSuite cases (through the PyPI package kosoku) against a WebSocket URL.

Prints a line per case that is not acceptable and the counts of every verdict, and exits 1 when
any case's behaviour is not OK, NON-STRICT or INFORMATIONAL, or its closing handshake FAILED,
unless the case is listed in ALLOWED with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
import time

import kosoku

GOOD_BEHAVIOURS = {"OK", "NON-STRICT", "INFORMATIONAL"}
BAD_CLOSE_BEHAVIOURS = {"FAILED", "FAILED BY CLIENT", "FAILED_BY_CLIENT"}

# Case id -> why its verdict is accepted although it is not in GOOD_BEHAVIOURS.
ALLOWED: dict[str, str] = {}


async def run(url: str, include: list[str] | None, exclude: list[str] | None, parallelism: int) -> int:
    started = time.monotonic()
    try:
        results = await kosoku.run_fuzzingclient(url, include, exclude, concurrency=parallelism)
    except kosoku.FailureError as failure:
        results = failure.results
    elapsed = time.monotonic() - started

    behaviours: collections.Counter[str] = collections.Counter()
    closes: collections.Counter[str] = collections.Counter()
    bad = []
    for result in results:
        behaviour = result.behavior.value
        close = result.behavior_close.value
        behaviours[behaviour] += 1
        closes[close] += 1
        if (behaviour not in GOOD_BEHAVIOURS or close in BAD_CLOSE_BEHAVIOURS) and result.case_id not in ALLOWED:
            bad.append(result)

    for result in bad:
        print(f"case {result.case_id}: behaviour {result.behavior.value}, close {result.behavior_close.value}")
    for case_id, reason in sorted(ALLOWED.items()):
        print(f"case {case_id}: accepted exception: {reason}")
    slowest = sorted(results, key=lambda result: result.duration or 0, reverse=True)[:5]
    print(f"{len(results)} cases in {elapsed:.1f} s; slowest: " + ", ".join(f"{r.case_id} {(r.duration or 0) / 1000:.1f} s" for r in slowest))
    print("behaviour: " + ", ".join(f"{name} {count}" for name, count in sorted(behaviours.items())))
    print("closing handshake: " + ", ".join(f"{name} {count}" for name, count in sorted(closes.items())))
    if not results:
        print("no case ran", file=sys.stderr)
        return 1
    if bad:
        print(f"{len(bad)} cases not acceptable", file=sys.stderr)
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="WebSocket URL of an echo endpoint, e.g. ws://127.0.0.1:1999/parties/echo/autobahn")
    parser.add_argument("-i", "--include", action="append", help="case id or glob (default: every case)")
    parser.add_argument("-x", "--exclude", action="append", help="case id or glob to leave out")
    parser.add_argument("-p", "--parallelism", type=int, default=2, help="cases run at once (default 2)")
    args = parser.parse_args()
    status = asyncio.run(run(args.url, args.include, args.exclude, args.parallelism))
    # kosoku's native runtime can abort while the interpreter shuts down, after the run is
    # complete and reported; leave without that shutdown so the exit status is the run's.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
