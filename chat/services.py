"""Every state change of the chat: validates, writes, publishes, in one transaction."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import realtime
from chat import attachments, events, selectors
from chat.errors import ChatCode, NotAMember, NotFound
from chat.models import (
    MAX_ATTACHMENTS,
    MAX_CLIENT_ID,
    MAX_CONTENT,
    MAX_TITLE,
    ChatAttachment,
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


MAX_MEMBERS_AT_ONCE = 100
UNSENT_UPLOAD_LIFETIME = timedelta(days=1)
CANNOT_ADD = "Some of these users cannot be added"


def _users_to_add(ids: Any, *, exclude: set[int]) -> list[Any]:
    """Active users of `ids` (less `exclude`); one error for any id that is not."""
    if not isinstance(ids, list) or len(ids) > MAX_MEMBERS_AT_ONCE:
        raise DomainError(
            f"memberIds must be a list of at most {MAX_MEMBERS_AT_ONCE} user ids"
        )
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise DomainError("memberIds must be user ids (integers)")
    wanted = set(ids) - exclude
    users = list(get_user_model().objects.filter(pk__in=wanted, is_active=True))
    if len(users) != len(wanted):
        # One answer whether an id does not exist or may not be added: the
        # error must not tell which user ids exist.
        raise DomainError(CANNOT_ADD, details={"memberIds": [CANNOT_ADD]})
    return sorted(users, key=lambda u: u.pk)


def _validate_title(title: Any) -> str:
    title = title.strip() if isinstance(title, str) else ""
    if not title or len(title) > MAX_TITLE:
        raise DomainError(f"A title needs 1 to {MAX_TITLE} characters")
    return title


def _by_room_order(users: list[Any]) -> list[Any]:
    # The order `realtime.rooms.lock_order` locks `chatuser:<id>` rooms in.
    return sorted(users, key=lambda u: str(u.pk))


def _members(session: ChatSession) -> list[Any]:
    return [
        m.user for m in session.members.select_related("user").order_by("joined", "pk")
    ]


def _publish_added(session: ChatSession, users: list[Any]) -> None:
    """Tell each of `users` (new members) about the session, as their list shows it."""
    for user in _by_room_order(users):
        realtime.publish(
            events.user_room(user.pk),
            events.SESSION_ADDED,
            selectors.session_detail(session=session, user=user),
        )


def _publish_updated(session: ChatSession, users: list[Any]) -> None:
    data = dict(events.session_updated_data(session, _members(session)))
    for user in _by_room_order(users):
        realtime.publish(events.user_room(user.pk), events.SESSION_UPDATED, data)


@transaction.atomic
def chat_session_create(
    *, creator: Any, title: str, member_ids: list[int] | None = None
) -> ChatSession:
    """Open a session with its creator and the given users as members."""
    title = _validate_title(title)
    users = _users_to_add(list(member_ids or []), exclude={creator.pk})
    session = ChatSession.objects.create(title=title, creator=creator)
    ChatMember.objects.bulk_create(
        [ChatMember(session=session, user=u) for u in [creator, *users]]
    )
    _publish_added(session, [creator, *users])
    return session


def _direct_user(user: Any, other_id: Any) -> Any:
    if isinstance(other_id, bool) or not isinstance(other_id, int):
        raise DomainError("userId must be a user id (an integer)")
    other = (
        get_user_model().objects.filter(pk=other_id, is_active=True).first()
        if other_id != user.pk and 0 < other_id < 2**63
        else None
    )
    if other is None:
        raise DomainError("You cannot open a direct chat with this user")
    return other


def chat_direct_open(*, user: Any, other_id: Any) -> tuple[ChatSession, bool]:
    """The direct chat of `user` and one other user; (session, created).

    There is one per pair: opening it again, from either side, finds it.
    """
    other = _direct_user(user, other_id)
    low, high = sorted([user.pk, other.pk])
    key = f"{low}:{high}"
    existing = ChatSession.objects.filter(direct_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            names = sorted(
                [events.user_data(user)["name"], events.user_data(other)["name"]]
            )
            session = ChatSession.objects.create(
                title=" & ".join(names)[:MAX_TITLE], creator=user, direct_key=key
            )
            ChatMember.objects.bulk_create(
                [ChatMember(session=session, user=u) for u in (user, other)]
            )
            _publish_added(session, [user, other])
            return session, True
    except IntegrityError:
        # The other side opened it at the same moment.
        return ChatSession.objects.get(direct_key=key), False


def _managed_by(session_id: Any, user: Any) -> ChatSession:
    """The session if `user` is its creator and it is a group (not direct)."""
    session = member_of(session_id=session_id, user=user).session
    if session.is_direct:
        raise DomainError(
            "A direct chat has no title or members to change",
            code=ChatCode.DIRECT_CHAT,
        )
    if session.creator_id != user.pk:
        raise NotAMember(
            "Only the creator of this chat can change it",
            code=ChatCode.NOT_THE_CREATOR,
        )
    return session


@transaction.atomic
def chat_session_rename(*, session_id: Any, user: Any, title: Any) -> ChatSession:
    """Change a group's title (its creator only); `session:updated` to every member."""
    title = _validate_title(title)
    session = _managed_by(session_id, user)
    if session.title == title:
        return session
    session.title = title
    session.save(update_fields=["title"])
    _publish_updated(session, _members(session))
    return session


@transaction.atomic
def chat_members_add(*, session_id: Any, user: Any, user_ids: Any) -> list[Any]:
    """Add users to a group (its creator only); return the users added.

    The room hears `member:added` for each; the new members get
    `session:added`, the others `session:updated`.
    """
    session = _managed_by(session_id, user)
    current = _members(session)
    users = _users_to_add(user_ids, exclude={u.pk for u in current})
    if not users:
        return []
    ChatMember.objects.bulk_create([ChatMember(session=session, user=u) for u in users])
    for added in users:
        realtime.publish(
            events.room_of(session.pk),
            events.MEMBER_ADDED,
            dict(events.member_data(session.pk, added)),
        )
    _publish_added(session, users)
    _publish_updated(session, current)
    return users


@transaction.atomic
def chat_member_kick(*, session_id: Any, user: Any, user_id: Any) -> None:
    """Remove a member from a group: its creator removes anyone, a member leaves."""
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise DomainError("userId must be a user id (an integer)")
    if user_id == user.pk:
        session = member_of(session_id=session_id, user=user).session
        if session.is_direct:
            raise DomainError("A direct chat cannot be left", code=ChatCode.DIRECT_CHAT)
        chat_member_remove(session=session, user=user)
        return
    session = _managed_by(session_id, user)
    target = ChatMember.objects.filter(session=session, user_id=user_id).first()
    if target is None:
        raise NotFound("Not a member of this chat")
    chat_member_remove(session=session, user=target.user)


@transaction.atomic
def chat_member_add(*, session: ChatSession, user: Any) -> ChatMember:
    """Add `user` to the session (no-op when already a member)."""
    current = _members(session)
    member, created = ChatMember.objects.get_or_create(session=session, user=user)
    if created:
        realtime.publish(
            events.room_of(session.pk),
            events.MEMBER_ADDED,
            dict(events.member_data(session.pk, user)),
        )
        _publish_added(session, [user])
        _publish_updated(session, current)
    return member


@transaction.atomic
def chat_member_remove(*, session: ChatSession, user: Any) -> bool:
    """Remove `user` from the session; True when they were a member.

    Published as `member:removed`: the others see it, and the removed user's
    open sockets on the session are closed. Their list hears
    `session:removed`, the others' `session:updated`.
    """
    deleted, _ = ChatMember.objects.filter(session=session, user=user).delete()
    if deleted:
        realtime.publish(
            events.room_of(session.pk),
            events.MEMBER_REMOVED,
            dict(events.member_data(session.pk, user)),
        )
        rest = _members(session)
        updated = dict(events.session_updated_data(session, rest))
        for each in _by_room_order([user, *rest]):
            if each.pk == user.pk:
                realtime.publish(
                    events.user_room(user.pk),
                    events.SESSION_REMOVED,
                    {"sessionId": session.pk},
                )
            else:
                realtime.publish(
                    events.user_room(each.pk), events.SESSION_UPDATED, updated
                )
    return bool(deleted)


def _validate_content(content: Any, *, may_be_empty: bool = False) -> str:
    if may_be_empty and (content is None or content == ""):
        return ""
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


def _validate_attachment_ids(ids: Any) -> list[int]:
    if ids is None:
        return []
    if (
        not isinstance(ids, list)
        or len(ids) > MAX_ATTACHMENTS
        or any(isinstance(i, bool) or not isinstance(i, int) for i in ids)
    ):
        raise DomainError(
            f"attachmentIds must be a list of at most {MAX_ATTACHMENTS} ids"
        )
    return list(dict.fromkeys(ids))


def _claim_attachments(message: ChatMessage, ids: list[int]) -> None:
    """Attach the author's unsent uploads of this session to `message`."""
    if not ids:
        return
    claimed = ChatAttachment.objects.filter(
        pk__in=[i for i in ids if 0 < i < 2**63],
        session_id=message.session_id,
        uploader_id=message.author_id,
        message__isnull=True,
    ).update(message=message)
    if claimed != len(ids):
        # One answer for unknown ids, others' uploads and ones already sent.
        raise DomainError(
            "Some of these attachments cannot be sent with this message",
            details={"attachmentIds": ["Unknown, already sent or not yours"]},
        )


def chat_message_post(
    *,
    session_id: Any,
    author: Any,
    content: Any,
    client_id: Any = None,
    attachment_ids: Any = None,
) -> tuple[ChatMessage, bool]:
    """Store and broadcast a message; return (message, created).

    Idempotent per (author, clientId): a retry returns the first message and
    publishes nothing. A message with attachments may have no text.
    """
    ids = _validate_attachment_ids(attachment_ids)
    content = _validate_content(content, may_be_empty=bool(ids))
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
            _claim_attachments(message, ids)
            _set_mentions(message)
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


MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")


def mentioned_usernames(content: str) -> set[str]:
    """The `@username` tokens of a text, lower-cased (a final "." is punctuation)."""
    return {m.group(1).rstrip(".").lower() for m in MENTION.finditer(content)}


def _set_mentions(message: ChatMessage) -> None:
    """Mentions are the members of the session named as @username in the text."""
    names = mentioned_usernames(message.content)
    users = [
        m.user
        for m in ChatMember.objects.filter(session_id=message.session_id)
        .exclude(user_id=message.author_id)
        .select_related("user")
        if names and m.user.get_username().lower() in names
    ]
    message.mentions.set(users)


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
    _set_mentions(message)
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
    message.mentions.clear()
    _delete_attachments(ChatAttachment.objects.filter(message=message))
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


def _delete_attachments(rows: Any) -> None:
    """Delete attachment rows now and their files once the transaction commits."""
    names = [n for a in rows for n in (a.file.name, a.thumbnail.name) if n]
    rows.delete()
    transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str | None]) -> None:
    for name in filter(None, names):
        try:
            default_storage.delete(name)
        except OSError:
            pass  # already gone: nothing is left behind either way


def chat_attachment_upload(
    *, session_id: Any, user: Any, upload: Any
) -> ChatAttachment:
    """Check and store an uploaded file for a later message of this session.

    Its type comes from its content (images checked by Pillow, which also draws
    the thumbnail). A refused file writes nothing; a failure after the files
    are written removes them.
    """
    member = member_of(session_id=session_id, user=user)
    if upload is None:
        raise DomainError("Send the file in the multipart field `file`")
    found = attachments.inspect(upload)
    with transaction.atomic():
        # Uploads never sent (a closed tab, a removed file) do not pile up.
        _delete_attachments(
            ChatAttachment.objects.filter(
                uploader=user,
                message__isnull=True,
                created__lt=timezone.now() - UNSENT_UPLOAD_LIFETIME,
            )
        )
    stem = uuid.uuid4().hex
    attachment = ChatAttachment(
        session=member.session,
        uploader=user,
        name=found.name,
        content_type=found.content_type,
        size=found.size,
        width=found.width,
        height=found.height,
    )
    written: list[str | None] = []
    try:
        upload.seek(0)
        attachment.file.save(stem + found.extension, upload, save=False)
        written.append(attachment.file.name)
        if found.thumbnail is not None:
            attachment.thumbnail.save(
                f"{stem}-thumb{found.thumbnail_extension}",
                ContentFile(found.thumbnail),
                save=False,
            )
            written.append(attachment.thumbnail.name)
        with transaction.atomic():
            attachment.save()
    except BaseException:
        _delete_files(written)
        raise
    return attachment
