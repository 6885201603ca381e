"""The embedded setup: the checker runs inside the server and its events reach staff sockets."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets

from tests.integration.conftest import Socket, admin_token
from tests.monitoring.target import Target
from tests.tools import login


async def next_for(sock: Socket, event: str, endpoint_id: int) -> dict:
    while True:
        frame = await sock.recv(timeout=10)
        data = frame.get("data") or {}
        ident = data.get("endpointId") or (data.get("endpoint") or {}).get("id")
        if frame["event"] == event and ident == endpoint_id:
            return frame


async def test_in_process_checker_publishes_to_staff_socket(server):
    target = Target().start()
    token = admin_token(server.base)
    headers = {"Authorization": f"Bearer {token}"}
    sock = await Socket.open(f"{server.ws}/ws/monitoring/?token={token}")
    endpoint_id = None
    try:
        reply = await sock.request("subscribe:all", {}, "s1")
        assert reply["event"] == "subscribe_success", reply
        created = httpx.post(
            f"{server.base}/api/endpoints/",
            json={"name": "In-process", "url": target.url, "intervalSeconds": 20},
            headers=headers,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        endpoint_id = created.json()["id"]
        await next_for(sock, "endpoint:created", endpoint_id)
        # Nobody calls check-now: the server's own checker finds it due.
        check = await next_for(sock, "check:completed", endpoint_id)
        assert check["data"]["status"] == "UP" and check["room"] == "endpoints"
        changed = await next_for(sock, "endpoint:status-changed", endpoint_id)
        assert changed["data"]["currentStatus"] == "UP"
        assert target.hits >= 1
    finally:
        await sock.close()
        if endpoint_id:
            httpx.delete(
                f"{server.base}/api/endpoints/{endpoint_id}/",
                headers=headers,
                timeout=10,
            )
        target.stop()


async def test_non_staff_socket_is_closed_4403(server):
    token = login(server.base, "alice")
    sock = await Socket.open(f"{server.ws}/ws/monitoring/?token={token}")
    error = await sock.expect("error")
    assert error["data"]["code"] == "UNAUTHORIZED"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await sock.recv()
    assert closed.value.rcvd.code == 4403


async def test_check_now_on_a_hanging_target_holds_no_other_request(server):
    """Waiting on a target must not hold the process's other REST requests."""
    target = Target().start()
    target.set("held")
    headers = {"Authorization": f"Bearer {admin_token(server.base)}"}
    created = httpx.post(
        f"{server.base}/api/endpoints/",
        json={
            "name": "Hanging",
            "url": target.url,
            "intervalSeconds": 60,
            "timeoutSeconds": 30,
            "isActive": False,  # only check-now checks it
        },
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    endpoint_id = created.json()["id"]
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=40) as client:
            check = asyncio.ensure_future(
                client.post(f"/api/endpoints/{endpoint_id}/check-now/", headers=headers)
            )
            assert await asyncio.to_thread(target.entered.wait, 10)
            # The check waits on the target: a kiosk still gets the menu and
            # a barista still sees the orders.
            menu = await client.get("/api/menus/", timeout=5)
            assert menu.status_code == 200
            endpoints = await client.get("/api/endpoints/", headers=headers, timeout=5)
            assert endpoints.status_code == 200
            assert not check.done()
            target.release.set()
            response = await asyncio.wait_for(check, 10)
        assert response.status_code == 200, response.text
        assert response.json()["check"]["status"] == "UP"
    finally:
        target.release.set()
        httpx.delete(
            f"{server.base}/api/endpoints/{endpoint_id}/", headers=headers, timeout=10
        )
        target.stop()
