"""Error codes and close codes of PROTOCOL section 7."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNKNOWN_EVENT = "UNKNOWN_EVENT"
    ROOM_JOIN_FAILED = "ROOM_JOIN_FAILED"
    ROOM_LEAVE_FAILED = "ROOM_LEAVE_FAILED"
    MESSAGE_SEND_FAILED = "MESSAGE_SEND_FAILED"
    UNAUTHORIZED = "UNAUTHORIZED"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    CONNECTION_FAILED = "CONNECTION_FAILED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class CloseCode(IntEnum):
    GOING_AWAY = 1001
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013
    NOT_AUTHENTICATED = 4401
    FORBIDDEN = 4403
    HEARTBEAT_TIMEOUT = 4408
    FRAME_TOO_LARGE = 4413
    RATE_LIMIT_EXCEEDED = 4429


class ProtocolError(Exception):
    """A refused client message: becomes one `error` envelope, the socket stays open."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DomainError(Exception):
    """A business rule refused a change; REST maps `status`, sockets map `code`."""

    status = 400
    code = "VALIDATION_ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details
