"""Demo endpoints for `seed_demo` (idempotent: keyed by name)."""

from __future__ import annotations

from monitoring import services
from monitoring.models import Endpoint

DEMO = [
    {
        "name": "Tidings health",
        "url": "http://127.0.0.1:8000/healthz",
        "intervalSeconds": 30,
        "timeoutSeconds": 5,
        "degradedThresholdMs": 500,
    },
    {
        "name": "Tidings readiness",
        "url": "http://127.0.0.1:8000/readyz",
        "intervalSeconds": 60,
        "timeoutSeconds": 5,
        "keyword": "ok",
        "keywordMode": "CONTAINS",
    },
    {
        "name": "Public menu API",
        "url": "http://127.0.0.1:8000/api/menus/",
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
