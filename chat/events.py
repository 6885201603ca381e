"""Chat event names and payloads (PROTOCOL section 6); REST uses the same builders."""

from __future__ import annotations

from typing import Any, TypedDict

from chat.rooms import CHAT, CHAT_USER

MESSAGE_CREATED = "message:created"
# An edit: the whole message as it now is (with `editedAt`).
MESSAGE_UPDATED = "message:updated"
# A deletion: `{id, sessionId, deletedAt, deletedBy}`; the text is gone.
MESSAGE_DELETED = "message:deleted"
PRESENCE_JOINED = "presence:joined"
PRESENCE_LEFT = "presence:left"
TYPING = "typing"
MESSAGE_READ = "message:read"
# A member was removed: their open sockets on the session are closed 4403.
MEMBER_REMOVED = "member:removed"
# A member was added: `{sessionId, user}` to the session's room.
MEMBER_ADDED = "member:added"
# A session's title or members changed: `{sessionId, title, members}` to the
# session's room and to each member's `chatuser` room.
SESSION_UPDATED = "session:updated"
# To a user's `chatuser` room: a session they are now in (as the session list
# shows it), or one they left or were removed from (`{sessionId}`).
SESSION_ADDED = "session:added"
SESSION_REMOVED = "session:removed"
# Direct replies on the chat socket (matched by `ref`).
MESSAGE_SENT = "message_sent"
READ_SUCCESS = "read_success"
TYPING_SUCCESS = "typing_success"
EDIT_SUCCESS = "edit_message_success"
DELETE_SUCCESS = "delete_message_success"


class UserData(TypedDict):
    id: int
    name: str


class MentionData(TypedDict):
    id: int
    username: str


class AttachmentData(TypedDict):
    id: int
    url: str
    thumbnailUrl: str | None
    contentType: str
    size: int
    name: str
    width: int | None
    height: int | None


class MessageData(TypedDict):
    id: int
    sessionId: int
    clientId: str | None
    author: UserData
    content: str
    createdAt: str
    editedAt: str | None
    deletedAt: str | None
    attachments: list[AttachmentData]
    mentions: list[MentionData]


class MessageDeletedData(TypedDict):
    id: int
    sessionId: int
    deletedAt: str
    deletedBy: UserData


class PresenceData(TypedDict):
    user: UserData
    online: list[UserData]


class TypingData(TypedDict):
    user: UserData
    isTyping: bool


class ReadData(TypedDict):
    user: UserData
    lastReadMessageId: int | None


class MemberData(TypedDict):
    sessionId: int
    user: UserData


def room_of(session_id: Any) -> str:
    return CHAT.room_name(session_id)


def user_room(user_id: Any) -> str:
    return CHAT_USER.room_name(user_id)


class SessionUpdatedData(TypedDict):
    sessionId: int
    title: str
    members: list[UserData]


def session_updated_data(session: Any, members: list[Any]) -> SessionUpdatedData:
    return {
        "sessionId": session.pk,
        "title": session.title,
        "members": [user_data(u) for u in members],
    }


def user_data(user: Any) -> UserData:
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def message_data(message: Any) -> MessageData:
    return {
        "id": message.pk,
        "sessionId": message.session_id,
        "clientId": message.client_id,
        "author": user_data(message.author),
        "content": message.content,
        "createdAt": message.created_at.isoformat(),
        "editedAt": _iso(message.edited_at),
        "deletedAt": _iso(message.deleted_at),
        "attachments": [attachment_data(a) for a in message.attachments.all()],
        "mentions": [
            {"id": u.pk, "username": u.get_username()}
            for u in sorted(message.mentions.all(), key=lambda u: u.pk)
        ],
    }


def attachment_data(attachment: Any) -> AttachmentData:
    # Served by a view that checks membership, never from a public URL.
    url = f"/api/chat/attachments/{attachment.pk}/"
    return {
        "id": attachment.pk,
        "url": url,
        "thumbnailUrl": url + "thumbnail/" if attachment.thumbnail else None,
        "contentType": attachment.content_type,
        "size": attachment.size,
        "name": attachment.name,
        "width": attachment.width,
        "height": attachment.height,
    }


def message_deleted_data(message: Any, by: Any) -> MessageDeletedData:
    return {
        "id": message.pk,
        "sessionId": message.session_id,
        "deletedAt": message.deleted_at.isoformat(),
        "deletedBy": user_data(by),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def presence_data(user: UserData, online: list[UserData]) -> PresenceData:
    return {"user": user, "online": online}


def typing_data(user: UserData, is_typing: bool) -> TypingData:
    return {"user": user, "isTyping": is_typing}


def read_data(user: Any, last_read: int | None) -> ReadData:
    return {"user": user_data(user), "lastReadMessageId": last_read}


def member_data(session_id: int, user: Any) -> MemberData:
    return {"sessionId": session_id, "user": user_data(user)}
