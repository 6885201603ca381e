from realtime.consumers import RealtimeConsumer


class OrdersConsumer(RealtimeConsumer):
    """`/ws/orders/`: anyone may connect; each room decides what they see."""

    socket_name = "orders"
