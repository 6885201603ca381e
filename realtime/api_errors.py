"""One error shape for the REST API: `{"code", "message", "details"?}` (PROTOCOL section 8)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from realtime.errors import DomainError, ErrorCode, ProtocolError

_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "RATE_LIMITED",
}
_PROTOCOL_STATUS = {
    ErrorCode.UNAUTHORIZED: status.HTTP_403_FORBIDDEN,
    ErrorCode.NOT_FOUND: status.HTTP_404_NOT_FOUND,
}


def error_response(
    code: str, message: str, http_status: int, details: Any = None
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return Response(body, status=http_status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, exc.status, exc.details)
    if isinstance(exc, ProtocolError):
        return error_response(
            exc.code, exc.message, _PROTOCOL_STATUS.get(exc.code, 400)
        )
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
    code = _CODES.get(response.status_code, "ERROR")
    response.data = {"code": code, "message": str(detail)}
    return response
