"""Monitoring settings: `settings.MONITOR`, read with their defaults in config/settings.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings

# How checks and notifications name themselves to the servers they reach.
USER_AGENT = "Tidings-Monitor/1.0"


def get(name: str) -> Any:
    return settings.MONITOR[name]
