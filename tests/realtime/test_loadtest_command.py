"""`manage.py loadtest` against a real server process."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from realtime.management.commands.loadtest import join_data, run_load, socket_url
from tests import tools

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(server_database):
    # Short heartbeats: a client that did not answer them would be closed (4408).
    env = tools.server_env(
        server_database, None, HEARTBEAT_INTERVAL="0.5", HEARTBEAT_TIMEOUT="1"
    )
    with tools.servers(env, 1) as (one,):
        yield one


def loadtest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "loadtest", *args],
        cwd=tools.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_run_load_connects_every_client_and_measures_pings(server):
    result = await run_load(server.ws, 5, 2.0, rate=4)
    assert result.connected == 5
    assert result.errors == 0, result.error_samples
    # Per client: connected, join_room_success, about 8 pongs and heartbeats.
    assert result.received >= 5 * 10
    assert len(result.round_trips) >= 5 * 7
    assert 0 < result.percentile(0.5) <= result.percentile(0.99) < 1
    assert result.ok


def test_command_prints_the_summary_and_exits_0(server):
    env = server.env
    started = time.monotonic()
    done = loadtest(
        env, "--url", server.ws, "--clients", "5", "--duration", "2", "--rate", "2"
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "clients",
        "connected",
        "messages received",
        "errors",
        "duration",
        "average messages per second",
        "ping round-trip p50/p99",
    ]
    assert lines[0] == "clients: 5"
    assert lines[1] == "connected: 5/5"
    assert int(lines[2].split(": ")[1]) > 0
    assert lines[3] == "errors: 0"
    assert lines[4] == "duration: 2.0 s"
    assert float(lines[5].split(": ")[1]) > 0
    assert lines[6].endswith(" ms")
    assert elapsed < 15


def test_wrong_url_gives_no_connections_and_exit_1_quickly(server_database):
    env = tools.server_env(server_database, None)
    port = tools.free_port()  # nothing listens there
    started = time.monotonic()
    done = loadtest(
        env,
        "--url",
        f"ws://127.0.0.1:{port}",
        "--clients",
        "3",
        "--duration",
        "30",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "connected: 0/3" in done.stdout.splitlines()
    assert "errors: 3" in done.stdout.splitlines()
    assert "connect failed" in done.stderr
    assert time.monotonic() - started < 15


async def test_a_refused_join_counts_as_an_error(server):
    # The kitchen is for baristas: an anonymous client is connected but refused.
    result = await run_load(server.ws, 2, 1.0, room="kitchen", rate=0)
    assert result.connected == 2
    assert result.errors == 2
    assert "UNAUTHORIZED" in result.error_samples[0]
    assert not result.ok


def test_urls_and_rooms():
    assert (
        socket_url("ws://h:1/", "/ws/orders/", "a.b") == "ws://h:1/ws/orders/?token=a.b"
    )
    assert socket_url("ws://h:1", "ws/chat/?sessionId=3", None) == (
        "ws://h:1/ws/chat/?sessionId=3"
    )
    assert join_data("kiosk") == {"roomType": "kiosk"}
    assert join_data("order:abc") == {"roomType": "order", "orderId": "abc"}
    assert join_data("endpoint:7") == {"roomType": "endpoint", "endpointId": "7"}
