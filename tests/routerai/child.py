"""A stand-in child for supervisor tests: `python -m tests.routerai.child [SECONDS [CODE]]`
runs SECONDS (forever by default), then exits with CODE; SIGTERM ends it at once."""

import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else float("inf")
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
