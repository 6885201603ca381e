"""Socket authentication (PROTOCOL section 1): session cookie, `?token=`, or an `auth` message."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.db.models import F
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils.module_loading import import_string
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from realtime import events, metrics
from realtime.errors import CloseCode, ErrorCode, ProtocolError
from realtime.outbox import encode
from realtime.permissions import (
    DevicePrincipal,
    read_is_fresh,
    remember_group_names,
)


class InvalidToken(Exception):
    pass


UNAVAILABLE = "Service temporarily unavailable (database); retry in a few seconds"


class ServiceUnavailable(ProtocolError):
    """Credentials could not be checked: the database is unreachable.

    Raised instead of the database's own error, so no handshake answers 500;
    a socket gets `CONNECTION_FAILED` and close 1013 (PROTOCOL section 7).
    """

    def __init__(self) -> None:
        super().__init__(ErrorCode.CONNECTION_FAILED, UNAVAILABLE)


# token prefix -> the resolver of that kind of token (registered by the app
# that issues it): returns who the token stands for, or raises InvalidToken.
_credentials: dict[str, Callable[[str], Any]] = {}


def register_credential(prefix: str, resolve: Callable[[str], Any]) -> None:
    """Tokens starting with `prefix` are resolved by `resolve` instead of read as JWTs.

    The devices app registers its device tokens here, so `?token=`, the
    `auth` message and Socket.IO's `auth: {token}` take them like JWTs.
    """
    _credentials[prefix] = resolve


def _jwt_user_id(token: str) -> Any:
    try:
        access = AccessToken(token)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidToken(str(exc)) from None
    return access.get(str(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id")))


def user_from_token(token: str) -> Any:
    """Who a token stands for: a registered kind of token, else the active user of an access JWT.

    Raises InvalidToken for a token that is not valid (never saying more about
    it), ServiceUnavailable when the database cannot be read.
    """
    for prefix, resolve in _credentials.items():
        if token.startswith(prefix):
            try:
                return resolve(token)
            except DatabaseError:
                raise ServiceUnavailable from None
    user_id = _jwt_user_id(token)
    try:
        # The user and their group names in one query: a row per group.
        rows = list(
            get_user_model()
            .objects.filter(pk=user_id, is_active=True)
            .annotate(_group_name=F("groups__name"))
        )
    except DatabaseError:
        raise ServiceUnavailable from None
    if not rows:
        raise InvalidToken("Token user not found")
    user = rows[0]
    remember_group_names(user, (row._group_name for row in rows if row._group_name))
    _remember_user(user)
    return user


# Users of access JWTs read in the last few seconds, by id, so that a wave of
# screens reconnecting as one user reads it once: kept while the read is fresh
# (permissions.READ_FRESH_SECONDS, the same read that holds their group names).
# Saving or deleting a user, or changing their groups, forgets them at once in
# this process (signals, connected by RealtimeConfig.ready); other processes
# read them again once the read is stale. Device tokens are never kept:
# revoking one is immediate.
USER_CACHE_SIZE = 10_000
_users: dict[str, Any] = {}


def _remember_user(user: Any) -> None:
    if len(_users) >= USER_CACHE_SIZE:
        _users.clear()
    _users[str(user.pk)] = user


def forget_user(user_id: Any) -> None:
    """Read this user from the database on their next connection."""
    _users.pop(str(user_id), None)


def forget_all_users() -> None:
    """Read every user from the database on their next connection."""
    _users.clear()


def _recent_user(user_id: Any) -> Any | None:
    kept = _users.get(str(user_id))
    if kept is None or not read_is_fresh(kept):
        return None
    return copy.copy(kept)  # each socket its own instance


# Reads in flight, by user id: sockets of one user connecting at once wait for
# the one read instead of each reading.
_reading: dict[Any, asyncio.Future[Any]] = {}


async def token_user(token: str) -> Any:
    """`user_from_token` from a coroutine: a recent read, else one database hop."""
    if any(token.startswith(prefix) for prefix in _credentials):
        return await database_sync_to_async(user_from_token)(token)
    user_id = str(_jwt_user_id(token))  # a bad token fails here, with no read
    user = _recent_user(user_id)
    if user is not None:
        return user
    reading = _reading.get(user_id)
    if reading is None:
        reading = asyncio.ensure_future(database_sync_to_async(user_from_token)(token))
        _reading[user_id] = reading
        reading.add_done_callback(lambda _: _reading.pop(user_id, None))
    return copy.copy(await asyncio.shield(reading))


def query_param(scope: dict[str, Any], name: str) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin1")).get(name)
    return values[0] if values else None


# Schemes a browser page may have, with their default ports.
WEB_SCHEMES = {"http": "80", "https": "443"}


def request_host(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The request's own host: X-Forwarded-Host when Django trusts it, else Host."""
    found: dict[bytes, str] = {}
    for name, value in headers:
        found.setdefault(name.lower(), value.decode("latin1"))
    if settings.USE_X_FORWARDED_HOST and b"x-forwarded-host" in found:
        return found[b"x-forwarded-host"].split(",")[0].strip()
    return found.get(b"host")


def _without_default_port(netloc: str, scheme: str) -> str:
    netloc = netloc.lower()
    default = ":" + WEB_SCHEMES[scheme]
    return netloc[: -len(default)] if netloc.endswith(default) else netloc


def origin_allowed(origin: str | None, host: str | None = None) -> bool:
    """Whether a browser page of `origin` may open a socket on a request to `host`.

    Clients that send no Origin (native apps) pass. A browser's Origin must be
    listed in WEBSOCKET_ALLOWED_ORIGINS (`*` for any), or be the server's own:
    http or https, the same host and port as the request's Host header, and
    that host one of ALLOWED_HOSTS. Without a Host header (no browser leaves
    it out) the origin's host must be one of ALLOWED_HOSTS.
    """
    if origin is None:
        return True
    allowed = settings.WEBSOCKET_ALLOWED_ORIGINS
    if origin in allowed or "*" in allowed:
        return True
    try:
        parsed = urlsplit(origin)
        parsed.port  # noqa: B018 (raises ValueError for a port that is no number)
    except ValueError:
        return False
    scheme = parsed.scheme.lower()
    if (
        scheme not in WEB_SCHEMES
        or not parsed.hostname
        or parsed.username is not None
        or parsed.path
        or parsed.query
        or parsed.fragment
    ):
        return False
    if host is not None and _without_default_port(
        parsed.netloc, scheme
    ) != _without_default_port(host.strip(), scheme):
        return False
    domain, _port = split_domain_port(parsed.netloc.lower())
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


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
    try:
        return await get_user({"session": store(session_key)})
    except DatabaseError:
        raise ServiceUnavailable from None


async def refuse_unavailable(receive: Any, send: Any) -> None:
    """Accept the socket, send why, close 1013: the client retries later."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    metrics.ERRORS.labels(ErrorCode.CONNECTION_FAILED).inc()
    await send({"type": "websocket.accept"})
    frame = {
        "event": events.ERROR,
        "data": events.error_data(ErrorCode.CONNECTION_FAILED, UNAVAILABLE),
    }
    await send({"type": "websocket.send", "text": encode(frame)})
    await send({"type": "websocket.close", "code": CloseCode.TRY_AGAIN_LATER})


class WebsocketAuth:
    """In front of every native socket: the route, the origin check, then who is connecting.

    The path picks the consumer (the routes of a Channels `URLRouter`, flat:
    no nested routers). A browser page of another origin is refused (4403).
    The user is the session cookie's, resolved once at connect, unless
    `?token=` names one: a token wins over the cookie, and a bad one is
    remembered in the scope for the consumer to close with 4401. A database
    outage while reading either is answered with an error frame and 1013
    (try again later).

    One coroutine for all of it, calling the consumer itself (rather than a
    middleware each, a router and the consumer's `as_asgi` wrapper): a socket
    keeps its application's coroutine frames and scope copies for its whole
    life, so every layer is memory held per connection. Unlike Channels'
    session middleware it does not wrap `send`: sockets send many frames and
    never set cookies.
    """

    def __init__(self, router: URLRouter) -> None:
        for route in router.routes:
            if getattr(route.callback, "_path_routing", False):
                raise ImproperlyConfigured("nested routers are not supported here")
        self.routes = router.routes

    def route(self, scope: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The consumer class for the scope's path and the scope's `url_route`."""
        path = scope["path"]
        root_path = scope.get("root_path", "")
        if root_path and not path.startswith(root_path):
            raise ValueError(f"No route found for path {path!r}.")
        path = path[len(root_path) :].lstrip("/")
        for route in self.routes:
            match = route.pattern.match(path)
            if match:
                new_path, args, kwargs = match
                return route.callback, {
                    "path_remaining": new_path,
                    "url_route": {
                        "args": args,
                        "kwargs": {**kwargs, **route.default_args},
                    },
                }
        raise ValueError(f"No route found for path {path!r}.")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        try:
            app, routed = self.route(scope)
        except ValueError:
            # No socket here: refused at the handshake (HTTP 403), with no
            # traceback for a path anyone can type.
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": CloseCode.FORBIDDEN})
            return None
        origin = None
        for name, value in scope.get("headers", []):
            if name == b"origin":
                origin = value.decode("latin1")
        if not origin_allowed(origin, request_host(scope.get("headers", []))):
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 4403})
            return None
        # In place, not a copy: the server made this scope for this one
        # socket, and a copy would be kept beside it for the socket's life.
        scope.update(routed)
        token = query_param(scope, "token")
        try:
            if token:
                try:
                    scope["user"] = await token_user(token)
                except InvalidToken as exc:
                    scope["user"] = AnonymousUser()
                    scope["auth_error"] = f"Invalid token: {exc}"
            else:
                scope["user"] = await session_user(scope)
        except ServiceUnavailable:
            return await refuse_unavailable(receive, send)
        consumer_class = getattr(app, "consumer_class", None)
        if consumer_class is not None:  # a consumer's as_asgi(): call it directly
            app = consumer_class(**app.consumer_initkwargs)
        return await app(scope, receive, send)


def websocket_stack(router: URLRouter) -> Any:
    """Route, origin check, then `?token=` or else the session cookie."""
    return WebsocketAuth(router)


def user_summary(user: Any) -> dict[str, Any] | None:
    """`auth_success`'s `user`: `{id, name}`; a paired device: `{id: null, name, device}`."""
    if isinstance(user, DevicePrincipal):
        return {
            "id": None,
            "name": user.name,
            "device": {"id": user.device_id, "role": user.role},
        }
    if not getattr(user, "is_authenticated", False):
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def close_sockets_of(match: Callable[[Any], bool], message: str) -> int:
    """Close this process's open sockets whose user `match`es; return how many.

    For a credential that was just revoked: each socket gets an `UNAUTHORIZED`
    error frame, then close 4401 (as for an invalid token at connect). Every
    socket, native or Socket.IO, is in its loop's heartbeat set from connect
    until cleanup, so none is missed.
    """
    from realtime.hub import get_hub

    closed = 0
    for socket in list(get_hub().heartbeats.sockets):
        if socket.closing or not match(getattr(socket, "user", None)):
            continue
        socket.queue_close(CloseCode.NOT_AUTHENTICATED, message, ErrorCode.UNAUTHORIZED)
        closed += 1
    return closed
