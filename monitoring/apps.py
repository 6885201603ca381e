from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # rooms.py registers the room types, events.py the Socket.IO verbs.
        from monitoring import conf, events, rooms  # noqa: F401

        if conf.get("IN_PROCESS"):
            from monitoring.checker import run_in_process
            from realtime.runtime import add_startup

            add_startup(run_in_process)
