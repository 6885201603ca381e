"""`/ws/monitoring/`: staff only; rooms `endpoints` and `endpoint:<id>`."""

from __future__ import annotations

from typing import Any

from monitoring.rooms import ENDPOINT, ENDPOINTS
from realtime.consumers import RealtimeConsumer
from realtime.errors import ErrorCode, ProtocolError
from realtime.permissions import is_staff

ALL = ENDPOINTS.room_name(None)


class MonitoringConsumer(RealtimeConsumer):
    socket_name = "monitoring"
    requires_user = True
    events = {
        "subscribe:all": "handle_subscribe_all",
        "subscribe:endpoint": "handle_subscribe_endpoint",
        "unsubscribe:endpoint": "handle_unsubscribe_endpoint",
        "unsubscribe:all": "handle_unsubscribe_all",
    }

    async def on_ready(self) -> None:
        if not is_staff(self.user):
            raise ProtocolError(ErrorCode.UNAUTHORIZED, "Monitoring is for staff only")

    @staticmethod
    def _endpoint_id(data: dict[str, Any]) -> str:
        return ENDPOINT.parse_id(data.get("endpointId"))

    def _reply(self, event: str, data: dict[str, Any], ref: str | None) -> None:
        # After the writer ran the join's catch-up, like join_room_success.
        async def send() -> None:
            data["seq"] = self.joined.get(data["room"], 0)
            self.send_frame(event, data, ref)

        self.after_queue(send)

    async def handle_subscribe_all(self, data: dict[str, Any], ref: str | None) -> None:
        await self.join(ENDPOINTS, ALL, None, self.parse_last_seq(data))
        self._reply(
            "subscribe_success",
            {
                "scope": "all",
                "room": ALL,
                "message": "Subscribed to all endpoints",
            },
            ref,
        )

    async def handle_subscribe_endpoint(
        self, data: dict[str, Any], ref: str | None
    ) -> None:
        ident = self._endpoint_id(data)
        room = ENDPOINT.room_name(ident)
        await self.join(ENDPOINT, room, ident, self.parse_last_seq(data))
        self._reply(
            "subscribe_success",
            {
                "scope": "endpoint",
                "endpointId": int(ident),
                "room": room,
                "message": f"Subscribed to endpoint {ident}",
            },
            ref,
        )

    async def handle_unsubscribe_endpoint(
        self, data: dict[str, Any], ref: str | None
    ) -> None:
        ident = self._endpoint_id(data)
        room = ENDPOINT.room_name(ident)
        if room not in self.room_types:
            raise ProtocolError(
                ErrorCode.NOT_FOUND, f"Not subscribed to endpoint {ident}"
            )
        await self.leave(room)
        self.send_frame(
            "unsubscribe_success",
            {
                "scope": "endpoint",
                "endpointId": int(ident),
                "room": room,
                "message": f"Unsubscribed from endpoint {ident}",
            },
            ref,
        )

    async def handle_unsubscribe_all(
        self, data: dict[str, Any], ref: str | None
    ) -> None:
        rooms = [
            r for r in self.room_types if r == ALL or r.startswith(ENDPOINT.name + ":")
        ]
        for room in rooms:
            await self.leave(room)
        self.send_frame(
            "unsubscribe_success",
            {"scope": "all", "rooms": rooms, "message": "Unsubscribed from all"},
            ref,
        )
