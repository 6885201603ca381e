"""The chat room type (PROTOCOL section 3): members only, on the chat socket."""

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


CHAT = register(
    RoomType("chat", "sessionId", members_only, frozenset({"chat"}), numeric_id=True)
)
