"""`/ws/chat/?sessionId=<id>`: members only; messages, typing, read marks, presence."""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.db import database_sync_to_async

from chat import events as chat_events
from chat import presence, services
from chat.rooms import CHAT
from realtime.auth import query_param
from realtime.consumers import RealtimeConsumer
from realtime.errors import CloseCode, ErrorCode, ProtocolError
from realtime.outbox import abroadcast_volatile
from realtime.rooms import parse_int

logger = logging.getLogger(__name__)


def _post(session_id: str, user: Any, data: dict[str, Any]) -> chat_events.MessageData:
    message, _ = services.chat_message_post(
        session_id=session_id,
        author=user,
        content=data.get("content"),
        client_id=data.get("clientId"),
        attachment_ids=data.get("attachmentIds"),
    )
    return chat_events.message_data(message)


def _read(session_id: str, user: Any, message_id: Any) -> int | None:
    member = services.chat_mark_read(
        session_id=session_id, user=user, message_id=message_id
    )
    return member.last_read_message_id


def _edit(session_id: str, user: Any, data: dict[str, Any]) -> chat_events.MessageData:
    message = services.chat_message_edit(
        session_id=session_id,
        user=user,
        message_id=data.get("messageId"),
        content=data.get("content"),
    )
    return chat_events.message_data(message)


def _delete(
    session_id: str, user: Any, data: dict[str, Any]
) -> chat_events.MessageData:
    message = services.chat_message_delete(
        session_id=session_id, user=user, message_id=data.get("messageId")
    )
    return chat_events.message_data(message)


class ChatConsumer(RealtimeConsumer):
    socket_name = "chat"
    requires_user = True
    events = {
        "message": "handle_message",
        "typing": "handle_typing",
        "read": "handle_read",
        "edit_message": "handle_edit_message",
        "delete_message": "handle_delete_message",
    }
    # A refused send answers the seed's code; the specific one is in `reason`.
    failure_codes = {"message": ErrorCode.MESSAGE_SEND_FAILED}

    session_id: str | None = None
    me: chat_events.UserData | None = None
    typing = False
    present = False

    async def on_ready(self) -> None:
        raw_session = query_param(self.scope, "sessionId")
        if not raw_session:
            raise ProtocolError(ErrorCode.UNAUTHORIZED, "sessionId is required")
        session_id = CHAT.parse_id(raw_session)
        last_seq = query_param(self.scope, "lastSeq")
        room = CHAT.room_name(session_id)
        # Membership is the room's join rule (UNAUTHORIZED -> close 4403).
        await self.join(
            CHAT,
            room,
            session_id,
            parse_int(last_seq, "lastSeq") if last_seq is not None else None,
        )
        self.session_id = session_id
        self.room = room
        self.me = chat_events.user_data(self.user)
        try:
            first, online = await presence.get_store().connect(
                session_id, self.me, self.connection_id
            )
        except Exception:
            # Presence is a nicety: chat works on while its store is unreachable
            # (the refresh loop adds this connection once it is back).
            logger.warning("presence store unavailable", exc_info=True)
            first, online = True, [self.me]
        self.present = True
        if first:
            await self._announce(chat_events.PRESENCE_JOINED, online)
        else:
            # Already online elsewhere: only this socket needs the list.
            self.send_frame(
                chat_events.PRESENCE_JOINED,
                dict(chat_events.presence_data(self.me, online)),
            )
        presence.local.add(self)

    async def _announce(self, event: str, online: presence.Online) -> None:
        """Tell the room that this socket's user joined or left (volatile)."""
        assert self.me is not None
        await abroadcast_volatile(
            self.room, event, dict(chat_events.presence_data(self.me, online))
        )

    async def _broadcast_typing(self, is_typing: bool) -> None:
        assert self.me is not None
        self.typing = is_typing
        await abroadcast_volatile(
            self.room,
            chat_events.TYPING,
            dict(chat_events.typing_data(self.me, is_typing)),
        )

    def deliver(self, room: str, seq: int | None, event: str, text: str) -> None:
        if event == chat_events.MEMBER_REMOVED and self._removes_me(text):
            if room == self.room:
                self.queue_close(
                    CloseCode.FORBIDDEN,
                    "You are no longer a member of this chat",
                    ErrorCode.UNAUTHORIZED,
                )
                return
            # Another session this socket follows: tell the page, then stop
            # following it (its next events are not for this user).
            super().deliver(room, seq, event, text)
            self.after_queue(lambda: self.leave(room))
            return
        super().deliver(room, seq, event, text)

    def _removes_me(self, text: str) -> bool:
        try:
            removed = json.loads(text)["data"]["user"]["id"]
        except (ValueError, KeyError, TypeError):
            return False
        return self.me is not None and removed == self.me["id"]

    async def refresh_presence(self) -> None:
        """Extend this socket's entry (from the process's presence loop)."""
        if not self.present or self.me is None or self.session_id is None:
            return
        store = presence.get_store()
        try:
            back = await store.refresh(self.session_id, self.me, self.connection_id)
            online = await store.online(self.session_id) if back else []
        except Exception:
            logger.warning("presence refresh failed", exc_info=True)
            return
        if back:
            await self._announce(chat_events.PRESENCE_JOINED, online)

    async def on_disconnected(self) -> None:
        presence.local.discard(self)
        if not self.present or self.me is None or self.session_id is None:
            return
        self.present = False
        if self.typing:
            await self._broadcast_typing(False)
        try:
            last, online = await presence.get_store().disconnect(
                self.session_id, self.me["id"], self.connection_id
            )
        except Exception:
            # The entry expires and a sweep announces the departure.
            logger.warning("presence store unavailable", exc_info=True)
            return
        if last:
            await self._announce(chat_events.PRESENCE_LEFT, online)

    async def handle_message(self, data: dict[str, Any], ref: str | None) -> None:
        payload = await database_sync_to_async(_post)(self.session_id, self.user, data)
        self.send_frame(chat_events.MESSAGE_SENT, payload, ref)
        if self.typing:
            await self._broadcast_typing(False)

    async def handle_typing(self, data: dict[str, Any], ref: str | None) -> None:
        is_typing = data.get("isTyping")
        if not isinstance(is_typing, bool):
            raise ProtocolError(
                ErrorCode.VALIDATION_ERROR, "isTyping must be a boolean"
            )
        await self._broadcast_typing(is_typing)
        if ref is not None:
            self.send_frame(chat_events.TYPING_SUCCESS, {"isTyping": is_typing}, ref)

    async def handle_read(self, data: dict[str, Any], ref: str | None) -> None:
        last = await database_sync_to_async(_read)(
            self.session_id, self.user, data.get("messageId")
        )
        self.send_frame(chat_events.READ_SUCCESS, {"lastReadMessageId": last}, ref)

    async def handle_edit_message(self, data: dict[str, Any], ref: str | None) -> None:
        payload = await database_sync_to_async(_edit)(self.session_id, self.user, data)
        self.send_frame(chat_events.EDIT_SUCCESS, payload, ref)

    async def handle_delete_message(
        self, data: dict[str, Any], ref: str | None
    ) -> None:
        payload = await database_sync_to_async(_delete)(
            self.session_id, self.user, data
        )
        self.send_frame(chat_events.DELETE_SUCCESS, payload, ref)
