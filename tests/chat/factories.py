"""Chat factories for tests."""

from __future__ import annotations

from typing import Any

from chat import services


def session_with(*users: Any, title: str = "Chat") -> Any:
    """A session created by the first user with the others as members."""
    creator, *others = users
    return services.chat_session_create(
        creator=creator, title=title, member_ids=[u.pk for u in others]
    )


def post(session: Any, author: Any, content: str = "hi", client_id: str | None = None):  # type: ignore[no-untyped-def]
    message, _ = services.chat_message_post(
        session_id=session.pk, author=author, content=content, client_id=client_id
    )
    return message
