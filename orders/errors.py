"""The error codes of the orders app (PROTOCOL section 8), each with its HTTP status.

The shared codes (`NOT_FOUND`, `VALIDATION_ERROR`) are `realtime.errors.ErrorCode`.
"""

from __future__ import annotations

from http import HTTPStatus

from realtime.errors import Code, DomainError, ErrorCode


class OrderCode(Code):
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE", HTTPStatus.CONFLICT
    SOLD_OUT = "SOLD_OUT", HTTPStatus.CONFLICT
    INVALID_TRANSITION = "INVALID_TRANSITION", HTTPStatus.CONFLICT
    # The kiosk is switched off in the settings: retry when it is back.
    KIOSK_INACTIVE = "KIOSK_INACTIVE", HTTPStatus.SERVICE_UNAVAILABLE
    # The order's total is not the `expectedTotal` the client showed: a price
    # changed. Details carry the new total and lines; show them, ask again.
    PRICE_CHANGED = "PRICE_CHANGED", HTTPStatus.CONFLICT
    # The cell has a PIN: send `cellPin`.
    CELL_PIN_REQUIRED = "CELL_PIN_REQUIRED", HTTPStatus.FORBIDDEN
    CELL_PIN_WRONG = "CELL_PIN_WRONG", HTTPStatus.FORBIDDEN


class InsufficientBalance(DomainError):
    code = OrderCode.INSUFFICIENT_BALANCE


class SoldOut(DomainError):
    code = OrderCode.SOLD_OUT


class InvalidTransition(DomainError):
    code = OrderCode.INVALID_TRANSITION


class KioskInactive(DomainError):
    code = OrderCode.KIOSK_INACTIVE


class PriceChanged(DomainError):
    code = OrderCode.PRICE_CHANGED


class CellPinRequired(DomainError):
    code = OrderCode.CELL_PIN_REQUIRED


class CellPinWrong(DomainError):
    code = OrderCode.CELL_PIN_WRONG


class CellPinLocked(DomainError):
    """Too many wrong PINs for the cell or from the device: 429 with `retryAfter`."""

    code = ErrorCode.RATE_LIMITED
