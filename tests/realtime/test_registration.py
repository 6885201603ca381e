"""What apps register in the core: room types, lock order, Socket.IO dialect."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from realtime import socketio_dialect
from realtime.models import RoomEvent
from realtime.outbox import publish_to
from realtime.rooms import get_room_type, lock_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_rooms_are_locked_by_room_type_in_registration_order_then_id():
    assert lock_order(["order:b", "admin", "kitchen", "order:a", "kiosk"]) == [
        "kiosk",
        "kitchen",
        "admin",
        "order:a",
        "order:b",
    ]
    assert lock_order(["endpoint:7", "endpoints", "endpoint:7"]) == [
        "endpoints",
        "endpoint:7",
    ]


def test_publish_to_takes_rooms_in_lock_order_once_each():
    with transaction.atomic():
        seqs = publish_to(["admin", "kitchen", "admin"], "announcement", {"n": 1})
    assert seqs == {"kitchen": 1, "admin": 1}
    rows = list(RoomEvent.objects.order_by("id").values_list("room", "frame"))
    assert [room for room, _ in rows] == ["kitchen", "admin"]
    assert json.loads(rows[1][1]) == {
        "event": "announcement",
        "data": {"n": 1},
        "room": "admin",
        "seq": 1,
    }


def test_room_types_say_their_id_format():
    assert get_room_type("chat").numeric_id
    assert get_room_type("endpoint").numeric_id
    assert not get_room_type("order").numeric_id


def test_apps_register_their_socketio_dialect():
    assert socketio_dialect.DIALECT[("kitchen", "order:created")][0] == "new_order"
    assert socketio_dialect.DIALECT[("order", "order:ready")][0] == "order_ready"
    assert socketio_dialect.JOIN_REPLY_ALIASES == {"kitchen": "Join_room_success"}
    assert socketio_dialect.served_sockets() == {"orders", "monitoring"}


def test_the_socketio_session_serves_the_registered_verbs():
    from config.socketio import GatewayConnection
    from monitoring.consumers import MonitoringConsumer

    assert issubclass(GatewayConnection, MonitoringConsumer)
    assert "subscribe:endpoint" in GatewayConnection._handler_table
    assert GatewayConnection.serves_rooms_of == {"orders", "monitoring"}
    assert GatewayConnection.socket_name == "socketio"
    assert not GatewayConnection.requires_user


def test_orders_registers_the_barista_group_and_the_announcement_room(make_user):
    from django.contrib.auth.models import Group

    from realtime.permissions import is_barista
    from realtime.services import default_announcement_room

    assert default_announcement_room() == "kiosk"
    user = make_user()
    assert not is_barista(user)
    user.groups.add(Group.objects.get_or_create(name="barista")[0])
    assert is_barista(user)
