"""WebSocket routes of the orders app."""

from django.urls import re_path

from orders.consumers import OrdersConsumer

websocket_urlpatterns = [
    re_path(r"^ws/orders/?$", OrdersConsumer.as_asgi()),
]
