"""Clients of the original services against a real server: socket.io-client from npm,
python-socketio's client, and the plain `/ws` socket (PROTOCOL section 10)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests import tools
from tests.integration.conftest import Socket, move, place_order
from tests.tools import login

SCRIPT = Path(__file__).with_name("sio_client.mjs")


class NodeClient:
    """socket.io-client in a node process; we read what it reports line by line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.ids = 0
        self.seen: list[dict[str, Any]] = []
        self.unread: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, folder: str, url: str, **options: Any) -> NodeClient:
        proc = await asyncio.create_subprocess_exec(
            "node",
            str(SCRIPT),
            json.dumps({"url": url, "options": options}),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "SOCKETIO_CLIENT_DIR": folder},
        )
        return cls(proc)

    async def next(
        self, kind: str, event: str | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        """The first report of that kind not taken yet (earlier ones included)."""

        def matches(item: dict[str, Any]) -> bool:
            return item["type"] == kind and (
                event is None or item.get("event") == event
            )

        for item in self.unread:
            if matches(item):
                self.unread.remove(item)
                return item

        async def read() -> dict[str, Any]:
            assert self.proc.stdout is not None
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    raise AssertionError(f"client ended; saw {self.seen}")
                item = json.loads(line)
                self.seen.append(item)
                if matches(item):
                    return item
                self.unread.append(item)

        return await asyncio.wait_for(read(), timeout)

    async def emit(self, event: str, data: Any, ack: bool = False) -> int:
        self.ids += 1
        assert self.proc.stdin is not None
        self.proc.stdin.write(
            (
                json.dumps({"id": self.ids, "emit": event, "data": data, "ack": ack})
                + "\n"
            ).encode()
        )
        await self.proc.stdin.drain()
        return self.ids

    async def ack(self, ident: int, timeout: float = 10) -> list[Any]:
        while True:
            item = await self.next("ack", timeout=timeout)
            if item["id"] == ident:
                return item["args"]

    async def drop(self) -> None:
        """Close the transport under the client, as a network drop does."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"drop": true}\n')
        await self.proc.stdin.drain()

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def test_kitchen_screen_with_default_transports_gets_new_order(
    server, socketio_client_dir
):
    token = login(server.base, "barista")
    client = await NodeClient.start(
        socketio_client_dir, server.base, auth={"token": token}
    )
    try:
        opened = await client.next("open")
        assert opened["transport"] == "polling"  # a bare io(url) starts with polling
        await client.next("connect")
        await client.emit("join_kitchen", {"roomType": "kitchen"})
        joined = await client.next("event", "Join_room_success")
        assert (
            joined["args"][0]["roomType"] == "kitchen" and joined["args"][0]["message"]
        )
        await client.next("upgrade")
        order = await asyncio.to_thread(place_order, server.base)
        new_order = await client.next("event", "new_order")
        # The session's offset comes last (connection state recovery).
        payload, meta, offset = new_order["args"]
        assert offset == f"kitchen={meta['seq']}"
        assert payload["orderId"] == order["orderId"]
        assert payload["orderNo"] == order["dailyNum"]
        assert payload["totalPrice"] == order["totalAmount"]
        assert payload["items"] and payload["createdAt"]
        assert meta["room"] == "kitchen" and meta["seq"] >= 1
    finally:
        await client.close()


async def test_customer_screen_websocket_only_gets_order_ready(
    server, socketio_client_dir
):
    order = await asyncio.to_thread(place_order, server.base)
    client = await NodeClient.start(
        socketio_client_dir, server.base, transports=["websocket"]
    )
    try:
        assert (await client.next("connect"))["transport"] == "websocket"
        await client.emit(
            "join_kitchen", {"roomType": "order", "orderId": order["orderId"]}
        )
        joined = await client.next("event", "join_room_success")
        assert joined["args"][0]["roomType"] == "order"
        assert joined["args"][0]["orderId"] == order["orderId"]
        token = login(server.base, "barista")
        await asyncio.to_thread(
            move, server.base, token, order["orderId"], "MAKING", "READY"
        )
        ready = await client.next("event", "order_ready")
        payload, meta, _offset = ready["args"]
        assert payload["status"] == "READY" and payload["orderNo"] == order["dailyNum"]
        assert meta == {"room": f"order:{order['orderId']}", "seq": meta["seq"]}
    finally:
        await client.close()


async def test_monitoring_dashboard_subscribes_with_acks(server, socketio_client_dir):
    token = login(server.base, "admin")
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{server.base}/api/endpoints/",
        headers=headers,
        timeout=10,
        json={"name": "self", "url": f"{server.base}/healthz", "intervalSeconds": 300},
    )
    assert created.status_code == 201, created.text
    endpoint_id = created.json()["id"]
    client = await NodeClient.start(
        socketio_client_dir,
        server.base,
        auth={"token": token},
        transports=["websocket"],
    )
    try:
        await client.next("connect")
        ack = await client.ack(
            await client.emit(
                "subscribe:endpoint", {"endpointId": endpoint_id}, ack=True
            )
        )
        assert ack == [None]
        response = httpx.post(
            f"{server.base}/api/endpoints/{endpoint_id}/check-now/",
            headers=headers,
            timeout=20,
        )
        assert response.status_code in (200, 202), response.text
        check = await client.next("event", "check:completed", timeout=20)
        assert check["args"][0]["endpointId"] == endpoint_id
        missing = await client.ack(
            await client.emit("subscribe:endpoint", {"endpointId": 999999}, ack=True)
        )
        assert missing[0]["code"] == "NOT_FOUND" and missing[0]["message"]
    finally:
        await client.close()


async def test_non_barista_join_kitchen_gets_error_event_and_ack(
    server, socketio_client_dir
):
    client = await NodeClient.start(
        socketio_client_dir, server.base, transports=["websocket"]
    )
    try:
        await client.next("connect")
        ack = await client.ack(
            await client.emit("join_kitchen", {"roomType": "kitchen"}, ack=True)
        )
        # The seed's code for a refused join; the specific one is in `reason`.
        assert ack[0]["code"] == "ROOM_JOIN_FAILED"
        assert ack[0]["reason"] == "UNAUTHORIZED"
        error = await client.next("event", "error")
        assert error["args"][0]["code"] == "ROOM_JOIN_FAILED"
    finally:
        await client.close()


# -- python-socketio's client ------------------------------------------------------


class PyClient:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, tuple[Any, ...]]] = asyncio.Queue()

        @self.sio.on("*")
        async def anything(event: str, *args: Any) -> None:
            await self.events.put((event, args))

        @self.sio.event
        async def disconnect(*args: Any) -> None:
            await self.events.put(("disconnect", args))

    async def connect(self, base: str, **kwargs: Any) -> PyClient:
        await self.sio.connect(
            base, transports=["websocket"], wait_timeout=10, **kwargs
        )
        return self

    async def next(self, event: str, timeout: float = 10) -> tuple[Any, ...]:
        async def find() -> tuple[Any, ...]:
            while True:
                name, args = await self.events.get()
                if name == event:
                    return args

        return await asyncio.wait_for(find(), timeout)


async def test_replay_by_last_seq_with_room_and_seq_argument(server):
    token = login(server.base, "barista")
    first = await PyClient().connect(server.base, auth={"token": token})
    await first.sio.call("join_kitchen", {"roomType": "kitchen"}, timeout=10)
    await asyncio.to_thread(place_order, server.base)
    _, meta, _offset = await first.next("new_order")
    await first.sio.disconnect()

    missed = [await asyncio.to_thread(place_order, server.base) for _ in range(3)]
    back = await PyClient().connect(server.base, auth={"token": token})
    assert (
        await back.sio.call(
            "join_kitchen", {"roomType": "kitchen", "lastSeq": meta["seq"]}, timeout=10
        )
        is None
    )
    replayed = [await back.next("new_order") for _ in missed]
    assert [payload["orderId"] for payload, *_ in replayed] == [
        o["orderId"] for o in missed
    ]
    assert [m["seq"] for _, m, *_ in replayed] == [
        meta["seq"] + 1,
        meta["seq"] + 2,
        meta["seq"] + 3,
    ]
    restored = await back.sio.call(
        "restore_rooms",
        {"rooms": [{"roomType": "kitchen", "lastSeq": meta["seq"]}]},
        timeout=10,
    )
    assert restored is None
    (success,) = await back.next("restore_rooms_success")
    assert success["restoredCount"] == 1
    await back.sio.disconnect()


async def test_bad_payloads_get_errors_and_the_session_keeps_working(server):
    client = await PyClient().connect(server.base)
    error = await client.sio.call("join_room", "not an object", timeout=10)
    assert error["code"] == "VALIDATION_ERROR"
    error = await client.sio.call("fly_to_moon", {}, timeout=10)
    assert error["code"] == "UNKNOWN_EVENT"
    assert await client.sio.call("ping", {"x": 1}, timeout=10) is None
    assert (await client.next("pong"))[0] == {"x": 1}
    await client.sio.disconnect()


async def test_rate_limit_then_disconnect(server):
    client = await PyClient().connect(server.base)
    for i in range(120):
        await client.sio.emit("ping", {"i": i})
    (error,) = await client.next("error")
    assert error["code"] == "RATE_LIMITED"
    await client.next("disconnect", timeout=10)


async def test_heartbeat_timeout_disconnects(server_database):
    env = tools.server_env(
        server_database, None, HEARTBEAT_INTERVAL="0.3", HEARTBEAT_TIMEOUT="0.4"
    )
    with tools.servers(env, 1) as (one,):
        client = await PyClient().connect(one.base)
        assert "timestamp" in (await client.next("heartbeat"))[0]
        (error,) = await client.next("error", timeout=5)
        assert "Heartbeat" in error["message"]
        await client.next("disconnect", timeout=5)


# -- the plain /ws socket -------------------------------------------------------------


async def test_ws_barista_gets_order_created_without_joining(server):
    token = login(server.base, "barista")
    barista = await Socket.open(f"{server.ws}/ws?token={token}")
    anonymous = await Socket.open(f"{server.ws}/ws")
    order = await asyncio.to_thread(place_order, server.base)
    created = await barista.expect("order:created")
    assert created["data"]["orderId"] == order["orderId"]

    admin = login(server.base, "admin")
    headers = {"Authorization": f"Bearer {admin}"}
    menu = httpx.get(f"{server.base}/api/menus/", timeout=10).json()
    item = menu["categories"][0]["items"][0]
    response = httpx.patch(
        f"{server.base}/api/menus/{item['id']}/",
        json={"isSoldOut": True},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    for value in (False, True):
        response = httpx.patch(
            f"{server.base}/api/settings/is_kiosk_active/",
            json={"value": value},
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 200, response.text
    response = httpx.patch(
        f"{server.base}/api/menus/{item['id']}/",
        json={"isSoldOut": False},
        headers=headers,
        timeout=10,
    )
    # The anonymous kiosk app hears all of it (after the notice of what it
    # cannot see), and never the order.
    frames = [await anonymous.recv() for _ in range(5)]
    assert frames.pop(0)["event"] == "notice"
    assert [
        (f["event"], f["data"].get("isSoldOut", f["data"].get("value"))) for f in frames
    ] == [
        ("menu:sold_out_changed", True),
        ("settings:changed", "false"),
        ("settings:changed", "true"),
        ("menu:sold_out_changed", False),
    ]
    with pytest.raises(TimeoutError):
        await anonymous.recv(timeout=0.5)
    await barista.close()
    await anonymous.close()


async def test_ws_staff_hears_an_event_of_two_rooms_once(server):
    admin = login(server.base, "admin")
    staff = await Socket.open(f"{server.ws}/ws?token={admin}")
    order = await asyncio.to_thread(place_order, server.base)
    created = await staff.expect("order:created")
    assert created["data"]["orderId"] == order["orderId"]
    with pytest.raises(TimeoutError):
        while True:
            frame = await staff.recv(timeout=0.7)
            assert frame["event"] != "order:created", "delivered twice"
    await staff.close()


async def test_three_dialects_on_two_processes_hear_one_order_once(
    redis_servers, socketio_client_dir
):
    a, b = redis_servers(2)
    token = login(b.base, "barista")
    sio = await NodeClient.start(
        socketio_client_dir, a.base, auth={"token": token}, transports=["websocket"]
    )
    native = await Socket.open(f"{b.ws}/ws/orders/?token={token}")
    plain = await Socket.open(f"{b.ws}/ws?token={token}")
    try:
        await sio.next("connect")
        await sio.emit("join_kitchen", {"roomType": "kitchen"})
        await sio.next("event", "Join_room_success")
        assert (await native.request("join_room", {"roomType": "kitchen"}))[
            "event"
        ] == "join_room_success"

        order = await asyncio.to_thread(place_order, b.base)
        new_order = await sio.next("event", "new_order")
        assert new_order["args"][0]["orderId"] == order["orderId"]
        created = await native.expect("order:created")
        assert created["data"]["orderId"] == order["orderId"]
        plain_created = await plain.expect("order:created")
        assert plain_created["data"]["orderId"] == order["orderId"]

        with pytest.raises(TimeoutError):
            await sio.next("event", "new_order", timeout=0.5)
        for sock in (native, plain):
            with pytest.raises(TimeoutError):
                while True:
                    frame = await sock.recv(timeout=0.3)
                    assert frame["event"] != "order:created", "delivered twice"
    finally:
        await sio.close()
        await native.close()
        await plain.close()
