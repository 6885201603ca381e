"""Control events of the socket protocol (PROTOCOL sections 4, 6 and 7)."""

from __future__ import annotations

import json
from typing import Any, NotRequired, TypedDict

from django.utils import timezone

CONNECTED = "connected"
RECONNECT_SUCCESS = "reconnect_success"
HEARTBEAT = "heartbeat"
PONG = "pong"
AUTH_SUCCESS = "auth_success"
JOIN_ROOM_SUCCESS = "join_room_success"
LEAVE_ROOM_SUCCESS = "leave_room_success"
RESTORE_ROOMS_SUCCESS = "restore_rooms_success"
RESYNC_REQUIRED = "resync_required"
ERROR = "error"
ANNOUNCEMENT = "announcement"
# Said once, unasked: what a connection does not get and what it would need.
NOTICE = "notice"


def now_iso() -> str:
    return timezone.now().isoformat()


class ErrorData(TypedDict):
    message: str
    code: str
    timestamp: str
    # The specific code, where `code` is the seed's umbrella code for the verb
    # (`ROOM_JOIN_FAILED` for a refused Socket.IO join, say).
    reason: NotRequired[str]


def error_data(code: str, message: str, reason: str | None = None) -> ErrorData:
    data: ErrorData = {"message": message, "code": code, "timestamp": now_iso()}
    if reason is not None:
        data["reason"] = reason
    return data


def typed_pong_text(ref: str | None) -> str:
    """The answer to `{"type": "ping"}`: a `pong` frame that also says `type: "pong"`."""
    frame: dict[str, Any] = {"type": PONG, "event": PONG, "data": {}}
    if ref is not None:
        frame["ref"] = ref
    return json.dumps(frame, separators=(",", ":"))


def connected_data(
    connection_id: str, interval: float, timeout: float
) -> dict[str, Any]:
    return {
        "connectionId": connection_id,
        # Milliseconds, as JavaScript timers take them.
        "heartbeatInterval": int(interval * 1000),
        "heartbeatTimeout": int(timeout * 1000),
        "serverTime": now_iso(),
    }


class NoticeData(TypedDict):
    code: str
    message: str
    # The rooms this connection is not in, and what each needs.
    rooms: list[str]
    timestamp: str


def notice_data(code: str, message: str, rooms: list[str]) -> NoticeData:
    return {"code": code, "message": message, "rooms": rooms, "timestamp": now_iso()}


class AnnouncementData(TypedDict):
    message: str
    level: str
    createdAt: str


def announcement_data(message: str, level: str) -> AnnouncementData:
    return {"message": message, "level": level, "createdAt": now_iso()}
