"""Thin REST views of paired devices (PROTOCOL section 8).

Staff create, list and revoke devices; anyone may trade a pairing code for
its token (wrong codes are limited); a device may ask who its token is.
Answers that carry a token are never cached.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from devices import selectors, services
from devices.errors import TooManyAttempts
from devices.models import Device
from devices.roles import GRANTS
from devices.serializers import DeviceCreateInput, PairInput
from realtime.api_errors import error_response
from realtime.errors import ErrorCode
from realtime.login_limits import client_address
from realtime.permissions import DevicePrincipal, IsStaff


def device_data(device: Device) -> dict[str, Any]:
    return {
        "id": device.pk,
        "name": device.name,
        "role": device.role,
        "roleName": device.get_role_display(),
        "grants": GRANTS.get(device.role, ""),
        "createdAt": device.created_at.isoformat(),
        "createdBy": device.created_by.get_username() if device.created_by else None,
        "pairedAt": device.paired_at.isoformat() if device.paired_at else None,
        # Only while the code can still be used.
        "pairingExpiresAt": (
            device.pairing_expires_at.isoformat()
            if device.pairing_expires_at
            and device.pairing_expires_at > timezone.now()
            and not device.is_revoked
            else None
        ),
        "revokedAt": device.revoked_at.isoformat() if device.revoked_at else None,
    }


def pair_link(request: HttpRequest | Request, token: str) -> str:
    """The link that pairs a device by itself: the token in the fragment.

    A fragment is never sent to the server, so the token stays out of access
    logs and Referer headers; the pairing page reads it and forgets it.
    """
    return request.build_absolute_uri(reverse("pair")) + "#token=" + token


def _secret(body: dict[str, Any], code: int = status.HTTP_200_OK) -> Response:
    response = Response(body, status=code)
    response["Cache-Control"] = "no-store"
    return response


class DeviceListView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(responses={status.HTTP_200_OK: dict})
    def get(self, request: Request) -> Response:
        return Response([device_data(d) for d in selectors.device_list()])

    @extend_schema(request=DeviceCreateInput, responses={201: dict})
    def post(self, request: Request) -> Response:
        data = DeviceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.device_create(
            name=data.validated_data["name"],
            role=data.validated_data["role"],
            actor=request.user,
        )
        return _secret(
            {
                "device": device_data(issued.device),
                "token": issued.token,
                "link": pair_link(request, issued.token),
                "pairingCode": issued.pairing_code,
                "pairingExpiresAt": issued.pairing_expires_at.isoformat(),
            },
            status.HTTP_201_CREATED,
        )


class DeviceRevokeView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={status.HTTP_200_OK: dict})
    def post(self, request: Request, device_id: int) -> Response:
        revoked = services.device_revoke(device_id=device_id, actor=request.user)
        device = selectors.device_list().get(pk=device_id)
        return Response({"device": device_data(device), "revoked": revoked})


class PairView(APIView):
    """Trade a pairing code for the device's token (once, within its lifetime)."""

    authentication_classes: list[Any] = []

    @extend_schema(request=PairInput, responses={200: dict, 429: dict})
    def post(self, request: Request) -> Response:
        data = PairInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            device, token = services.device_pair(
                code=data.validated_data["code"], address=client_address(request)
            )
        except TooManyAttempts as exc:
            response = error_response(exc.code, exc.message)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return _secret(
            {
                "device": device_data(device),
                "token": token,
                "link": pair_link(request, token),
            }
        )


class DeviceMeView(APIView):
    """The device a screen token stands for (`Authorization: Bearer <token>`)."""

    @extend_schema(responses={200: dict, 401: dict})
    def get(self, request: Request) -> Response:
        user = request.user
        if not isinstance(user, DevicePrincipal):
            return error_response(
                ErrorCode.UNAUTHORIZED,
                "Send a screen token: Authorization: Bearer <token>",
                status.HTTP_401_UNAUTHORIZED,
            )
        device = selectors.device_list().get(pk=user.device_id)
        return Response({"device": device_data(device)})
