"""The errors of monitoring: it has no codes of its own, only the shared ones.

`realtime.errors.ErrorCode` holds them, each with its HTTP status.
"""

from __future__ import annotations

from realtime.errors import DomainError, NotFound


class MonitoringError(DomainError):
    """An endpoint, incident or window refused as invalid (400 `VALIDATION_ERROR`)."""


class EndpointNotFound(NotFound):
    pass


class IncidentNotFound(NotFound):
    pass


class ChannelNotFound(NotFound):
    pass
