"""What a Socket.IO session of the original clients may do (PROTOCOL section 10).

The kitchen and customer screens join orders rooms; the monitoring dashboard
uses the monitoring verbs. One session class speaks both, with each room's
own join rules (the monitoring rooms are for staff).
"""

from monitoring.consumers import MonitoringConsumer
from realtime.socketio_gateway import SocketIOConnection


class GatewayConnection(SocketIOConnection, MonitoringConsumer):
    socket_name = "socketio"
    requires_user = False
    serves_rooms_of = frozenset({"orders", "monitoring"})

    async def on_ready(self) -> None:
        """Anyone may connect; each room decides what they see."""
