"""Request bodies over the limit refused before anything reads them (ASGI).

Django's ASGI handler reads a request's whole body (into memory, then a
temporary file) before any middleware runs, so a limit checked in a
middleware comes after a client has streamed as much as it liked to the
server's disk. `BodyLimit` sits in front of it:

- a Content-Length over the limit is answered 413 at once, and a
  Content-Length that is not a number 400, with no byte of the body read;
- a chunked body is counted as it arrives and answered 413 once it passes
  the limit and what is already on its way is read and dropped (a little,
  briefly); Django is told the client left, and sends nothing;
- under /api/ the answer has the JSON error shape of PROTOCOL section 8,
  elsewhere it is plain text; either way the connection is closed.

The limit is `body_limit`: DATA_UPLOAD_MAX_MEMORY_SIZE (Django's own limit
for a body a view reads), or for a multipart form the largest upload an app
takes plus its form (MULTIPART_MAX_BODY_BYTES). The Socket.IO gateway's
polling POSTs have a limit of their own (realtime/socketio_gateway.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from django.conf import settings

from realtime.api_errors import CODES, MESSAGES, error_body

API_PREFIX = "/api/"


def body_limit(content_type: str) -> int | None:
    """The largest body taken with this Content-Type; None: no limit."""
    limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and content_type.startswith("multipart/form-data"):
        # Files in a form are streamed to disk as Django reads them, not held:
        # the largest upload an app takes passes, and the view judges the file.
        limit = max(limit, settings.MULTIPART_MAX_BODY_BYTES)
    return limit


def header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


def declared_length(scope: dict[str, Any]) -> int | None:
    """The Content-Length of the request; None without one; -1 when it is not a number."""
    value = header(scope, b"content-length")
    if value is None:
        return None
    return int(value) if value.strip().isdigit() else -1


async def respond(
    send: Any, status: int, text: str, *, api: bool = False, code: str | None = None
) -> None:
    """An answer that also ends the connection (its body may be unread).

    Plain text, or with `api` the JSON error shape.
    """
    if api:
        content_type = b"application/json"
        body = json.dumps(error_body(code or CODES.get(status, "ERROR"), text)).encode()
    else:
        content_type = b"text/plain; charset=utf-8"
        body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# Before a refusal, what is already on its way is read and dropped, up to
# this much or this long: the answer closes the connection, a connection
# closed with data unread is reset, and the reset can reach the client before
# the answer does.
DRAIN_BYTES = 1024 * 1024
DRAIN_SECONDS = 0.25


async def drain(receive: Any) -> None:
    """Read and drop the rest of a refused body, within DRAIN_BYTES and DRAIN_SECONDS."""
    dropped = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            while dropped <= DRAIN_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return
                dropped += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return


class BodyLimit:
    """ASGI middleware for HTTP: see the module docstring."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = (header(scope, b"content-type") or b"").decode("latin-1")
        limit = body_limit(content_type)
        declared = declared_length(scope)
        api = scope.get("path", "").startswith(API_PREFIX)
        if declared == -1:
            await respond(send, 400, "Invalid Content-Length", api=api)
            return
        if limit is None or (declared is not None and declared <= limit):
            # The server reads no more than a declared length.
            await self.app(scope, receive, send)
            return
        too_large = MESSAGES[413]
        cap: int = limit
        if declared is not None:
            await respond(send, 413, too_large, api=api)
            return
        size = 0
        refused = False

        async def counted() -> dict[str, Any]:
            nonlocal size, refused
            if refused:
                return {"type": "http.disconnect"}
            message = dict(await receive())
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > cap:
                    refused = True
                    await drain(receive)
                    await respond(send, 413, too_large, api=api)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: dict[str, Any]) -> None:
            if not refused:  # else answered already
                await send(message)

        await self.app(scope, counted, guarded)
