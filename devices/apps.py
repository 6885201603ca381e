from django.apps import AppConfig


class DevicesConfig(AppConfig):
    """Paired devices: screen tokens for screens and apps with no one to log in."""

    name = "devices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from devices import selectors, tokens, watch
        from realtime import runtime
        from realtime.auth import register_credential

        # `?token=`, the `auth` message and Socket.IO's `auth: {token}` take
        # screen tokens like JWTs (realtime/auth.py).
        register_credential(tokens.PREFIX, selectors.principal_from_token)
        # Each server process closes the sockets of a revoked token at once.
        runtime.add_startup(watch.watch_revocations)
