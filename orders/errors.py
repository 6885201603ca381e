"""The error codes of the orders app (PROTOCOL section 8), each with its HTTP status.

The shared codes (`NOT_FOUND`, `VALIDATION_ERROR`) are `realtime.errors.ErrorCode`.
"""

from __future__ import annotations

from http import HTTPStatus

from realtime.errors import Code, DomainError


class OrderCode(Code):
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE", HTTPStatus.CONFLICT
    SOLD_OUT = "SOLD_OUT", HTTPStatus.CONFLICT
    INVALID_TRANSITION = "INVALID_TRANSITION", HTTPStatus.CONFLICT
    # The kiosk is switched off in the settings: retry when it is back.
    KIOSK_INACTIVE = "KIOSK_INACTIVE", HTTPStatus.SERVICE_UNAVAILABLE


class InsufficientBalance(DomainError):
    code = OrderCode.INSUFFICIENT_BALANCE


class SoldOut(DomainError):
    code = OrderCode.SOLD_OUT


class InvalidTransition(DomainError):
    code = OrderCode.INVALID_TRANSITION


class KioskInactive(DomainError):
    code = OrderCode.KIOSK_INACTIVE
