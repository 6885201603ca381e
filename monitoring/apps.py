from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from monitoring import (
            conf,
            rooms,  # noqa: F401  (registers the room types)
        )

        if conf.get("IN_PROCESS"):
            from monitoring.checker import run_in_process
            from realtime.runtime import add_startup

            add_startup(run_in_process)
