"""HTTP middleware: JSON errors under /api/, 413 before reading a big body, 503 on outages.

- A body whose Content-Length passes DATA_UPLOAD_MAX_MEMORY_SIZE (a
  multipart form: MULTIPART_MAX_BODY_BYTES, the largest upload plus its form)
  gets a JSON 413 under /api/ before anything reads it. Over ASGI,
  realtime.body_limit answers it first, before Django reads the body.
- An id in the URL that no 64-bit column can hold (`/api/cells/10^30/`) is a
  404: no such row can exist, and the query would crash on SQLite.
- An error response under /api/ that is not JSON (Django's 404 for an unknown
  path, a CSRF 403, a 500 outside DRF) becomes the error shape of PROTOCOL
  section 8 with the same status.
- A request that failed because PostgreSQL or Redis is unavailable gets a JSON
  503 with Retry-After, wherever the exception was raised (a view, another
  middleware, the session or user lookup).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from rest_framework.response import Response

from realtime import health
from realtime.api_errors import json_error
from realtime.body_limit import body_limit
from realtime.jsonsafe import INT_MAX

API_PREFIX = "/api/"
_OUTAGE_ATTR = "_tidings_outage"
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def _note_outage(
    sender: Any, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Remember on the request that an uncaught exception was an outage."""
    import sys

    exc = sys.exc_info()[1]
    if request is not None and exc is not None and health.report(exc):
        setattr(request, _OUTAGE_ATTR, True)


got_request_exception.connect(_note_outage, dispatch_uid="tidings-outage")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _too_large(request: HttpRequest) -> HttpResponse | None:
    # Served over ASGI, realtime.body_limit has answered such a body already,
    # before it was read; this is for other ways of running (tests, WSGI).
    limit = body_limit(request.META.get("CONTENT_TYPE", ""))
    if limit is None or not _is_api(request):
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return json_error(400, message="Invalid Content-Length")
    return json_error(413) if length > limit else None


def _finish(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if getattr(request, _OUTAGE_ATTR, False) and response.status_code >= 500:
        return json_error(503)
    if (
        response.status_code < 400
        or not _is_api(request)
        or isinstance(response, Response)  # DRF's: the error shape already
        or response.get("Content-Type", "").startswith("application/json")
    ):
        return response
    replaced = json_error(response.status_code)
    for header in _KEPT_HEADERS:
        if header in response:
            replaced[header] = response[header]
    return replaced


class ApiErrorMiddleware:
    async_capable = True
    sync_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], Any],
    ) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        early = _too_large(request)
        if early is not None:
            return early
        return _finish(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        early = _too_large(request)
        if early is not None:
            return early
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]]
        get_response = self.get_response
        return _finish(request, await get_response(request))

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not -INT_MAX <= value <= INT_MAX:
                raise Http404("No such object")

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not health.report(exception):
            return None
        return json_error(503)
