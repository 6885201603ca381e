"""Who may read `/metrics`: staff, the METRICS_TOKEN bearer, or METRICS_ALLOWED_IPS.

The figures name rooms, error counts and load: not for the public. A scraper
authenticates with `Authorization: Bearer <METRICS_TOKEN>` (compared in
constant time) or scrapes from an address in METRICS_ALLOWED_IPS (addresses
or networks, matched against the peer address, never a forwarded header);
people use a staff session or a staff JWT.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from realtime.api_errors import json_error


def _address_allowed(address: str | None) -> bool:
    allowed = getattr(settings, "METRICS_ALLOWED_IPS", [])
    if not address or not allowed:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_matches(token: str) -> bool:
    expected = getattr(settings, "METRICS_TOKEN", "")
    if not expected or not token:
        return False
    return hmac.compare_digest(token.encode(), expected.encode())


def _jwt_user(token: str) -> Any:
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

    auth = JWTAuthentication()
    try:
        return auth.get_user(auth.get_validated_token(token.encode()))
    except (InvalidToken, AuthenticationFailed):
        return None


def _refuse(status: int, message: str) -> JsonResponse:
    response = json_error(status, message=message)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def metrics_refusal(request: HttpRequest) -> JsonResponse | None:
    """None when `request` may read the metrics, else the 401/403 answer."""
    if _address_allowed(request.META.get("REMOTE_ADDR")):
        return None
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    token = token.strip()
    user = getattr(request, "user", None)
    if scheme.lower() == "bearer" and token:
        if _token_matches(token):
            return None
        user = _jwt_user(token)
        if user is None:
            return _refuse(401, "Invalid metrics token")
    if user is None or not user.is_authenticated:
        return _refuse(401, "Metrics need a token, a staff login or an allowed address")
    if not (user.is_active and user.is_staff):
        return _refuse(403, "Metrics are for staff")
    return None
