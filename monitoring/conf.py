"""Monitoring settings (`settings.MONITOR`), with defaults when a key is missing."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "IN_PROCESS": False,
    "MIN_INTERVAL": 20,
    "RETRY_INTERVAL": 20,
    "CONCURRENCY": 50,
    "POLL_INTERVAL": 0.5,
    "JITTER": 1.0,
    "RAW_RETENTION_DAYS": 7,
    "SLOW_STREAK": 3,
}


def get(name: str) -> Any:
    return getattr(settings, "MONITOR", {}).get(name, DEFAULTS[name])
