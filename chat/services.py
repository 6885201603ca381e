"""Every state change of the chat: validates, writes, publishes, in one transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import realtime
from chat import events
from chat.errors import ChatCode, NotAMember, NotFound
from chat.models import (
    MAX_CLIENT_ID,
    MAX_CONTENT,
    MAX_TITLE,
    ChatMember,
    ChatMessage,
    ChatSession,
)
from realtime.errors import DomainError


def member_of(*, session_id: Any, user: Any) -> ChatMember:
    """The membership of `user` in the session; NotFound / NotAMember otherwise."""
    if not getattr(user, "is_authenticated", False):
        raise NotAMember("Log in to use the chat")
    member = (
        ChatMember.objects.select_related("session")
        .filter(session_id=session_id, user=user)
        .first()
    )
    if member is not None:
        return member
    if not ChatSession.objects.filter(pk=session_id).exists():
        raise NotFound(f"No chat session {session_id}")
    raise NotAMember("Not a member of this chat session")


@transaction.atomic
def chat_session_create(
    *, creator: Any, title: str, member_ids: list[int] | None = None
) -> ChatSession:
    """Open a session with its creator and the given users as members."""
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise DomainError(f"A title needs 1 to {MAX_TITLE} characters")
    ids = {int(i) for i in member_ids or []} - {creator.pk}
    users = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
    if len(users) != len(ids):
        # One answer whether an id does not exist or may not be added: the
        # error must not tell which user ids exist.
        raise DomainError(
            "Some of these users cannot be added",
            details={"memberIds": ["Some of these users cannot be added"]},
        )
    session = ChatSession.objects.create(title=title, creator=creator)
    ChatMember.objects.bulk_create(
        [ChatMember(session=session, user=u) for u in [creator, *users]]
    )
    return session


@transaction.atomic
def chat_member_add(*, session: ChatSession, user: Any) -> ChatMember:
    """Add `user` to the session (no-op when already a member)."""
    member, _ = ChatMember.objects.get_or_create(session=session, user=user)
    return member


@transaction.atomic
def chat_member_remove(*, session: ChatSession, user: Any) -> bool:
    """Remove `user` from the session; True when they were a member.

    Published as `member:removed`: the others see it, and the removed user's
    open sockets on the session are closed.
    """
    deleted, _ = ChatMember.objects.filter(session=session, user=user).delete()
    if deleted:
        realtime.publish(
            events.room_of(session.pk),
            events.MEMBER_REMOVED,
            dict(events.member_data(session.pk, user)),
        )
    return bool(deleted)


def _validate_content(content: Any) -> str:
    if not isinstance(content, str) or not content.strip():
        raise DomainError("A message needs some text")
    if len(content) > MAX_CONTENT:
        raise DomainError(
            f"A message has at most {MAX_CONTENT} characters (got {len(content)})"
        )
    return content


def _validate_client_id(client_id: Any) -> str | None:
    if client_id is None or client_id == "":
        return None
    if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID:
        raise DomainError(f"clientId must be a string of at most {MAX_CLIENT_ID}")
    return client_id


def chat_message_post(
    *, session_id: Any, author: Any, content: Any, client_id: Any = None
) -> tuple[ChatMessage, bool]:
    """Store and broadcast a message; return (message, created).

    Idempotent per (author, clientId): a retry returns the first message and
    publishes nothing.
    """
    content = _validate_content(content)
    client_id = _validate_client_id(client_id)
    try:
        with transaction.atomic():
            member = member_of(session_id=session_id, user=author)
            if client_id is not None:
                existing = _existing(author, client_id)
                if existing is not None:
                    return _same_session(existing, member.session_id), False
            message = ChatMessage.objects.create(
                session=member.session,
                author=author,
                content=content,
                client_id=client_id,
            )
            # Writing a message means having read everything before it.
            member.last_read_message_id = message.pk
            member.save(update_fields=["last_read_message_id"])
            realtime.publish(
                events.room_of(message.session_id),
                events.MESSAGE_CREATED,
                dict(events.message_data(message)),
            )
            return message, True
    except IntegrityError:
        # A concurrent send with the same clientId won the race.
        existing = _existing(author, client_id)
        if existing is None:
            raise
        return _same_session(existing, int(session_id)), False


def _existing(author: Any, client_id: str | None) -> ChatMessage | None:
    return (
        ChatMessage.objects.select_related("author")
        .filter(author=author, client_id=client_id)
        .first()
    )


def _same_session(message: ChatMessage, session_id: int) -> ChatMessage:
    if message.session_id != int(session_id):
        raise DomainError("clientId was already used for another session")
    return message


@transaction.atomic
def chat_mark_read(*, session_id: Any, user: Any, message_id: Any) -> ChatMember:
    """Move the member's read mark forward to `message_id` and broadcast it."""
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise DomainError("messageId must be an integer")
    member = member_of(session_id=session_id, user=user)
    if not ChatMessage.objects.filter(pk=message_id, session_id=session_id).exists():
        raise NotFound(f"No message {message_id} in this session")
    # Only forward: a late `read` for an older message changes nothing.
    updated = (
        ChatMember.objects.filter(pk=member.pk)
        .filter(
            Q(last_read_message_id__isnull=True)
            | Q(last_read_message_id__lt=message_id)
        )
        .update(last_read_message_id=message_id)
    )
    if updated:
        member.last_read_message_id = message_id
        realtime.publish(
            events.room_of(session_id),
            events.MESSAGE_READ,
            dict(events.read_data(user, message_id)),
        )
    else:
        member.refresh_from_db(fields=["last_read_message_id"])
    return member


def _message_id(message_id: Any) -> int:
    if isinstance(message_id, str) and message_id.isascii() and message_id.isdigit():
        message_id = int(message_id)
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise DomainError("messageId must be an integer")
    if not 1 <= message_id <= 2**63 - 1:
        raise NotFound(f"No message {message_id} in this session")
    return message_id


def _locked_message(*, session_id: Any, message_id: Any) -> ChatMessage:
    message = (
        ChatMessage.objects.select_for_update()
        .filter(pk=_message_id(message_id), session_id=session_id)
        .first()
    )
    if message is None:
        # Also for a message of another session: its id tells nothing.
        raise NotFound(f"No message {message_id} in this session")
    return message


@transaction.atomic
def chat_message_edit(
    *, session_id: Any, user: Any, message_id: Any, content: Any
) -> ChatMessage:
    """Change the text of the user's own message; published as `message:updated`.

    The same text again changes nothing and publishes nothing.
    """
    content = _validate_content(content)
    member_of(session_id=session_id, user=user)
    message = _locked_message(session_id=session_id, message_id=message_id)
    if message.author_id != user.pk:
        raise NotAMember(
            "Only the author can edit a message", code=ChatCode.NOT_THE_AUTHOR
        )
    if message.deleted_at is not None:
        raise DomainError("This message was deleted", code=ChatCode.MESSAGE_DELETED)
    if message.content == content:
        return message
    message.content = content
    message.edited_at = timezone.now()
    message.save(update_fields=["content", "edited_at"])
    realtime.publish(
        events.room_of(message.session_id),
        events.MESSAGE_UPDATED,
        dict(events.message_data(message)),
    )
    return message


@transaction.atomic
def chat_message_delete(*, session_id: Any, user: Any, message_id: Any) -> ChatMessage:
    """Delete a message (its author, or staff for any); published as `message:deleted`.

    The row stays, with its text wiped, so the conversation shows where it
    was; deleting it again changes nothing and publishes nothing.
    """
    if not getattr(user, "is_staff", False):
        member_of(session_id=session_id, user=user)
    elif not ChatSession.objects.filter(pk=_session_pk(session_id)).exists():
        raise NotFound(f"No chat session {session_id}")
    message = _locked_message(session_id=session_id, message_id=message_id)
    if message.author_id != user.pk and not user.is_staff:
        raise NotAMember(
            "Only the author can delete a message", code=ChatCode.NOT_THE_AUTHOR
        )
    if message.deleted_at is not None:
        return message
    message.content = ""
    message.deleted_at = timezone.now()
    message.save(update_fields=["content", "deleted_at"])
    realtime.publish(
        events.room_of(message.session_id),
        events.MESSAGE_DELETED,
        dict(events.message_deleted_data(message, user)),
    )
    return message


def _session_pk(session_id: Any) -> int:
    try:
        return int(session_id)
    except (TypeError, ValueError):
        raise NotFound(f"No chat session {session_id}") from None
