"""Settings of the test process: the in-memory layer and quick hashing.

Tests that are about Redis or about real servers get them from fixtures
(tests/conftest.py), whatever REDIS_URL says here.
"""

import os
import tempfile

from config.settings import *  # noqa: F403
from config.settings import DATABASES, TIDINGS

REDIS_URL = ""
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels.layers.InMemoryChannelLayer",
        "CONFIG": {"capacity": 100_000},
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TIDINGS = {**TIDINGS, "BACKGROUND_TASKS": False}

# Connections closed after each use: none outlives a test's database.
DATABASES["default"]["CONN_MAX_AGE"] = 0

# A test database of this run's own, so parallel runs never drop each other's.
_test_db = DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    _test_db["NAME"] = os.path.join(
        tempfile.gettempdir(), f"tidings-test-{os.getpid()}.sqlite3"
    )
else:
    _test_db["NAME"] = f"test_tidings_{os.getpid()}"
