"""`python -m workers <kind>`: one worker process (what `routerai worker` starts of each kind).

    python -m workers ingest [--burst] [--batch-size N] [--claim-idle-ms N]
    python -m workers jobs [QUEUE ...] [--burst] [--no-scheduler]
    python -m workers scheduler

Settings come from the environment, as for every RouterAI process.
"""

from __future__ import annotations

import argparse
import logging

from gateway.settings import load_settings
from workers.ingest import IngestConfig
from workers.queues import ALL

DEFAULTS = IngestConfig()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers")
    kinds = parser.add_subparsers(dest="kind", required=True)
    ingest = kinds.add_parser("ingest", help="consume the usage stream into request_logs")
    ingest.add_argument("--burst", action="store_true", help="drain the stream, then exit")
    ingest.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size)
    ingest.add_argument("--claim-idle-ms", type=int, default=DEFAULTS.claim_idle_ms)
    jobs = kinds.add_parser("jobs", help="an RQ worker")
    jobs.add_argument("queues", nargs="*", default=list(ALL), help="in order of priority")
    jobs.add_argument("--burst", action="store_true", help="run the queued jobs, then exit")
    jobs.add_argument("--no-scheduler", action="store_true", help="leave scheduled jobs be")
    kinds.add_parser("scheduler", help="RQ's cron scheduler with the periodic jobs")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings()
    from workers import runner

    if args.kind == "ingest":
        config = IngestConfig(batch_size=args.batch_size, claim_idle_ms=args.claim_idle_ms)
        runner.run_ingest(settings, config=config, burst=args.burst)
    elif args.kind == "jobs":
        runner.run_jobs(
            settings, queues=args.queues, burst=args.burst, with_scheduler=not args.no_scheduler
        )
    else:
        runner.run_scheduler(settings)


main()
