"""Two `runmonitor` workers on PostgreSQL share 100 endpoints: none checked twice, none skipped."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from tests import tools
from tests.monitoring.target import Target

pytestmark = pytest.mark.integration

INTERVAL = 3
ENDPOINTS = 100
ROUNDS = 3

CREATE = """
from monitoring import services
for i in range({n}):
    services.endpoint_create(data={{
        "name": f"ep-{{i:03d}}", "url": "{url}", "intervalSeconds": {interval},
        "timeoutSeconds": 2, "degradedThresholdMs": 10000,
    }})
"""


def test_two_workers_share_endpoints_without_double_checks():
    if not os.environ.get("DATABASE_URL", "").startswith(
        ("postgres://", "postgresql://")
    ):
        tools.need("needs PostgreSQL (DATABASE_URL)")
    import psycopg

    target = Target().start()
    database = tools.Database()
    env = tools.server_env(
        database,
        None,
        MONITOR_MIN_INTERVAL="1",
        MONITOR_POLL_INTERVAL="0.1",
        MONITOR_IN_PROCESS="0",
    )
    workers: list[subprocess.Popen[str]] = []
    try:
        tools.manage(env, "migrate", "--noinput")
        tools.manage(
            env,
            "shell",
            "-c",
            CREATE.format(n=ENDPOINTS, url=target.url, interval=INTERVAL),
        )
        for _ in range(2):
            workers.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "runmonitor"],
                    cwd=tools.ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        started = time.monotonic()
        with psycopg.connect(database.url, autocommit=True) as conn:

            def checks() -> int:
                return conn.execute(
                    "SELECT count(*) FROM monitoring_checkresult"
                ).fetchone()[0]

            tools.wait_for(lambda: checks() > 0, 30, "the first check")
            first = time.monotonic()
            # Three full intervals after the first check, plus a margin.
            time.sleep(max(0.0, first + ROUNDS * INTERVAL + 1.0 - time.monotonic()))
            outputs = []
            stopped_at = datetime.now(UTC)
            for proc in workers:
                proc.send_signal(signal.SIGTERM)
            for proc in workers:
                out, err = proc.communicate(timeout=20)
                assert proc.returncode == 0, err[-3000:]
                outputs.append(out)
            rows = conn.execute(
                "SELECT endpoint_id, checked_at FROM monitoring_checkresult "
                "ORDER BY endpoint_id, checked_at"
            ).fetchall()
            statuses = {
                s
                for (s,) in conn.execute(
                    "SELECT DISTINCT status FROM monitoring_checkresult"
                )
            }
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        target.stop()
        database.drop()

    assert statuses == {"UP"}
    by_endpoint: dict[int, list] = {}
    for endpoint_id, checked_at in rows:
        by_endpoint.setdefault(endpoint_id, []).append(checked_at)
    assert len(by_endpoint) == ENDPOINTS, "some endpoint was never checked"
    for endpoint_id, times in by_endpoint.items():
        assert len(times) >= ROUNDS, (endpoint_id, times)
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        # Never twice in one interval, and never a round skipped.
        assert min(gaps) >= INTERVAL - 0.01, (endpoint_id, gaps)
        assert max(gaps) < INTERVAL + 1.5, (endpoint_id, gaps)
        assert (stopped_at - times[-1]).total_seconds() < INTERVAL + 1.5
    all_gaps = sorted(
        (b - a).total_seconds()
        for times in by_endpoint.values()
        for a, b in itertools.pairwise(times)
    )
    print(
        "gaps min/median/max", all_gaps[0], all_gaps[len(all_gaps) // 2], all_gaps[-1]
    )
    # Both workers took part.
    counts = [int(out.split("checked=")[1].split()[0]) for out in outputs]
    assert all(c > 0 for c in counts), outputs
    assert sum(counts) == len(rows)
    assert time.monotonic() - started < 60
