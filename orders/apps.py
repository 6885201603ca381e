from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # rooms.py registers the room types, events.py the Socket.IO dialect.
        from orders import events, rooms  # noqa: F401
        from realtime.permissions import BARISTA, register_group
        from realtime.services import set_default_announcement_room

        register_group(BARISTA, rooms.BARISTA_GROUP)
        # Announcements that name no room go to the kiosk screens.
        set_default_announcement_room(rooms.KIOSK)
