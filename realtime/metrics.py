"""Prometheus metrics of this process (GET /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

CONNECTIONS = Gauge(
    "tidings_open_connections", "Open WebSocket connections", ["socket"]
)
CONNECTIONS_TOTAL = Counter(
    "tidings_accepted_connections", "Accepted connections", ["socket"]
)
RECONNECTS = Counter(
    "tidings_reconnects_total", "Connections that resumed a previous one"
)
MESSAGES_IN = Counter(
    "tidings_messages_in_total", "Client messages received", ["event"]
)
MESSAGES_OUT = Counter(
    "tidings_messages_out_total", "Room event frames sent", ["event"]
)
ERRORS = Counter("tidings_errors_total", "Error replies and error closes", ["code"])
FANOUT_LATENCY = Histogram(
    "tidings_fanout_latency_seconds",
    "From commit to this process's fan-out of a room event",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RELAY_BACKLOG_EVENTS = Counter(
    "tidings_relay_deferred_total", "Events the channel layer refused at commit time"
)
RELAYED_EVENTS = Counter("tidings_relayed_total", "Events sent late by the relay")
SLOW_CLIENTS = Counter(
    "tidings_slow_client_closes_total", "Sockets closed 1013 (queue full)"
)
