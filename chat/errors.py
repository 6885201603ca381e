"""The errors of the chat: it has no codes of its own, only the shared ones.

`realtime.errors.ErrorCode` holds them, each with its HTTP status.
"""

from __future__ import annotations

from realtime.errors import Forbidden, NotFound


class NotAMember(Forbidden):
    """Not logged in, or not a member of the session (403 `UNAUTHORIZED`)."""


__all__ = ["NotAMember", "NotFound"]
