"""Logs an operator can use: one line per event, JSON or text, never a secret.

Every record of the process (Django, uvicorn, Channels, Tidings) goes through
one handler whose formatter is structlog's `ProcessorFormatter`: the fields
passed as `extra=` become keys (`connection_id`, `close_code`, ...), HTTP
records carry the request id, and the rendered line (tracebacks included) has
tokens, passwords and JWTs masked before it is written. `LOG_FORMAT=json`
gives one JSON object per line; otherwise the line is readable text.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import structlog
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse
from structlog.typing import Processor

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
MASK = "[redacted]"

_SECRET_NAMES = (
    r"(?:access_?|refresh_?|auth_?|api_?)?"
    r"(?:token|password|passwd|secret|sessionid|csrftoken|key)"
)
# `token=...` and the like in query strings and form bodies.
_SECRET_PARAMS = re.compile(rf"(?i)\b({_SECRET_NAMES}=)([^\s&\"',;}}]+)")
# `"token": "..."` in JSON.
_SECRET_JSON = re.compile(rf'(?i)("{_SECRET_NAMES}"\s*:\s*")([^"]*)"')
# A JWT anywhere (three base64url parts, the first a JSON header).
_JWT = re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)([\w.~+/-]+=*)")


def redact(text: str) -> str:
    """`text` with every token, password and JWT replaced by a mask."""
    text = _JWT.sub(MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    text = _SECRET_JSON.sub(lambda m: m.group(1) + MASK + '"', text)
    return _SECRET_PARAMS.sub(lambda m: m.group(1) + MASK, text)


def _add_request_id(
    logger: Any, method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


_extras = structlog.stdlib.ExtraAdder()


def _add_extras(
    logger: Any, method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """The record's `extra=` fields as keys; an extra named `event` becomes `kind`."""
    message = event_dict["event"]
    event_dict = _extras(logger, method, event_dict)
    if "event" in event_dict and event_dict["event"] is not message:
        event_dict["kind"] = event_dict["event"]
        event_dict["event"] = message
    event_dict.pop("color_message", None)  # uvicorn's copy of the message
    return event_dict


class Formatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter for standard records, with secrets masked in the output."""

    def __init__(self, json: bool = False, **kwargs: Any) -> None:
        pre_chain: list[Processor] = [
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            _add_extras,
            _add_request_id,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ]
        processors: list[Processor]
        if json:
            processors = [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ]
        else:
            processors = [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(
                    colors=False,
                    exception_formatter=structlog.dev.plain_traceback,
                    pad_event_to=0,
                ),
            ]
        super().__init__(processors=processors, foreign_pre_chain=pre_chain, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_REQUEST_ID_FORMAT = re.compile(r"[A-Za-z0-9._-]{1,64}")
request_logger = logging.getLogger("tidings.http")


def is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


class _Middleware:
    """A middleware for sync and async stacks: `before` the view, `after` it."""

    async_capable = True
    sync_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def before(self, request: HttpRequest) -> Any:
        return None

    def after(
        self, request: HttpRequest, response: HttpResponse, state: Any
    ) -> HttpResponse:
        return response

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        state = self.before(request)
        return self.after(request, self.get_response(request), state)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        state = self.before(request)
        return self.after(request, await self.get_response(request), state)


class RequestIdMiddleware(_Middleware):
    """Give each HTTP request an id (`X-Request-ID`, kept when the proxy sent a sane one).

    Log lines written while the request runs carry it, the response returns
    it, and one line per request says what was answered and how fast.
    """

    def before(self, request: HttpRequest) -> tuple[Any, float]:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID_FORMAT.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        return REQUEST_ID.set(request_id), time.perf_counter()

    def after(
        self, request: HttpRequest, response: HttpResponse, state: Any
    ) -> HttpResponse:
        token, started = state
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "event": "http.request",
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "address": request.META.get("REMOTE_ADDR"),
            },
        )
        REQUEST_ID.reset(token)
        return response


_PLAIN_ERRORS = {400: "Bad Request", 404: "Not Found", 500: "Server Error"}


class LoopbackDebugMiddleware(_Middleware):
    """With DEBUG on, Django's debug pages are for this machine only.

    A client that is not on loopback (a `make run HOST=0.0.0.0` reached over
    the network) gets a plain error page instead of tracebacks, settings and
    URL patterns.
    """

    def after(
        self, request: HttpRequest, response: HttpResponse, state: Any
    ) -> HttpResponse:
        from django.conf import settings

        if (
            settings.DEBUG
            and response.status_code in _PLAIN_ERRORS
            and not response.get("Content-Type", "").startswith("application/json")
            and not is_loopback(request.META.get("REMOTE_ADDR"))
        ):
            plain = HttpResponse(
                _PLAIN_ERRORS[response.status_code],
                status=response.status_code,
                content_type="text/plain; charset=utf-8",
            )
            if "X-Request-ID" in response:
                plain["X-Request-ID"] = response["X-Request-ID"]
            return plain
        return response
