from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.monitoring.target import Target


@pytest.fixture
def target() -> Iterator[Target]:
    server = Target().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_endpoint():  # type: ignore[no-untyped-def]
    """Factory: an endpoint through the service, with API field names."""
    from monitoring import services

    def make(**data):  # type: ignore[no-untyped-def]
        now = data.pop("now", None)
        fields = {"name": "Target", "url": "http://127.0.0.1:9/health"}
        fields.update(data)
        return services.endpoint_create(data=fields, now=now)

    return make
