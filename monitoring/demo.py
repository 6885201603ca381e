"""Demo endpoints for `seed_demo` (idempotent: keyed by name)."""

from __future__ import annotations

from django.conf import settings

from monitoring import services
from monitoring.models import Endpoint

# Where this Tidings serves (`make run HOST=... PORT=...` passes them on).
SELF = f"http://{settings.SERVE_HOST}:{settings.SERVE_PORT}"

DEMO = [
    {
        "name": "Tidings health",
        "url": f"{SELF}/healthz",
        "intervalSeconds": 30,
        "timeoutSeconds": 5,
        "degradedThresholdMs": 500,
    },
    {
        "name": "Tidings readiness",
        "url": f"{SELF}/readyz",
        "intervalSeconds": 60,
        "timeoutSeconds": 5,
        "keyword": "ok",
        "keywordMode": "CONTAINS",
    },
    {
        "name": "Public menu API",
        "url": f"{SELF}/api/menus/",
        "intervalSeconds": 60,
    },
    {
        "name": "Example.com",
        "url": "https://example.com/",
        "intervalSeconds": 300,
        "keyword": "Example Domain",
        "keywordMode": "CONTAINS",
        "isActive": False,
    },
]


def load() -> None:
    for data in DEMO:
        if not Endpoint.objects.filter(name=data["name"]).exists():
            services.endpoint_create(data=dict(data))
