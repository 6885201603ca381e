"""The chat room types (PROTOCOL section 3): a session's members, a user's list."""

from __future__ import annotations

from typing import Any

from realtime.errors import ErrorCode, ProtocolError
from realtime.rooms import RoomType, register


def members_only(user: Any, ident: str | None) -> None:
    from chat.models import ChatMember

    if not getattr(user, "is_authenticated", False):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Log in to use the chat")
    if ident is None or not ident.isdigit():
        raise ProtocolError(ErrorCode.NOT_FOUND, f"No chat session {ident}")
    if not ChatMember.objects.filter(session_id=int(ident), user=user).exists():
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Not a member of this chat session")


def only_self(user: Any, ident: str | None) -> None:
    if not getattr(user, "is_authenticated", False):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Log in to use the chat")
    if ident is None or ident != str(user.pk):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Only your own session list")


CHAT = register(
    RoomType("chat", "sessionId", members_only, frozenset({"chat"}), numeric_id=True)
)
# One per user: changes to that user's session list (`session:added`,
# `session:updated`, `session:removed`). Registered after `chat`, so a service
# publishing to both locks the session's room first.
CHAT_USER = register(
    RoomType("chatuser", "userId", only_self, frozenset({"chat"}), numeric_id=True)
)
