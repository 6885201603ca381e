"""Room types of the monitoring socket (PROTOCOL section 3), in lock order."""

from __future__ import annotations

from typing import Any

from realtime.errors import ErrorCode, ProtocolError
from realtime.permissions import staff_only
from realtime.rooms import RoomType, register

SOCKETS = frozenset({"monitoring"})


def staff_and_existing_endpoint(user: Any, ident: str | None) -> None:
    staff_only(user, ident)
    from monitoring.models import Endpoint

    if (
        not (ident or "").isdigit()
        or not Endpoint.objects.filter(pk=int(ident or 0)).exists()
    ):
        raise ProtocolError(ErrorCode.NOT_FOUND, f"Endpoint {ident} not found")


ENDPOINTS = register(RoomType("endpoints", None, staff_only, SOCKETS))
ENDPOINT = register(
    RoomType(
        "endpoint",
        "endpointId",
        staff_and_existing_endpoint,
        SOCKETS,
        numeric_id=True,
    )
)
