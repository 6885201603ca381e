"""Settings of the test process: the in-memory layer and quick hashing.

Tests that are about Redis or about real servers get them from fixtures
(tests/conftest.py), whatever REDIS_URL says here.
"""

from config.settings import *  # noqa: F403
from config.settings import TIDINGS

REDIS_URL = ""
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels.layers.InMemoryChannelLayer",
        "CONFIG": {"capacity": 100_000},
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TIDINGS = {**TIDINGS, "BACKGROUND_TASKS": False}
