"""`/api/asyncapi.yaml`: served, valid for the AsyncAPI parser, and complete.

The parser is `@asyncapi/parser` from npm, installed once into a throwaway
folder (as the socket.io-client tests do); `asyncapi_check.mjs` runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.routing import websocket_urlpatterns
from config.socketio import GatewayConnection
from tests import tools

PARSER_VERSION = "3.6.6"
SCRIPT = Path(__file__).with_name("asyncapi_check.mjs")
URL = "/api/asyncapi.yaml"


@pytest.fixture(scope="session")
def asyncapi_parser_dir() -> str:
    """@asyncapi/parser from npm, installed once into a throwaway folder."""
    return tools.npm_package("@asyncapi/parser", PARSER_VERSION)


@pytest.fixture
def document_text(client: Any) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    return response.content.decode()


@pytest.fixture
def parsed(document_text: str, asyncapi_parser_dir: str) -> dict[str, Any]:
    result = subprocess.run(
        ["node", str(SCRIPT)],
        input=document_text,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "ASYNCAPI_PARSER_DIR": asyncapi_parser_dir,
            "PATH": os.environ["PATH"],
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def handled_events(consumer: type[Any]) -> set[str]:
    """Client events a consumer class handles: its `events` tables along its bases."""
    table: dict[str, str] = {}
    for klass in reversed(consumer.__mro__):
        table.update(vars(klass).get("events", {}))
    return set(table)


def sockets() -> list[tuple[str, type[Any]]]:
    """(channel address, consumer class) of every socket kind the server runs."""
    found = [
        (route.pattern.regex.pattern, route.callback.consumer_class)
        for route in websocket_urlpatterns
    ]
    return [*found, ("/socket.io/", GatewayConnection)]


def test_the_document_is_served_as_yaml_for_every_socket(document_text):
    document = yaml.safe_load(document_text)
    assert document["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in document["channels"].values()}
    assert {"/ws/orders/", "/ws/chat/", "/ws/monitoring/", "/ws", "/socket.io/"} <= (
        addresses
    )
    assert "/api/asyncapi.yaml" in (tools.ROOT / "README.md").read_text()


def test_the_asyncapi_parser_finds_no_errors(parsed):
    assert parsed["version"] == "3.0.0"
    assert parsed["errors"] == []


def test_every_client_event_of_every_socket_kind_is_listed(parsed):
    document_channels = {
        channel: {name for action, name in ops if action == "receive"}
        for channel, ops in parsed["channels"].items()
    }
    assert len(document_channels) == len(sockets())
    for _address, consumer in sockets():
        expected = handled_events(consumer)
        assert expected, consumer
        assert any(expected <= listed for listed in document_channels.values()), (
            consumer,
            expected,
        )
    # The orders and monitoring verbs meet on the Socket.IO channel.
    assert handled_events(GatewayConnection) <= document_channels["socketio"]
    assert {"message", "typing", "read"} <= document_channels["ws_chat"]
    assert {"subscribe:endpoint", "unsubscribe:all"} <= document_channels[
        "ws_monitoring"
    ]


def test_server_events_and_the_socketio_dialect_are_listed(parsed):
    sent = {
        channel: {name for action, name in ops if action == "send"}
        for channel, ops in parsed["channels"].items()
    }
    assert {"order:created", "order:ready", "menu:sold_out_changed"} <= sent[
        "ws_orders"
    ]
    assert {"message:created", "presence:joined", "error"} <= sent["ws_chat"]
    assert {"check:completed", "endpoint:status-changed"} <= sent["ws_monitoring"]
    assert {"order:created", "settings:changed"} <= sent["ws"]
    # The original clients' names, beside the events that keep theirs.
    assert {"new_order", "order_ready", "Join_room_success", "check:completed"} <= (
        sent["socketio"]
    )


def test_payloads_come_from_the_event_types(client):
    document = yaml.safe_load(client.get(URL).content)
    messages = document["channels"]["ws_orders"]["messages"]
    data = messages["server.order.status_changed"]["payload"]["properties"]["data"]
    assert set(data["required"]) == {
        "orderId",
        "dailyNum",
        "status",
        "previousStatus",
        "updatedAt",
    }
    renamed = document["channels"]["socketio"]["messages"]["server.new_order"]
    assert set(renamed["payload"]["properties"]) == {
        "orderId",
        "orderNo",
        "items",
        "totalPrice",
        "createdAt",
    }
    assert renamed["payload"]["properties"]["orderNo"] == {"type": "integer"}
