"""One error shape for the REST API: `{"code", "message", "details"?}` (PROTOCOL section 8).

`exception_handler` maps exceptions inside DRF views; `realtime.middleware`
gives the same shape to everything else under /api/ and to outages.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from realtime import health
from realtime.errors import Code, DomainError, ErrorCode, ProtocolError


class ApiCode(Code):
    """Codes only REST answers use (the shared ones are `ErrorCode`)."""

    FORBIDDEN = "FORBIDDEN", HTTPStatus.FORBIDDEN
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED", HTTPStatus.METHOD_NOT_ALLOWED
    RESYNC_REQUIRED = "RESYNC_REQUIRED", HTTPStatus.GONE
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE", HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE", HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE", HTTPStatus.SERVICE_UNAVAILABLE


# Seconds a client should wait before retrying during an outage.
RETRY_AFTER = 5

# The code of an error answered by status alone (Django, DRF, the middleware).
CODES: dict[int, str] = {
    HTTPStatus.BAD_REQUEST: ErrorCode.VALIDATION_ERROR,
    HTTPStatus.UNAUTHORIZED: ErrorCode.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN: ApiCode.FORBIDDEN,
    HTTPStatus.NOT_FOUND: ErrorCode.NOT_FOUND,
    HTTPStatus.METHOD_NOT_ALLOWED: ApiCode.METHOD_NOT_ALLOWED,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: ApiCode.PAYLOAD_TOO_LARGE,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: ApiCode.UNSUPPORTED_MEDIA_TYPE,
    HTTPStatus.TOO_MANY_REQUESTS: ErrorCode.RATE_LIMITED,
    HTTPStatus.INTERNAL_SERVER_ERROR: ErrorCode.INTERNAL_ERROR,
    HTTPStatus.SERVICE_UNAVAILABLE: ApiCode.SERVICE_UNAVAILABLE,
}
MESSAGES: dict[int, str] = {
    HTTPStatus.BAD_REQUEST: "Bad request",
    HTTPStatus.UNAUTHORIZED: "Authentication required",
    HTTPStatus.FORBIDDEN: "Forbidden",
    HTTPStatus.NOT_FOUND: "Not found",
    HTTPStatus.METHOD_NOT_ALLOWED: "Method not allowed",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "Request body too large",
    HTTPStatus.INTERNAL_SERVER_ERROR: "Internal server error",
    HTTPStatus.SERVICE_UNAVAILABLE: (
        "A service this request needs is unavailable; retry later"
    ),
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def error_response(
    code: str,
    message: str,
    http_status: int | None = None,
    details: Any = None,
) -> Response:
    """The error answer of a DRF view; the status is the code's unless given."""
    if http_status is None:
        http_status = code.status if isinstance(code, Code) else HTTPStatus.BAD_REQUEST
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


def outage_response() -> Response:
    """503 for a request that met a dependency outage (`health.report` said so)."""
    response = error_response(
        ApiCode.SERVICE_UNAVAILABLE, MESSAGES[HTTPStatus.SERVICE_UNAVAILABLE]
    )
    response["Retry-After"] = str(RETRY_AFTER)
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError | ProtocolError):
        # Both carry a code, and the code its status.
        return error_response(
            exc.code, exc.message, details=getattr(exc, "details", None)
        )
    if health.report(exc):  # recorded once per outage, not logged per request
        return outage_response()
    if isinstance(exc, RequestDataTooBig):
        return error_response(
            ApiCode.PAYLOAD_TOO_LARGE, MESSAGES[HTTPStatus.REQUEST_ENTITY_TOO_LARGE]
        )
    if isinstance(exc, OverflowError | DataError):
        # A number or text no column can hold; the transaction was rolled back.
        return error_response(ErrorCode.VALIDATION_ERROR, "Value out of range")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return error_response(
            ErrorCode.VALIDATION_ERROR,
            "Invalid input",
            response.status_code,
            response.data,
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
