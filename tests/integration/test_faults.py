"""Faults under load, with real processes: a server killed, Redis gone, PostgreSQL restarted.

Two server processes reach Redis and PostgreSQL through fault proxies
(tests/faultproxy.py) that can cut every connection and refuse new ones.
Clients split over both servers sit in the kiosk room and resume with
`lastSeq` when their socket drops; announcements are published through REST
on the first server at 20 events/s. bench/faults.py runs the same at full
size and prints the figures (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from bench.faults import Cluster, Load, Result, cut, fault_run, restart_second
from tests import tools
from tests.faultproxy import FaultProxy

pytestmark = [pytest.mark.redis]

CLIENTS = 100
RATE = 20.0
# What the background loops and the channel layer logged per attempt while a
# dependency was away, before outages were reported once (realtime.health).
FLOOD_LINES = (
    "hub receive failed",
    "Unexpected exception in receive task",
    "relay failed",
    "history check failed",
    "stats failed",
    "presence sweep failed",
    "presence refresh failed",
    "presence store unavailable",
)


class Faulty:
    def __init__(
        self,
        cluster: Cluster,
        redis: FaultProxy,
        database: FaultProxy | None,
        database_url: str,
    ) -> None:
        self.cluster = cluster
        self.redis = redis
        self.database = database
        self.database_url = database_url


@pytest.fixture(scope="module")
def faulty(server_database: tools.Database, redis_url: str) -> Iterator[Faulty]:
    redis = FaultProxy(urlparse(redis_url).port or 6379).start()
    database: FaultProxy | None = None
    url = server_database.url
    if url.startswith(("postgres://", "postgresql://")):
        database = FaultProxy(urlparse(url).port or 5432).start()
        url = database.url(url)
    env = tools.server_env(
        server_database,
        redis.url(redis_url),
        DATABASE_URL=url,
        WS_RATE_LIMIT="100000",
        MONITOR_IN_PROCESS="0",
        **tools.ONE_ADDRESS_LOAD,
        STATS_INTERVAL="1",
    )
    cluster = Cluster(env, 2, redis, database)
    try:
        cluster.start()
        yield Faulty(cluster, redis, database, server_database.url)
    finally:
        cluster.stop()
        redis.close()
        if database is not None:
            database.close()


@pytest.fixture
async def load(faulty: Faulty) -> AsyncIterator[Load]:
    # A run that failed half way must not leave a service cut for the next.
    if faulty.redis.is_cut:
        faulty.redis.restore()
    if faulty.database is not None and faulty.database.is_cut:
        faulty.database.restore()
    load = Load(faulty.cluster, CLIENTS, RATE)
    try:
        await load.open(timeout=30)
        yield load
    finally:
        await load.close()


def answers(result: Result, kind: str) -> dict[str, int]:
    return {
        key.split(" ", 1)[1]: n
        for key, n in result.during.answers.items()
        if key.split(" ", 1)[0] == kind
    }


def health_lines(result: Result, name: str) -> list[str]:
    return [
        line
        for line in result.log_text.splitlines()
        if f"{name} unavailable" in line or f"{name} available again" in line
    ]


def assert_every_event_once_in_order(result: Result) -> None:
    assert result.notes == [], result.notes
    assert result.committed > 0
    assert (result.lost, result.duplicated, result.reordered) == (0, 0, 0), result


def assert_no_flood(result: Result) -> None:
    flood = [
        line
        for line in result.log_text.splitlines()
        if any(text in line for text in FLOOD_LINES)
    ]
    assert flood == [], flood[:5]


async def test_a_killed_server_is_restarted_and_every_client_has_every_event_once(
    faulty: Faulty, load: Load
) -> None:
    result = await fault_run(
        load,
        "SIGKILL",
        restart_second(faulty.cluster, signal.SIGKILL, 0.5),
        faulty.database_url,
    )
    assert_every_event_once_in_order(result)
    # The clients of the killed process (half of them) dropped and came back
    # (to the other process, or to the restarted one) well within 10 s.
    assert result.drops >= CLIENTS // 2
    assert result.reconnected == result.drops
    assert result.reconnect_max is not None and result.reconnect_max < 10, result
    assert result.recover is not None and result.recover < 5


async def test_redis_outage_rest_and_sockets_work_on_and_delivery_resumes(
    faulty: Faulty, load: Load
) -> None:
    result = await fault_run(
        load, "Redis down", cut(faulty.redis, 4), faulty.database_url
    )
    assert_every_event_once_in_order(result)
    assert result.drops == 0
    # REST writes and reads went on; the stats answered each process's own
    # figures (an HTML 500 before); new sockets could join the room.
    assert set(answers(result, "publish")) == {"2xx/3xx"}, result.during.answers
    assert set(answers(result, "/api/menus/")) == {"2xx/3xx"}
    assert set(answers(result, "/api/realtime/stats/")) == {"2xx/3xx"}
    assert set(answers(result, "/readyz")) == {"JSON 503"}
    assert set(answers(result, "socket")) == {"joined"}
    # Events published during the outage reached the clients of both
    # processes from the history, a second or two late, not after it.
    assert result.delivery_max_during is not None and result.delivery_max_during < 4
    assert result.recover is not None and result.recover < 5
    # One warning when the outage started and one when it ended, per process.
    lines = health_lines(result, "redis")
    assert len(lines) == 4, lines
    assert_no_flood(result)
    await assert_ready_again(faulty, timeout=5)


@pytest.mark.postgres
async def test_postgres_restart_requests_get_json_503_and_sockets_stay_open(
    faulty: Faulty, load: Load
) -> None:
    if faulty.database is None:
        tools.need("needs PostgreSQL (DATABASE_URL)")
    result = await fault_run(
        load, "PostgreSQL down", cut(faulty.database, 3), faulty.database_url
    )
    assert_every_event_once_in_order(result)
    assert result.drops == 0  # open sockets stayed open
    json_503 = sum(n for key, n in result.during.answers.items() if "JSON 503" in key)
    assert json_503 > 0
    assert result.bad() == 0, {
        key: example
        for key, example in result.during.examples.items()
        if "non-JSON" in key or ("JSON 5" in key and "503" not in key)
    }
    assert result.recover is not None and result.recover < 5, result.notes
    lines = health_lines(result, "database")
    assert len(lines) == 4, lines
    assert_no_flood(result)
    await assert_ready_again(faulty, timeout=5)


async def assert_ready_again(faulty: Faulty, timeout: float) -> None:
    async with httpx.AsyncClient(timeout=2) as http:

        async def ready() -> list[dict[str, Any]]:
            bodies = []
            for server in faulty.cluster.servers:
                response = await http.get(server.base + "/readyz")
                bodies.append(response.json())
            return bodies

        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            bodies = await ready()
            if all(body["status"] == "ok" and body["down"] == {} for body in bodies):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not ready {timeout} s after the fault: {bodies}")
            await asyncio.sleep(0.2)


def test_the_proxy_cuts_and_restores() -> None:
    """The fault proxy itself: cut refuses and closes, restore forwards again."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as upstream:
        upstream.settimeout(5)
        port = upstream.getsockname()[1]
        with FaultProxy(port) as proxy:
            client = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
            conn, _ = upstream.accept()
            client.sendall(b"ping")
            assert conn.recv(4) == b"ping"
            assert proxy.cut() == 1
            try:
                assert client.recv(4) == b""  # closed by the cut
            except ConnectionResetError:
                pass
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
            proxy.restore()
            again = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
            conn2, _ = upstream.accept()
            conn2.sendall(b"pong")
            assert again.recv(4) == b"pong"
            for sock in (client, conn, again, conn2):
                sock.close()


@pytest.mark.postgres
async def test_a_join_during_a_database_outage_is_refused_clearly_and_the_socket_stays(
    faulty: Faulty,
) -> None:
    from tests.integration.conftest import Socket

    if faulty.database is None:
        tools.need("needs PostgreSQL (DATABASE_URL)")
    server = faulty.cluster.servers[0]
    sock = await Socket.open(f"ws://127.0.0.1:{server.port}/ws/orders/")
    try:
        faulty.database.cut()
        try:
            refused = await sock.request(
                "join_room", {"roomType": "order", "orderId": "abc"}, ref="j1"
            )
            assert refused["event"] == "error", refused
            assert refused["data"]["code"] == "CONNECTION_FAILED", refused
            pong = await sock.request("ping", {}, ref="p1")
            assert pong["event"] == "pong"  # the socket stays open
        finally:
            faulty.database.restore()
        joined = await sock.request("join_room", {"roomType": "kiosk"}, ref="j2")
        assert joined["event"] == "join_room_success", joined
    finally:
        await sock.close()
    assert "handler failed" not in server.output()
