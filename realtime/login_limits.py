"""Failed logins: after LOGIN_FAILURE_LIMIT in LOGIN_FAILURE_WINDOW seconds, refuse.

Failures are counted per username and per client address in Django's cache
(one window from the first failure). While either count is at the limit,
every attempt is refused before the password is checked, the right password
included: the token endpoints answer 429 `RATE_LIMITED` with Retry-After,
the login page shows a form error. A successful login clears the username's
count, not the address's.

The counts live in Django's cache: Redis when REDIS_URL is set, so every
server process sees the same counts, else the process's memory. When the
cache cannot be reached the limit is not applied (logins keep working
through a Redis outage) and the outage is reported once through
`realtime.health`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views

from realtime.api_errors import error_response
from realtime.errors import ErrorCode

logger = logging.getLogger(__name__)
_PREFIX = "login-failures"


def _limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", 10))


def _window() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_WINDOW", 300))


def _keys(username: Any, address: str | None) -> list[str]:
    keys = [f"{_PREFIX}:addr:{address or 'unknown'}"]
    if isinstance(username, str) and username:
        digest = hashlib.sha256(username.strip().lower().encode("utf-8", "replace"))
        keys.append(f"{_PREFIX}:user:{digest.hexdigest()}")
    return keys


def client_address(request: HttpRequest | Request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _cache_unreachable(exc: Exception) -> None:
    from realtime import health

    if not health.report(exc):
        logger.exception("login limits: cache failed")


def retry_after(username: Any, address: str | None) -> int:
    """Seconds until attempts are allowed again; 0 when they are allowed now."""
    try:
        return _retry_after(username, address)
    except Exception as exc:
        _cache_unreachable(exc)
        return 0


def record_failure(username: Any, address: str | None) -> None:
    try:
        _record_failure(username, address)
    except Exception as exc:
        _cache_unreachable(exc)


def record_success(username: Any) -> None:
    keys = _keys(username, None)[1:]
    try:
        cache.delete_many([k + s for k in keys for s in (":count", ":since")])
    except Exception as exc:
        _cache_unreachable(exc)


def _retry_after(username: Any, address: str | None) -> int:
    now = time.time()
    wait = 0.0
    for key in _keys(username, address):
        count = cache.get(key + ":count", 0)
        if count >= _limit():
            started = cache.get(key + ":since", now)
            wait = max(wait, started + _window() - now)
    return max(1, math.ceil(wait)) if wait > 0 else 0


def _record_failure(username: Any, address: str | None) -> None:
    window = _window()
    for key in _keys(username, address):
        cache.add(key + ":since", time.time(), timeout=window)
        cache.add(key + ":count", 0, timeout=window)
        try:
            cache.incr(key + ":count")
        except ValueError:  # expired between add and incr
            cache.set(key + ":count", 1, timeout=window)


def _too_many(seconds: int) -> Response:
    response = error_response(
        ErrorCode.RATE_LIMITED, f"Too many failed attempts; try again in {seconds} s"
    )
    response["Retry-After"] = str(seconds)
    return response


class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """`POST /api/auth/token/` with failed attempts limited."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        username = (
            request.data.get("username") if hasattr(request.data, "get") else None
        )
        address = client_address(request)
        wait = retry_after(username, address)
        if wait:
            return _too_many(wait)
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            record_failure(username, address)
            raise
        record_success(username)
        return response


class TokenRefreshView(jwt_views.TokenRefreshView):
    """`POST /api/auth/token/refresh/`: invalid refresh tokens count per address."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        address = client_address(request)
        wait = retry_after(None, address)
        if wait:
            return _too_many(wait)
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            record_failure(None, address)
            raise


class LimitedLoginMixin:
    """For Django's login forms: refused with a form error while over the limit."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]
    too_many = "Too many failed attempts. Try again in %(minutes)s minute(s)."
    # Shown by the login template instead of "wrong username or password".
    limited_message = ""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        address = client_address(self.request) if self.request else None
        wait = retry_after(username, address)
        if wait:
            self.limited_message = self.too_many % {"minutes": math.ceil(wait / 60)}
            raise forms.ValidationError(self.limited_message, code="too_many")
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            record_failure(username, address)
            raise
        record_success(username)
        return cleaned


class LimitedAuthenticationForm(LimitedLoginMixin, AuthenticationForm):
    pass


class LimitedAdminAuthenticationForm(LimitedLoginMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    authentication_form = LimitedAuthenticationForm
