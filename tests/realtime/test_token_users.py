"""A token's user, read once for a wave of sockets and forgotten when it changes.

Sockets of one user connecting at once share one database read; the user is
kept while that read is fresh (READ_FRESH_SECONDS), and saving, deleting or regrouping the user
forgets it at once, so a deactivated user or a removed role is seen by the
next socket. A join right after the read uses the group names read with the
user; a later one asks the database again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Group

from realtime import auth, permissions
from realtime.auth import InvalidToken, token_user, user_from_token
from realtime.permissions import BARISTA, has_role
from tests.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def forget_all(count_queries: list[str]) -> None:
    auth._users.clear()
    global QUERIES
    QUERIES = count_queries


QUERIES: list[str] = []


async def reads(coro: Any) -> tuple[Any, int]:
    """The result of `coro` and the number of SQL statements it ran."""
    before = len(QUERIES)
    result = await coro
    return result, len(QUERIES) - before


async def test_a_hundred_sockets_of_one_user_read_it_once(make_user: Any) -> None:
    user = await database_sync_to_async(make_user)("screen", groups=("barista",))
    token = token_for(user)
    users, queries = await reads(
        asyncio.gather(*(token_user(token) for _ in range(100)))
    )
    assert queries == 1
    assert {u.pk for u in users} == {user.pk}
    assert len({id(u) for u in users}) == 100  # each socket its own instance
    # The group names came with the user: the join asks nothing more.
    roles, queries = await reads(
        asyncio.gather(*(database_sync_to_async(has_role)(u, BARISTA) for u in users))
    )
    assert roles == [True] * 100
    assert queries == 0


async def test_a_deactivated_user_is_refused_at_the_next_socket(make_user: Any) -> None:
    user = await database_sync_to_async(make_user)("leaver")
    token = token_for(user)
    assert (await token_user(token)).pk == user.pk
    user.is_active = False
    await database_sync_to_async(user.save)()
    with pytest.raises(InvalidToken):
        await token_user(token)


async def test_a_removed_role_is_seen_at_the_next_socket(make_user: Any) -> None:
    user = await database_sync_to_async(make_user)("mover", groups=("barista",))
    token = token_for(user)
    assert await database_sync_to_async(has_role)(await token_user(token), BARISTA)
    group = await database_sync_to_async(Group.objects.get)(name="barista")
    await database_sync_to_async(user.groups.remove)(group)
    again = await token_user(token)
    assert not await database_sync_to_async(has_role)(again, BARISTA)


async def test_an_emptied_or_deleted_group_is_seen_at_the_next_socket(
    make_user: Any,
) -> None:
    user = await database_sync_to_async(make_user)("member", groups=("barista",))
    token = token_for(user)
    assert await database_sync_to_async(has_role)(await token_user(token), BARISTA)
    group = await database_sync_to_async(Group.objects.get)(name="barista")
    await database_sync_to_async(group.user_set.clear)()
    assert not await database_sync_to_async(has_role)(await token_user(token), BARISTA)
    await database_sync_to_async(group.user_set.add)(user)
    assert await database_sync_to_async(has_role)(await token_user(token), BARISTA)
    await database_sync_to_async(group.delete)()
    assert not await database_sync_to_async(has_role)(await token_user(token), BARISTA)


async def test_a_later_join_asks_the_database(make_user: Any, monkeypatch: Any) -> None:
    user = await database_sync_to_async(make_user)("late", groups=("barista",))
    socket_user = await token_user(token_for(user))
    # Another process takes the role away (no signal reaches this one).
    group = await database_sync_to_async(Group.objects.get)(name="barista")
    await database_sync_to_async(
        group.user_set.through.objects.filter(user=user).delete
    )()
    assert await database_sync_to_async(has_role)(socket_user, BARISTA)  # just read
    monkeypatch.setattr(permissions, "READ_FRESH_SECONDS", 0.0)
    allowed, queries = await reads(
        database_sync_to_async(has_role)(socket_user, BARISTA)
    )
    assert not allowed
    assert queries == 1


async def test_kept_users_expire_and_stay_bounded(
    make_user: Any, monkeypatch: Any
) -> None:
    user = await database_sync_to_async(make_user)("kept")
    token = token_for(user)
    await token_user(token)
    _, queries = await reads(token_user(token))
    assert queries == 0
    monkeypatch.setattr(permissions, "READ_FRESH_SECONDS", 0.0)
    _, queries = await reads(token_user(token))
    assert queries == 1
    monkeypatch.setattr(auth, "USER_CACHE_SIZE", 3)
    monkeypatch.setattr(permissions, "READ_FRESH_SECONDS", 60.0)
    for n in range(10):
        other = await database_sync_to_async(make_user)(f"many{n}")
        await token_user(token_for(other))
        assert len(auth._users) <= 3


async def test_bad_tokens_are_refused_before_any_read(make_user: Any) -> None:
    user = await database_sync_to_async(make_user)("forged")
    good = token_for(user)
    head, body, _signature = good.split(".")
    for token in ("", "x", "a.b.c", f"{head}.{body}.AAAA", good + "x"):
        queries = -1

        async def attempt(token: str = token) -> None:
            with pytest.raises(InvalidToken):
                await token_user(token)

        _, queries = await reads(attempt())
        assert queries == 0, token


def test_user_from_token_keeps_its_sync_contract(make_user: Any) -> None:
    user = make_user("plain", groups=("barista",))
    assert user_from_token(token_for(user)) == user
