"""The error codes of the devices app (PROTOCOL section 8), each with its HTTP status."""

from __future__ import annotations

from http import HTTPStatus

from realtime.errors import Code, DomainError, ErrorCode


class DeviceCode(Code):
    # A pairing code that is wrong, used or expired (one answer for all three).
    PAIRING_CODE_INVALID = "PAIRING_CODE_INVALID", HTTPStatus.BAD_REQUEST


class PairingCodeInvalid(DomainError):
    code = DeviceCode.PAIRING_CODE_INVALID


class TooManyAttempts(DomainError):
    """Too many wrong pairing codes: 429 `RATE_LIMITED`, retry after `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many wrong pairing codes; try again in {retry_after} s",
            code=ErrorCode.RATE_LIMITED,
        )
        self.retry_after = retry_after
