"""Dashboard and status page time to first byte with many endpoints and a month of checks.

Fills a fresh database (PostgreSQL when DATABASE_URL is set, else SQLite) with
N endpoints, each with raw checks every `--every` minutes for the raw
retention (7 days) and hourly rollups for the rest of `--days`, a few
incidents, then starts one server (no checker) and asks each page once,
then `--requests` times in a row, reporting the time to first byte (the
first, then p50 and max of the others) and the size of the answer. The
status page and its API share one read for a few seconds, so their first
request is the read and the others are served from it. Sequential requests:
a latency figure, not a load test.

    .venv/bin/python bench/status_pages.py --endpoints 1000 --days 30
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import tools  # noqa: E402

FILL = """
import random
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from monitoring.models import CheckResult, CheckRollup, Endpoint, Incident
User = get_user_model()
User.objects.create_user("benchadmin", password="benchadmin", is_staff=True)
rnd = random.Random(1)
now = timezone.now().replace(second=0, microsecond=0)
raw_days = min({days}, 7)
eps = Endpoint.objects.bulk_create([
    Endpoint(name=f"bench-{{i:04d}}", url="http://127.0.0.1:9/", group=f"Group {{i % 8}}",
             status="UP", last_checked_at=now)
    for i in range({n})
])
steps = raw_days * 24 * 60 // {every}
batch = []
for e in eps:
    for k in range(steps):
        batch.append(CheckResult(endpoint=e, status="UP" if rnd.random() > 0.01 else "DOWN",
                                 status_code=200, response_time=rnd.randint(5, 400),
                                 checked_at=now - timedelta(minutes={every} * k)))
    if len(batch) >= 50000:
        CheckResult.objects.bulk_create(batch, batch_size=5000); batch = []
CheckResult.objects.bulk_create(batch, batch_size=5000)
batch = []
first_hour = (now - timedelta(days=raw_days)).replace(minute=0)
for e in eps:
    for h in range(({days} - raw_days) * 24):
        batch.append(CheckRollup(endpoint=e, hour=first_hour - timedelta(hours=h + 1),
                                 total=60 // {every} or 1, up=60 // {every} or 1,
                                 response_time_sum=100, response_time_count=1))
    if len(batch) >= 50000:
        CheckRollup.objects.bulk_create(batch, batch_size=5000); batch = []
CheckRollup.objects.bulk_create(batch, batch_size=5000)
Incident.objects.bulk_create([
    Incident(endpoint=e, started_at=now - timedelta(days=rnd.randint(1, {days})),
             failure_count=3, notes="bench")
    for e in eps[:: max(1, {n} // 20)]
])
for inc in Incident.objects.all():
    inc.resolved_at = inc.started_at + timedelta(minutes=20)
    inc.save(update_fields=["resolved_at"])
print(CheckResult.objects.count(), CheckRollup.objects.count())
"""

PAGES = {
    "dashboard summary (/api/monitoring/summary/)": "/api/monitoring/summary/",
    "dashboard page (/monitoring/)": "/monitoring/",
    "status page (/status/)": "/status/",
    "status API (/api/status/)": "/api/status/",
}


def ttfb(client: httpx.Client, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    with client.stream("GET", path) as response:
        stream = response.iter_bytes()
        first = next(stream, b"")
        elapsed = time.perf_counter() - started
        size = len(first) + sum(len(chunk) for chunk in stream)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return elapsed, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--every", type=int, default=30, help="minutes between raw checks"
    )
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()

    database = tools.Database()
    env = tools.server_env(
        database, os.environ.get("REDIS_URL") or None, MONITOR_IN_PROCESS="0"
    )
    report: dict[str, object] = {}
    try:
        tools.manage(env, "migrate", "--noinput")
        started = time.monotonic()
        out = tools.manage(
            env,
            "shell",
            "-c",
            FILL.format(n=args.endpoints, days=args.days, every=args.every),
            timeout=3600,
        )
        checks, rollups = out.split()[-2:]
        report["fillSeconds"] = round(time.monotonic() - started, 1)
        report["rawChecks"], report["rollups"] = int(checks), int(rollups)
        with tools.servers(env) as [server]:
            token = httpx.post(
                f"{server.base}/api/auth/token/",
                json={"username": "benchadmin", "password": "benchadmin"},
                timeout=10,
            ).json()["access"]
            with httpx.Client(
                base_url=server.base,
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            ) as client:
                # The dashboard page itself is a session page: log in for it.
                csrf = client.get("/accounts/login/").cookies.get("csrftoken", "")
                client.post(
                    "/accounts/login/",
                    data={
                        "username": "benchadmin",
                        "password": "benchadmin",
                        "csrfmiddlewaretoken": csrf,
                    },
                    headers={"X-CSRFToken": csrf},
                )
                for name, path in PAGES.items():
                    # The warm-up: for the status page and API, the read that
                    # the next requests share (MONITOR_STATUS_CACHE_SECONDS).
                    first, _ = ttfb(client, path)
                    times, size = [], 0
                    for _ in range(args.requests):
                        elapsed, size = ttfb(client, path)
                        times.append(elapsed)
                    report[name] = {
                        "ttfbFirstMs": round(1000 * first, 1),
                        "ttfbP50Ms": round(1000 * statistics.median(times), 1),
                        "ttfbMaxMs": round(1000 * max(times), 1),
                        "bytes": size,
                    }
    finally:
        database.drop()
    report.update(
        endpoints=args.endpoints,
        days=args.days,
        rawEveryMinutes=args.every,
        database="postgresql" if database.pg_admin else "sqlite",
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
