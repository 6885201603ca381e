"""Error codes and close codes of PROTOCOL sections 7 and 8.

Every error code is a member of a `Code` enum that carries the HTTP status a
REST answer gives it: `ErrorCode` here holds the codes every app shares, and
an app with codes of its own has one enum in its `errors.py` (for example
`orders.errors.OrderCode`). A `DomainError` takes its status from its code,
so views and services never write a status number.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from http import HTTPStatus
from typing import Self


class Code(StrEnum):
    """An error code on the wire, with the HTTP status it is answered with."""

    status: HTTPStatus

    def __new__(cls, value: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        return member


class ErrorCode(Code):
    """The codes of the core, shared by every app."""

    VALIDATION_ERROR = "VALIDATION_ERROR", HTTPStatus.BAD_REQUEST
    UNKNOWN_EVENT = "UNKNOWN_EVENT", HTTPStatus.BAD_REQUEST
    ROOM_JOIN_FAILED = "ROOM_JOIN_FAILED", HTTPStatus.BAD_REQUEST
    ROOM_LEAVE_FAILED = "ROOM_LEAVE_FAILED", HTTPStatus.BAD_REQUEST
    MESSAGE_SEND_FAILED = "MESSAGE_SEND_FAILED", HTTPStatus.BAD_REQUEST
    # On a socket: "may not"; a REST answer says 403 (401 is "log in first").
    UNAUTHORIZED = "UNAUTHORIZED", HTTPStatus.FORBIDDEN
    NOT_FOUND = "NOT_FOUND", HTTPStatus.NOT_FOUND
    RATE_LIMITED = "RATE_LIMITED", HTTPStatus.TOO_MANY_REQUESTS
    CONNECTION_FAILED = "CONNECTION_FAILED", HTTPStatus.SERVICE_UNAVAILABLE
    INTERNAL_ERROR = "INTERNAL_ERROR", HTTPStatus.INTERNAL_SERVER_ERROR


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
    """A business rule refused a change; REST answers `code.status`, sockets `code`."""

    code: Code = ErrorCode.VALIDATION_ERROR

    def __init__(
        self,
        message: str,
        *,
        code: Code | None = None,
        details: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    @property
    def status(self) -> HTTPStatus:
        return self.code.status


class NotFound(DomainError):
    """The thing a request names does not exist (404 `NOT_FOUND`)."""

    code = ErrorCode.NOT_FOUND


class Forbidden(DomainError):
    """The user may not do this (403 `UNAUTHORIZED`)."""

    code = ErrorCode.UNAUTHORIZED
