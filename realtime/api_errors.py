"""One error shape for the REST API: `{"code", "message", "details"?}` (PROTOCOL section 8).

`exception_handler` maps exceptions inside DRF views; `realtime.middleware`
gives the same shape to everything else under /api/ and to outages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from realtime import health
from realtime.errors import DomainError, ErrorCode, ProtocolError

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
# Seconds a client should wait before retrying during an outage.
RETRY_AFTER = 5

CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: PAYLOAD_TOO_LARGE,
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: SERVICE_UNAVAILABLE,
}
MESSAGES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    500: "Internal server error",
    503: "A service this request needs is unavailable; retry later",
}
_PROTOCOL_STATUS = {
    ErrorCode.UNAUTHORIZED: status.HTTP_403_FORBIDDEN,
    ErrorCode.NOT_FOUND: status.HTTP_404_NOT_FOUND,
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def error_response(
    code: str, message: str, http_status: int, details: Any = None
) -> Response:
    return Response(error_body(code, message, details), status=http_status)


def json_error(
    http_status: int, code: str | None = None, message: str | None = None
) -> JsonResponse:
    """The error shape outside DRF views (middleware, Django's own error pages)."""
    response = JsonResponse(
        error_body(
            code or CODES.get(http_status, "ERROR"),
            message or MESSAGES.get(http_status, "Error"),
        ),
        status=http_status,
    )
    if http_status == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = str(RETRY_AFTER)
        # The outage is logged once by realtime.health, not once per request.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def outage_of(exc: BaseException) -> str | None:
    """ "database" or "redis" when `exc` (or its cause) says that dependency is down."""
    return health.classify(exc)


def report_outage(exc: BaseException) -> None:
    """Tell the process's health record (one warning when an outage starts)."""
    health.report(exc)


def outage_response(exc: BaseException) -> Response:
    report_outage(exc)
    response = error_response(
        SERVICE_UNAVAILABLE, MESSAGES[503], status.HTTP_503_SERVICE_UNAVAILABLE
    )
    response["Retry-After"] = str(RETRY_AFTER)
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, exc.status, exc.details)
    if isinstance(exc, ProtocolError):
        return error_response(
            exc.code, exc.message, _PROTOCOL_STATUS.get(exc.code, 400)
        )
    if outage_of(exc) is not None:
        return outage_response(exc)
    if isinstance(exc, RequestDataTooBig):
        return error_response(PAYLOAD_TOO_LARGE, MESSAGES[413], 413)
    if isinstance(exc, OverflowError | DataError):
        # A number or text no column can hold; the transaction was rolled back.
        return error_response("VALIDATION_ERROR", "Value out of range", 400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return error_response(
            "VALIDATION_ERROR", "Invalid input", response.status_code, response.data
        )
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response.status_code = status.HTTP_401_UNAUTHORIZED
    detail = (
        response.data.get("detail")
        if isinstance(response.data, dict)
        else response.data
    )
    code = CODES.get(response.status_code, "ERROR")
    response.data = {"code": code, "message": str(detail)}
    return response
