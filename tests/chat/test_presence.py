"""Presence stores: per user across connections; Redis entries expire and are swept once."""

from __future__ import annotations

import uuid

import pytest

from chat.presence import MemoryPresence, RedisPresence

ALICE = {"id": 1, "name": "Alice"}
BOB = {"id": 2, "name": "Bob"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def redis_pair(redis_url, clock, settings):
    """Two stores on one Redis, as two server processes would have."""
    settings.CHAT_PRESENCE = {**settings.CHAT_PRESENCE, "TTL": 10}
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    stores = [RedisPresence(redis_url, prefix, clock) for _ in range(2)]
    yield stores
    keys = await stores[0].redis.keys(f"{prefix}:*")
    if keys:
        await stores[0].redis.delete(*keys)
    for store in stores:
        await store.redis.aclose()


async def test_memory_counts_users_not_connections():
    store = MemoryPresence()
    assert await store.connect("1", ALICE, "a1") == (True, [ALICE])
    assert await store.connect("1", ALICE, "a2") == (False, [ALICE])
    assert await store.connect("1", BOB, "b1") == (True, [ALICE, BOB])
    assert await store.disconnect("1", 1, "a1") == (False, [ALICE, BOB])
    assert await store.disconnect("1", 1, "a2") == (True, [BOB])
    assert await store.disconnect("1", 1, "a2") == (False, [BOB])


async def test_redis_counts_users_across_processes(redis_pair):
    a, b = redis_pair
    assert await a.connect("7", ALICE, "a1") == (True, [ALICE])
    assert await b.connect("7", ALICE, "a2") == (False, [ALICE])
    assert await b.connect("7", BOB, "b1") == (True, [ALICE, BOB])
    assert await a.disconnect("7", 1, "a1") == (False, [ALICE, BOB])
    assert await b.disconnect("7", 1, "a2") == (True, [BOB])


async def test_expired_entry_is_swept_once_across_processes(redis_pair, clock):
    a, b = redis_pair
    await a.connect("7", ALICE, "a1")
    await b.connect("7", BOB, "b1")
    clock.now += 5
    await a.refresh("7", ALICE, "a1")  # alice's process is alive, bob's died
    assert await a.sweep() == [] and await b.sweep() == []
    clock.now += 6
    assert await a.online("7") == [ALICE]
    gone = await b.sweep()
    assert gone == [("7", BOB, [ALICE])]
    assert await a.sweep() == []
    # A late disconnect of the swept connection announces nothing again.
    assert (await b.disconnect("7", 2, "b1"))[0] is False


async def test_expired_entry_does_not_hide_a_live_connection(redis_pair, clock):
    a, b = redis_pair
    await a.connect("7", BOB, "old")
    clock.now += 11
    assert (await b.connect("7", BOB, "new"))[0] is True
    assert await a.sweep() == []
    assert await b.online("7") == [BOB]


async def test_refresh_after_expiry_brings_the_user_back(redis_pair, clock):
    a, _ = redis_pair
    await a.connect("7", ALICE, "a1")
    clock.now += 11
    assert await a.sweep() == [("7", ALICE, [])]
    assert await a.refresh("7", ALICE, "a1") is True
    assert await a.refresh("7", ALICE, "a1") is False
    assert await a.online("7") == [ALICE]
