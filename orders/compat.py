"""`/ws`: the plain socket of the original kiosk/admin app (PROTOCOL section 10).

That app never joins anything: on connect it is placed in every orders room it
may see and just listens for `{event, data}` frames. An event published to two
of its rooms (`order:created` to `kitchen` and `admin`) reaches it once. A
connection that may see neither `kitchen` nor `admin` is told so once, by a
`notice` frame naming what it needs (the original app ignores unknown events).
"""

from __future__ import annotations

from collections import OrderedDict

from channels.db import database_sync_to_async

from orders.consumers import OrdersConsumer
from orders.rooms import ADMIN, KIOSK, KITCHEN
from realtime import events
from realtime.errors import ErrorCode, ProtocolError

RECENT = 256
NEEDS_CREDENTIALS = (
    "Order and cell events need a staff-app or kitchen-display screen token "
    "(or a staff or barista login): send ?token= or an auth message. "
    "This connection gets the kiosk room's events only."
)


class KioskAppConsumer(OrdersConsumer):
    serves_rooms_of = frozenset({"orders"})

    async def on_ready(self) -> None:
        self._recent: OrderedDict[str, None] = OrderedDict()
        await self.join(KIOSK, KIOSK.room_name(None), None, None)
        await self.on_auto_join()
        if not {KITCHEN.name, ADMIN.name} & set(self.room_types):
            self.send_frame(
                events.NOTICE,
                dict(
                    events.notice_data(
                        ErrorCode.UNAUTHORIZED,
                        NEEDS_CREDENTIALS,
                        [KITCHEN.name, ADMIN.name],
                    )
                ),
            )

    async def on_auto_join(self) -> None:
        for room_type in (KITCHEN, ADMIN):
            if room_type.name in self.room_types:
                continue
            try:
                await database_sync_to_async(room_type.authorize)(self.user, None)
            except ProtocolError:
                continue
            await self.join(room_type, room_type.name, None, None)

    async def handle_auth(self, data: dict, ref: str | None) -> None:  # type: ignore[type-arg]
        await super().handle_auth(data, ref)
        if self.authenticated:
            await self.on_auto_join()

    async def send_text(self, text: str) -> None:
        # Frames are encoded {"event","data","room","seq"}: what precedes
        # "room" is the event itself, the same in every room it went to.
        cut = text.rfind(',"room":')
        if cut > 0 and text.endswith("}") and '"seq":' in text[cut:]:
            key = text[:cut]
            if key in self._recent:
                return
            self._recent[key] = None
            if len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        await super().send_text(text)
