from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chat import presence, rooms  # noqa: F401  (registers the room type)
        from realtime import runtime

        runtime.add_startup(presence.sweeper)
