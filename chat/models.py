"""Chat sessions, their members and messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models

MAX_CONTENT = 4000
MAX_CLIENT_ID = 64
MAX_TITLE = 200
MAX_ATTACHMENTS = 10


class ChatSession(models.Model):
    title = models.CharField(max_length=MAX_TITLE)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="created_chat_sessions",
    )
    created = models.DateTimeField(auto_now_add=True)
    # A direct chat of two people: "<lower user id>:<higher user id>", unique,
    # so opening it twice (even at once) finds the same session.
    direct_key = models.CharField(
        max_length=50, null=True, blank=True, unique=True, editable=False
    )

    def __str__(self) -> str:
        return self.title

    @property
    def is_direct(self) -> bool:
        return self.direct_key is not None


class ChatMember(models.Model):
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_memberships",
    )
    # The newest message this member has seen (ids grow with time).
    last_read_message_id = models.BigIntegerField(null=True, blank=True)
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], name="chat_member_session_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.session}"


class ChatMessage(models.Model):
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_messages",
    )
    content = models.TextField()
    # Chosen by the client so a retried send stores one message; NULL (not "")
    # when absent, so the unique constraint only covers given ids.
    client_id = models.CharField(  # noqa: DJ001
        max_length=MAX_CLIENT_ID, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by an edit of the text; a deleted message keeps its row (its place
    # in the conversation shows "message deleted") with the text wiped.
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Members named as @username in the text (kept in step by edits).
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="chat_mentions", blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"],
                name="chat_message_author_client_id",
                condition=models.Q(client_id__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["session", "id"], name="chat_message_session_id")
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.content[:40]}"


def attachment_path(instance: ChatAttachment, filename: str) -> str:
    # The stored name never comes from the user: a random one, in the
    # session's folder, with the extension of the type found in the content.
    return f"chat/{instance.session_id}/{filename}"


class ChatAttachment(models.Model):
    """An uploaded file, attached to one message once that message is sent."""

    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="attachments"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_attachments",
    )
    message = models.ForeignKey(
        ChatMessage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(upload_to=attachment_path, max_length=255)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=255, blank=True)
    # The name the user gave, shown and offered on download only.
    name = models.CharField(max_length=255)
    # Found from the content, never taken from the upload's headers.
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
