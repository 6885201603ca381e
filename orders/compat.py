"""`/ws`: the plain socket of the original kiosk/admin app (PROTOCOL section 10).

That app never joins anything: on connect it is placed in every orders room it
may see and just listens for `{event, data}` frames. An event published to two
of its rooms (`order:created` to `kitchen` and `admin`) reaches it once.
"""

from __future__ import annotations

from collections import OrderedDict

from channels.db import database_sync_to_async

from orders.consumers import OrdersConsumer
from orders.rooms import ADMIN, KIOSK, KITCHEN
from realtime.errors import ProtocolError

RECENT = 256


class KioskAppConsumer(OrdersConsumer):
    serves_rooms_of = frozenset({"orders"})

    async def on_ready(self) -> None:
        self._recent: OrderedDict[str, None] = OrderedDict()
        await self.join(KIOSK, KIOSK.room_name(None), None, None)
        await self.on_auto_join()

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
