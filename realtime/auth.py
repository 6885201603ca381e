"""Socket authentication (PROTOCOL section 1): session cookie, `?token=`, or an `auth` message."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.auth import get_user
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils.module_loading import import_string
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken


class InvalidToken(Exception):
    pass


def user_from_token(token: str) -> Any:
    """The active user of an access JWT; raise InvalidToken otherwise."""
    try:
        access = AccessToken(token)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidToken(str(exc)) from None
    user_id = access.get(str(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id")))
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidToken("Token user not found")
    return user


def query_param(scope: dict[str, Any], name: str) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin1")).get(name)
    return values[0] if values else None


class QueryTokenAuthMiddleware:
    """A `?token=<jwt>` wins over the session cookie; a bad one is remembered for 4401."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        token = query_param(scope, "token")
        if token:
            scope = dict(scope)
            try:
                scope["user"] = await database_sync_to_async(user_from_token)(token)
            except InvalidToken as exc:
                scope["user"] = AnonymousUser()
                scope["auth_error"] = f"Invalid token: {exc}"
        return await self.app(scope, receive, send)


def origin_allowed(origin: str | None) -> bool:
    """Browsers send Origin; it must be one of ours. Native clients send none."""
    if origin is None:
        return True
    if (
        origin in settings.WEBSOCKET_ALLOWED_ORIGINS
        or "*" in settings.WEBSOCKET_ALLOWED_ORIGINS
    ):
        return True
    host = urlparse(origin).netloc
    if not host:
        return False
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class OriginCheckMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        origin = None
        for name, value in scope.get("headers", []):
            if name == b"origin":
                origin = value.decode("latin1")
        if not origin_allowed(origin):
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 4403})
            return None
        return await self.app(scope, receive, send)


def cookies(scope: dict[str, Any]) -> dict[str, str]:
    """The request's cookies, read the way Django reads them for HTTP."""
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            found.update(parse_cookie(value.decode("latin1")))
    return found


async def session_user(scope: dict[str, Any]) -> Any:
    """The user of the Django session cookie, or AnonymousUser."""
    session_key = cookies(scope).get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return AnonymousUser()
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")
    return await get_user({"session": store(session_key)})


class SessionUserMiddleware:
    """The session cookie's user, resolved once at connect.

    Unlike Channels' session middleware it does not wrap `send`: sockets send
    many frames and never set cookies, so each frame goes straight out.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = {**scope, "user": await session_user(scope)}
        return await self.app(scope, receive, send)


def websocket_stack(app: Any) -> Any:
    """Origin check, session cookie, then `?token=`."""
    return OriginCheckMiddleware(SessionUserMiddleware(QueryTokenAuthMiddleware(app)))


def user_summary(user: Any) -> dict[str, Any] | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}
