"""Paired devices for the tests: a device of a role with its token, shown once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from devices import services


@pytest.fixture(autouse=True)
def _no_pairing_failures() -> None:
    # Wrong pairing codes are counted in the cache (shared by the tests).
    cache.clear()


@pytest.fixture
def make_device(db: Any) -> Callable[..., services.Issued]:
    def make(role: str = "kitchen_display", name: str = "Kitchen tablet") -> Any:
        return services.device_create(name=name, role=role)

    return make


@pytest.fixture
def cafe(db: Any) -> Any:
    from tests.orders.conftest import make_cafe

    return make_cafe()
