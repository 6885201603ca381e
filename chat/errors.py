"""The errors of the chat: the shared codes plus the few of its own.

`realtime.errors.ErrorCode` holds the shared ones, each with its HTTP status.
"""

from __future__ import annotations

from http import HTTPStatus

from realtime.errors import Code, Forbidden, NotFound


class ChatCode(Code):
    """Codes only the chat answers."""

    # Editing or deleting someone else's message.
    NOT_THE_AUTHOR = "NOT_THE_AUTHOR", HTTPStatus.FORBIDDEN
    # Renaming or changing the members of a group one did not create.
    NOT_THE_CREATOR = "NOT_THE_CREATOR", HTTPStatus.FORBIDDEN
    # Renaming, adding to or leaving a direct chat of two people.
    DIRECT_CHAT = "DIRECT_CHAT", HTTPStatus.CONFLICT
    # An upload over CHAT_ATTACHMENT_MAX_BYTES.
    FILE_TOO_LARGE = "FILE_TOO_LARGE", HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    # An upload of a type not accepted, or whose content is not what its name
    # says, or an image Pillow cannot read.
    UNSUPPORTED_FILE = "UNSUPPORTED_FILE", HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    # Editing a message that was deleted.
    MESSAGE_DELETED = "MESSAGE_DELETED", HTTPStatus.CONFLICT


class NotAMember(Forbidden):
    """Not logged in, or not a member of the session (403 `UNAUTHORIZED`)."""


__all__ = ["ChatCode", "NotAMember", "NotFound"]
