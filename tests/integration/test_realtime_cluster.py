"""Real server processes sharing Redis: fan-out across processes, replay, resync, outages."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests import tools
from tests.integration.conftest import Socket, admin_token, announce


async def test_event_published_through_b_reaches_client_on_a(redis_servers):
    a, b = redis_servers(2)
    client = await Socket.open(f"{a.ws}/ws/orders/")
    await client.request("join_room", {"roomType": "kiosk"})
    token = admin_token(b.base)
    seq = await asyncio.to_thread(announce, b.base, token, "from B")
    frame = await client.expect("announcement")
    assert frame["seq"] == seq and frame["data"]["message"] == "from B"
    await client.close()


async def test_reconnect_with_last_seq_gets_exactly_the_missed_50_in_order(
    redis_servers,
):
    a, b = redis_servers(2)
    token = admin_token(b.base)
    client = await Socket.open(f"{a.ws}/ws/orders/")
    joined = await client.request("join_room", {"roomType": "kiosk"})
    last_seq = await asyncio.to_thread(announce, b.base, token, "before")
    assert (await client.expect("announcement"))["seq"] == last_seq
    await client.close()

    missed = [
        await asyncio.to_thread(announce, b.base, token, f"missed {i}")
        for i in range(50)
    ]
    assert missed == list(range(last_seq + 1, last_seq + 51))
    assert joined["data"]["seq"] < last_seq

    back = await Socket.open(f"{a.ws}/ws/orders/?resume={client.connection_id}")
    await back.expect("reconnect_success")
    await back.send("join_room", {"roomType": "kiosk", "lastSeq": last_seq}, ref="j")
    replayed = [await back.recv() for _ in range(50)]
    assert [f["seq"] for f in replayed] == missed
    assert [f["data"]["message"] for f in replayed] == [
        f"missed {i}" for i in range(50)
    ]
    success = await back.recv()
    assert (
        success["event"] == "join_room_success" and success["data"]["seq"] == missed[-1]
    )
    newer = await asyncio.to_thread(announce, b.base, token, "newer")
    frame = await back.expect("announcement")
    assert frame["seq"] == newer
    with pytest.raises(TimeoutError):
        await back.recv(timeout=0.5)  # nothing twice
    await back.close()


async def test_history_pruned_below_last_seq_gives_resync_required(
    redis_servers, server_database
):
    (a,) = redis_servers(1)
    token = admin_token(a.base)
    first = await asyncio.to_thread(announce, a.base, token, "old", "admin")
    for i in range(5):
        await asyncio.to_thread(announce, a.base, token, f"later {i}", "admin")
    env = tools.server_env(
        server_database, None, HISTORY_MIN_EVENTS="2", HISTORY_MIN_AGE="0"
    )
    tools.manage(env, "prune_events")
    client = await Socket.open(f"{a.ws}/ws/orders/?token={token}")
    await client.send("join_room", {"roomType": "admin", "lastSeq": first}, ref="j")
    frame = await client.expect("resync_required")
    assert frame["data"]["room"] == "admin" and frame["data"]["seq"] == first + 5
    assert (await client.expect("join_room_success"))["ref"] == "j"
    await client.close()


async def test_event_committed_while_redis_is_down_arrives_once_redis_is_back(
    redis_servers, own_redis
):
    (a,) = redis_servers(
        1, redis=own_redis.url, RELAY_INTERVAL="0.5", RELAY_GRACE="0.5"
    )
    token = admin_token(a.base)
    client = await Socket.open(f"{a.ws}/ws/orders/")
    await client.request("join_room", {"roomType": "kiosk"})

    own_redis.stop()
    seq = await asyncio.to_thread(announce, a.base, token, "during the outage")
    own_redis.start()
    back_at = time.monotonic()
    frame = await client.expect("announcement", timeout=10)
    assert time.monotonic() - back_at <= 5
    assert frame["seq"] == seq and frame["data"]["message"] == "during the outage"
    with pytest.raises(TimeoutError):
        await client.recv(timeout=1.5)  # once
    await client.close()


async def test_heartbeat_timeout_closes_4408_on_a_real_server(redis_servers):
    (a,) = redis_servers(1, HEARTBEAT_INTERVAL="0.3", HEARTBEAT_TIMEOUT="0.4")
    silent = await Socket.open(f"{a.ws}/ws/orders/")
    await silent.expect("heartbeat")
    with pytest.raises(Exception) as info:
        while True:
            await silent.recv(timeout=3)
    assert (
        getattr(info.value, "rcvd", None) is not None and info.value.rcvd.code == 4408
    )


async def test_oversize_frame_and_flood_on_a_real_server(redis_servers):
    (a,) = redis_servers(1)
    watcher = await Socket.open(f"{a.ws}/ws/orders/")
    await watcher.request("join_room", {"roomType": "kiosk"})

    big = await Socket.open(f"{a.ws}/ws/orders/")
    await big.conn.send('{"event":"ping","data":"' + "x" * (1024 * 1024) + '"}')
    with pytest.raises(Exception) as info:
        while True:
            await big.recv()
    # Refused by the server as it arrives, before it is read (PROTOCOL 7).
    assert info.value.rcvd.code == 1009
    assert "65536" in info.value.rcvd.reason

    flood = await Socket.open(f"{a.ws}/ws/orders/")
    for i in range(200):
        await flood.send("ping", {"i": i})
    codes = []
    with pytest.raises(Exception) as info:
        while True:
            frame = await flood.recv()
            codes.append(
                frame["data"].get("code")
                if frame["event"] == "error"
                else frame["event"]
            )
    assert info.value.rcvd.code == 4429
    assert codes.count("pong") == 100 and "RATE_LIMITED" in codes

    token = admin_token(a.base)
    seq = await asyncio.to_thread(announce, a.base, token, "still here")
    assert (await watcher.expect("announcement"))["seq"] == seq


async def test_stats_are_summed_over_processes(redis_servers):
    a, b = redis_servers(2, STATS_INTERVAL="0.5")
    sockets = [await Socket.open(f"{a.ws}/ws/orders/") for _ in range(2)]
    sockets.append(await Socket.open(f"{b.ws}/ws/orders/"))
    for sock in sockets:
        await sock.request("join_room", {"roomType": "kiosk"})
    token = admin_token(a.base)

    def stats() -> dict:
        return httpx.get(
            f"{a.base}/api/realtime/stats/",
            headers={"Authorization": f"Bearer {token}"},
        ).json()

    deadline = time.monotonic() + 10
    body = await asyncio.to_thread(stats)
    while (
        body["rooms"].get("kiosk", {}).get("clients") != 3
        and time.monotonic() < deadline
    ):
        await asyncio.sleep(0.2)
        body = await asyncio.to_thread(stats)
    assert body["rooms"]["kiosk"] == {"clients": 3, "totalRooms": 1}
    assert body["connections"]["current"] >= 3
    for sock in sockets:
        await sock.close()
