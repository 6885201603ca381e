"""WebSocket routes of every app (PROTOCOL section 1)."""

from django.urls import re_path

from chat.routing import websocket_urlpatterns as chat_routes
from monitoring.routing import websocket_urlpatterns as monitoring_routes
from orders.compat import KioskAppConsumer
from orders.routing import websocket_urlpatterns as orders_routes

websocket_urlpatterns = [
    *orders_routes,
    *chat_routes,
    *monitoring_routes,
    # The original kiosk/admin app's plain socket (PROTOCOL section 10).
    re_path(r"^ws/?$", KioskAppConsumer.as_asgi()),
]
