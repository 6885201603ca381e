"""`Authorization: Bearer <screen token>` on REST: the device's principal, nothing more.

Placed before the JWT authentication (config/settings.py): a bearer token
that is no screen token is left to it. What the principal may then do is
decided by the permissions: it is anonymous to all of them except its role's
few requests (`devices/roles.py`, `realtime.permissions.device_may`) and the
history of its rooms (the rooms' join rules).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from devices import selectors, tokens
from realtime.auth import InvalidToken
from realtime.permissions import DevicePrincipal


class ScreenTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[DevicePrincipal, None] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        token = parts[1].decode("latin1")
        if not token.startswith(tokens.PREFIX):
            return None
        try:
            return selectors.principal_from_token(token), None
        except InvalidToken as exc:
            raise AuthenticationFailed(str(exc)) from None

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'


class ScreenTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[misc]
    target_class = "devices.authentication.ScreenTokenAuthentication"
    name = "screenToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A paired device's screen token (tdev_...)",
        }
