"""Monitoring settings: `settings.MONITOR`, read with their defaults in config/settings.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def get(name: str) -> Any:
    return settings.MONITOR[name]
