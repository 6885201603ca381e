"""Reads of the chat: session lists with unread counts, history pages."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from chat import events
from chat.errors import NotFound
from chat.models import ChatAttachment, ChatMember, ChatMessage, ChatSession
from realtime.selectors import current_seq

DEFAULT_PAGE = 50
MAX_PAGE = 200


def session_list(*, user: Any) -> list[dict[str, Any]]:
    """The user's sessions, newest activity first, each with its unread count."""
    return _sessions_of(user)


def session_detail(*, session: ChatSession, user: Any) -> dict[str, Any]:
    """One session as `session_list` shows it (reading only that session)."""
    entries = _sessions_of(user, session_id=session.pk)
    if entries:
        return entries[0]
    return {
        **session_data(
            session, _members_of([session.pk]).get(session.pk, []), 0, viewer=user
        ),
        "mentionCount": 0,
    }


def _sessions_of(user: Any, *, session_id: int | None = None) -> list[dict[str, Any]]:
    last_read = ChatMember.objects.filter(
        session=OuterRef("session"), user=user
    ).values("last_read_message_id")[:1]
    unread = (
        ChatMessage.objects.filter(session=OuterRef("pk"))
        .exclude(author=user)
        .filter(deleted_at__isnull=True)
        .filter(Q(id__gt=Coalesce(Subquery(last_read), Value(0))))
        .order_by()
        .values("session")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = ChatSession.objects.filter(members__user=user)
    if session_id is not None:
        rows = rows.filter(pk=session_id)
    mentioned = (
        ChatMessage.objects.filter(session=OuterRef("pk"), mentions=user)
        .exclude(author=user)
        .filter(deleted_at__isnull=True)
        .filter(Q(id__gt=Coalesce(Subquery(last_read), Value(0))))
        .order_by()
        .values("session")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = rows.annotate(
        unread=Coalesce(Subquery(unread), Value(0), output_field=IntegerField()),
        mentioned=Coalesce(Subquery(mentioned), Value(0), output_field=IntegerField()),
        last_id=Coalesce(
            Subquery(
                ChatMessage.objects.filter(session=OuterRef("pk"))
                .order_by("-id")
                .values("id")[:1]
            ),
            Value(0),
        ),
    ).order_by("-last_id", "-pk")
    sessions = list(rows)
    members = _members_of([s.pk for s in sessions])
    last = {
        m.session_id: m
        for m in ChatMessage.objects.filter(
            pk__in=[s.last_id for s in sessions if s.last_id]
        )
        .select_related("author")
        .prefetch_related("attachments", "mentions")
    }
    return [
        {
            **session_data(
                s, members.get(s.pk, []), s.unread, last.get(s.pk), viewer=user
            ),
            "mentionCount": s.mentioned,
        }
        for s in sessions
    ]


def _members_of(session_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    result: dict[int, list[dict[str, Any]]] = {}
    rows = (
        ChatMember.objects.filter(session_id__in=session_ids)
        .select_related("user")
        .order_by("joined", "pk")
    )
    for member in rows:
        result.setdefault(member.session_id, []).append(
            {
                **events.user_data(member.user),
                "username": member.user.get_username(),
                "lastReadMessageId": member.last_read_message_id,
            }
        )
    return result


def session_data(
    session: ChatSession,
    members: list[dict[str, Any]],
    unread: int,
    last_message: ChatMessage | None = None,
    *,
    viewer: Any = None,
) -> dict[str, Any]:
    title = session.title
    if session.is_direct and viewer is not None:
        # A direct chat is called after the other person, for each of the two.
        others = [m["name"] for m in members if m["id"] != viewer.pk]
        title = others[0] if others else title
    return {
        "id": session.pk,
        "title": title,
        "isDirect": session.is_direct,
        "creatorId": session.creator_id,
        "created": session.created.isoformat(),
        "members": members,
        "unreadCount": unread,
        "lastMessage": events.message_data(last_message) if last_message else None,
    }


def message_history(
    *,
    session_id: int,
    before: int | None = None,
    after: int | None = None,
    limit: int = DEFAULT_PAGE,
) -> dict[str, Any]:
    """One page of messages, oldest first.

    `before`: the page just older than that id (scrolling up); `after`: the
    messages newer than that id (catching up); neither: the newest page.
    `seq` is the room's seq at read time: a socket joined with `lastSeq=seq`
    gets every later event.
    """
    limit = max(1, min(limit, MAX_PAGE))
    seq = current_seq(events.room_of(session_id))
    rows = (
        ChatMessage.objects.filter(session_id=session_id)
        .select_related("author")
        .prefetch_related("attachments", "mentions")
    )
    if before is not None:
        rows = rows.filter(pk__lt=before)
    if after is not None:
        page = list(rows.filter(pk__gt=after).order_by("pk")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
    else:
        page = list(rows.order_by("-pk")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit][::-1]
    return {
        "messages": [events.message_data(m) for m in page],
        "hasMore": has_more,
        "seq": seq,
    }


USER_SEARCH_LIMIT = 20


def user_search(*, user: Any, query: str, limit: int = USER_SEARCH_LIMIT) -> list[Any]:
    """Active users other than `user` whose username or name contains `query`.

    Answers `{id, name, username}` only: never an email or other account data.
    """
    rows = get_user_model().objects.filter(is_active=True).exclude(pk=user.pk)
    for word in query.split()[:5]:
        rows = rows.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
        )
    return [
        {**events.user_data(u), "username": u.get_username()}
        for u in rows.order_by("username")[: max(1, min(limit, USER_SEARCH_LIMIT))]
    ]


def attachment_for_download(*, user: Any, attachment_id: int) -> ChatAttachment:
    """An attachment `user` may download: a member's, once sent; the uploader's before."""
    from chat.services import member_of

    attachment = ChatAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id}")
    member_of(session_id=attachment.session_id, user=user)
    if attachment.message_id is None and attachment.uploader_id != user.pk:
        raise NotFound(f"No attachment {attachment_id}")
    return attachment


SEARCH_LIMIT = 30
MAX_SEARCH_WORDS = 8
WORD = re.compile(r"\w+")


def message_search(
    *, user: Any, query: str, limit: int = SEARCH_LIMIT
) -> list[dict[str, Any]]:
    """Messages of the user's sessions matching every word of `query`, best first.

    PostgreSQL: full-text search (each word also matches as a prefix), ranked;
    elsewhere (SQLite): every word as a case-insensitive substring, newest first.
    Deleted messages are never found.
    """
    words = WORD.findall(query)[:MAX_SEARCH_WORDS]
    if not words:
        return []
    rows = (
        ChatMessage.objects.filter(session__members__user=user, deleted_at__isnull=True)
        .select_related("author", "session")
        .prefetch_related("attachments", "mentions")
    )
    if connection.vendor == "postgresql":
        # Only \w+ tokens reach the raw tsquery, each as a prefix, all required.
        search = SearchQuery(
            " & ".join(f"{w}:*" for w in words), search_type="raw", config="simple"
        )
        vector = SearchVector("content", config="simple")
        rows = (
            rows.annotate(found=vector, rank=SearchRank(vector, search))
            .filter(found=search)
            .order_by("-rank", "-pk")
        )
    else:
        for word in words:
            rows = rows.filter(content__icontains=word)
        rows = rows.order_by("-pk")
    return [
        {
            "message": events.message_data(m),
            "sessionId": m.session_id,
            "sessionTitle": m.session.title,
        }
        for m in rows[: max(1, min(limit, SEARCH_LIMIT))]
    ]
