"""Failed logins are counted across server processes, and Redis going away does not lock anyone out."""

from __future__ import annotations

from typing import Any

import httpx

from tests import tools


def attempt(base: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/auth/token/",
        json={"username": "bob", "password": password},
        timeout=10,
    )


def test_failures_on_one_process_count_on_the_other(redis_servers: Any) -> None:
    a, b = redis_servers(2)
    for _ in range(10):
        assert attempt(a.base, "wrong").status_code == 401
    refused = attempt(b.base, "bob")
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) > 0


def test_logins_work_while_redis_is_away(
    redis_servers: Any, own_redis: tools.RedisServer
) -> None:
    (a,) = redis_servers(1, redis=own_redis.url)
    assert attempt(a.base, "wrong").status_code == 401
    own_redis.stop()
    ok = attempt(a.base, "bob")
    assert ok.status_code == 200, ok.text
    assert attempt(a.base, "wrong").status_code == 401
