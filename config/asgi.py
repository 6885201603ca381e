"""ASGI entry point: HTTP, WebSockets and the lifespan of the background loops."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from config.socketio import GatewayConnection  # noqa: E402
from realtime.auth import websocket_stack  # noqa: E402
from realtime.body_limit import BodyLimit  # noqa: E402
from realtime.runtime import LifespanApp  # noqa: E402
from realtime.socketio_gateway import wrap  # noqa: E402

http_app = django_asgi_app
if settings.DEBUG or os.environ.get("SERVE_STATIC", "1") == "1":
    # One process serves its own static files; behind nginx, set SERVE_STATIC=0.
    http_app = ASGIStaticFilesHandler(django_asgi_app)

channels_app = ProtocolTypeRouter(
    {
        # Bodies over the limit are refused before Django reads them.
        "http": BodyLimit(http_app),
        "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
    }
)
# /socket.io/ goes to the gateway for clients of the original services.
application = wrap(channels_app, LifespanApp(), GatewayConnection)
