"""The scaled-out setup of docs/deploy.md, for real.

The Procfile's two server processes (its own commands, on free ports),
without a checker of their own, plus one `runmonitor` worker, sharing PostgreSQL and Redis: events written by any process reach
sockets on the others, and the stats of both servers add up.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import tools
from tests.integration.conftest import Socket, admin_token, first_item
from tests.tools import login

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

CHECK_TIMEOUT = 30


class Worker:
    """A `manage.py runmonitor` process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.out = tempfile.NamedTemporaryFile("w+", prefix="tidings-runmonitor-")
        self.log = tempfile.NamedTemporaryFile("w+", prefix="tidings-runmonitor-")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runmonitor"],
            cwd=tools.ROOT,
            env=env,
            stdout=self.out,
            stderr=self.log,
        )
        self.summary: str | None = None
        # Its signal handlers are in place once it says so.
        tools.wait_for(self.started, 30, f"the runmonitor worker ({self.log.name})")

    def started(self) -> bool:
        log = Path(self.log.name).read_text()
        if self.proc.poll() is not None:
            raise RuntimeError(f"runmonitor exited {self.proc.returncode}: {log}")
        return "monitor worker started" in log

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> str:
        """SIGTERM: it must finish its checks and exit 0 within 15 s; its summary."""
        if self.summary is not None:
            return self.summary
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(
                    "runmonitor did not stop within 15 s of SIGTERM"
                ) from None
        log = Path(self.log.name).read_text()[-3000:]
        self.summary = Path(self.out.name).read_text()
        self.out.close()
        self.log.close()
        assert self.proc.returncode == 0, (
            f"runmonitor exited {self.proc.returncode}: {log}"
        )
        return self.summary


class Cluster:
    def __init__(self, a: tools.Server, b: tools.Server, worker: Worker) -> None:
        self.a, self.b, self.worker = a, b, worker


PREPARE = """
from django.core.management import call_command
from monitoring.models import Endpoint
call_command("migrate", "--noinput", verbosity=0)
call_command("seed_demo", verbosity=0)
# The demo endpoints point at port 8000, whatever listens there: the worker
# checks only what the tests create.
Endpoint.objects.update(is_active=False)
"""


@pytest.fixture(scope="module")
def scaleout_database() -> Iterator[tools.Database]:
    if not os.environ.get("DATABASE_URL", "").startswith(
        ("postgres://", "postgresql://")
    ):
        tools.need("needs PostgreSQL (DATABASE_URL)")
    database = tools.Database()
    try:
        tools.manage(tools.server_env(database, None), "shell", "-c", PREPARE)
        yield database
    finally:
        database.drop()


@pytest.fixture
def cluster(scaleout_database, redis_url) -> Iterator[Cluster]:
    env = tools.server_env(
        scaleout_database,
        redis_url,
        MONITOR_MIN_INTERVAL="1",
        MONITOR_POLL_INTERVAL="0.2",
        STATS_INTERVAL="0.5",
    )
    started: list[tools.Server] = []
    worker: Worker | None = None
    try:
        # Two web processes exactly as the Procfile runs them, on two ports.
        for _ in range(2):
            started.append(tools.Server(env, server="procfile:web").start())
        worker = Worker(env)
        yield Cluster(started[0], started[1], worker)
    finally:
        try:
            if worker is not None:
                worker.stop()
        finally:
            for server in started:
                server.stop()


async def frames_until(
    sock: Socket, event: str, match: Any, timeout: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first `event` frame for which `match(data)` holds, and every frame before it."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {event} within {timeout}s; saw {seen[-5:]}")
        frame = await sock.recv(timeout=remaining)
        if frame["event"] == event and match(frame.get("data") or {}):
            return frame, seen
        seen.append(frame)


async def test_worker_checks_reach_a_socket_on_the_other_server(cluster):
    a, b = cluster.a, cluster.b
    token = admin_token(b.base)
    headers = {"Authorization": f"Bearer {token}"}
    staff = await Socket.open(f"{a.ws}/ws/monitoring/?token={token}")
    endpoint_id = None
    try:
        reply = await staff.request("subscribe:all", {}, "s1")
        assert reply["event"] == "subscribe_success", reply
        created = httpx.post(
            f"{b.base}/api/endpoints/",
            json={
                "name": "Server A health",
                "url": f"{a.base}/healthz",
                "intervalSeconds": 1,
                "timeoutSeconds": 1,
            },
            headers=headers,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        endpoint_id = created.json()["id"]

        def mine(data: dict[str, Any]) -> bool:
            return data.get("endpointId") == endpoint_id

        # Nobody calls check-now: only the worker can have checked it, twice
        # (the first check at once, the next one an interval later).
        first, _ = await frames_until(staff, "check:completed", mine, CHECK_TIMEOUT)
        second, _ = await frames_until(staff, "check:completed", mine, CHECK_TIMEOUT)
        assert first["room"] == "endpoints"
        assert first["data"]["status"] == "UP"
        assert first["data"]["statusCode"] == 200
        assert second["seq"] > first["seq"]
        assert second["data"]["checkedAt"] > first["data"]["checkedAt"]

        # Every stored check is one of the worker's (the demo endpoints are
        # paused): the servers checked nothing themselves.
        assert cluster.worker.running(), "the worker stopped early"
        summary = cluster.worker.stop()
        checked = int(summary.split("checked=")[1].split()[0])
        checks = httpx.get(
            f"{a.base}/api/endpoints/{endpoint_id}/checks/",
            headers=headers,
            timeout=10,
        )
        assert checks.status_code == 200, checks.text
        assert checked >= 2
        assert len(checks.json()) == checked, (summary, checks.json())
    finally:
        await staff.close()
        if endpoint_id:
            httpx.delete(
                f"{b.base}/api/endpoints/{endpoint_id}/", headers=headers, timeout=10
            )


async def test_rest_order_on_one_server_reaches_the_kitchen_on_the_other_once(
    cluster,
):
    a, b = cluster.a, cluster.b
    kitchen = await Socket.open(f"{a.ws}/ws/orders/?token={login(a.base, 'barista')}")
    try:
        # The client offered permessage-deflate; the Procfile's servers decline.
        assert "Sec-WebSocket-Extensions" not in kitchen.conn.response.headers
        reply = await kitchen.request("join_room", {"roomType": "kitchen"})
        assert reply["event"] == "join_room_success", reply
        item = first_item(b.base)
        orders = []
        for _ in range(2):
            response = httpx.post(
                f"{b.base}/api/orders/",
                json={
                    "items": [{"menuId": item["id"], "quantity": 1}],
                    "payType": "CASH",
                },
                timeout=10,
            )
            assert response.status_code == 201, response.text
            orders.append(response.json()["orderId"])

        # Frames of a room arrive in seq order: the first order, then the second
        # with the very next seq, so the first came exactly once.
        first, _ = await frames_until(
            kitchen, "order:created", lambda d: True, timeout=10
        )
        second, between = await frames_until(
            kitchen, "order:created", lambda d: True, timeout=10
        )
        assert first["data"]["orderId"] == orders[0]
        assert second["data"]["orderId"] == orders[1]
        assert second["seq"] == first["seq"] + 1
        assert [f for f in between if f["event"] == "order:created"] == []
        # And no late copy either.
        with pytest.raises((TimeoutError, asyncio.TimeoutError)):
            while True:
                frame = await kitchen.recv(timeout=0.5)
                assert frame["event"] != "order:created", frame
    finally:
        await kitchen.close()


async def test_stats_on_one_server_count_the_connections_of_both(cluster):
    a, b = cluster.a, cluster.b
    token = admin_token(a.base)
    on_a = [await Socket.open(f"{a.ws}/ws/orders/") for _ in range(2)]
    on_b = [await Socket.open(f"{b.ws}/ws/orders/") for _ in range(3)]
    try:
        for sock in on_b:
            reply = await sock.request("join_room", {"roomType": "kiosk"})
            assert reply["event"] == "join_room_success", reply

        def stats() -> dict[str, Any]:
            response = httpx.get(
                f"{a.base}/api/realtime/stats/",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            return response.json()

        latest: dict[str, Any] = {}

        def counted() -> bool:
            latest.update(stats())
            return (
                latest["processes"] == 2
                and latest["connections"]["current"] == 5
                and latest["rooms"].get("kiosk", {}).get("clients") == 3
            )

        # Each process publishes its figures every STATS_INTERVAL (0.5 s).
        try:
            await asyncio.to_thread(tools.wait_for, counted, 10, "summed stats", 0.2)
        except TimeoutError as exc:
            raise AssertionError(f"stats never added up: {latest}") from exc
    finally:
        for sock in on_a + on_b:
            await sock.close()
