"""Checker schedule benchmark: N endpoints at a fixed interval against a local target.

Starts one `manage.py runmonitor` worker on a fresh database (PostgreSQL when
DATABASE_URL is set, else SQLite), with the endpoints' first checks spread over
one interval (a steady state), and reports how late checks start compared with
when they were due (p50/p99) and the worker's CPU use.

    .venv/bin/python bench/monitor_schedule.py --endpoints 1000 --interval 60 --duration 150
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import tools  # noqa: E402
from tests.monitoring.target import Target  # noqa: E402

CREATE = """
import random
from datetime import timedelta
from django.utils import timezone
from monitoring.models import Endpoint
now = timezone.now()
Endpoint.objects.bulk_create([
    Endpoint(name=f"bench-{{i:04d}}", url="{url}", interval_seconds={interval},
             timeout_seconds=5,
             next_check_at=now + timedelta(seconds={delay} + {interval} * i / {n}))
    for i in range({n})
])
"""
# First checks fall due this long after creation, once the worker is surely up:
# the lag measures the schedule, not the worker's start-up.
START_DELAY = 10

LAGS = """
import json
from monitoring.models import CheckResult
print(json.dumps({{"checks": CheckResult.objects.count()}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--duration", type=float, default=150)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    target = Target().start()
    database = tools.Database()
    env = tools.server_env(
        database, os.environ.get("REDIS_URL") or None, MONITOR_IN_PROCESS="0"
    )
    try:
        tools.manage(env, "migrate", "--noinput")
        tools.manage(
            env,
            "shell",
            "-c",
            CREATE.format(
                url=target.url,
                interval=args.interval,
                n=args.endpoints,
                delay=START_DELAY,
            ),
        )
        started = time.monotonic()
        proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runmonitor",
                "--duration",
                str(args.duration),
                "--concurrency",
                str(args.concurrency),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        out = proc.stdout.read() if proc.stdout else ""
        err = proc.stderr.read() if proc.stderr else ""
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"runmonitor failed:\n{err[-3000:]}")
        fields = dict(item.split("=") for item in out.split())
        shell_out = tools.manage(env, "shell", "-c", LAGS.format())
        checks = json.loads(shell_out.strip().splitlines()[-1])["checks"]
    finally:
        target.stop()
        database.drop()
    cpu = usage.ru_utime + usage.ru_stime
    expected = args.endpoints * (args.duration - START_DELAY) / args.interval
    report = {
        "endpoints": args.endpoints,
        "intervalSeconds": args.interval,
        "durationSeconds": args.duration,
        "database": "postgresql" if database.pg_admin else "sqlite",
        "checks": checks,
        "checksExpected": round(expected),
        "checksPerSecond": round(checks / (args.duration - START_DELAY), 1),
        "lagP50Seconds": float(fields["lag_p50"]),
        "lagP99Seconds": float(fields["lag_p99"]),
        "crashed": int(fields["crashed"]),
        "cpuSeconds": round(cpu, 2),
        "cpuPercentOfOneCore": round(100 * cpu / wall, 1),
        "maxRssMB": round(usage.ru_maxrss / 1024, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
