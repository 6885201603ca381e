from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., Any]) -> Any:
    return make_user("bob")


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Uploads of every chat test go to a folder of its own, removed after."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
