"""WebSocket routes of every app (PROTOCOL section 1)."""

from chat.routing import websocket_urlpatterns as chat_routes
from monitoring.routing import websocket_urlpatterns as monitoring_routes
from orders.routing import websocket_urlpatterns as orders_routes

websocket_urlpatterns = [*orders_routes, *chat_routes, *monitoring_routes]
