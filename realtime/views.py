"""Operations endpoints and the room history (polling fallback)."""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime import health
from realtime.api_errors import ApiCode, error_response
from realtime.fields import StrictIntegerField
from realtime.metrics_auth import metrics_refusal
from realtime.rooms import parse_room
from realtime.selectors import ResyncRequired, current_seq, events_after
from realtime.services import (
    LEVELS,
    announcement_publish,
    default_announcement_room,
)
from realtime.stats import cluster_stats


class StatsView(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses={status.HTTP_200_OK: dict})
    def get(self, request: Request) -> Response:
        return Response(cluster_stats())


class AnnouncementInput(serializers.Serializer):
    # Read at each request: the room the apps registered (the kiosk).
    room = serializers.CharField(max_length=200, default=default_announcement_room)
    message = serializers.CharField(max_length=500, trim_whitespace=True)
    level = serializers.ChoiceField(choices=LEVELS, default="info")


class AnnouncementView(APIView):
    """Staff: announce something to everyone in a room (kiosk screens, kitchen...)."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(request=AnnouncementInput, responses={status.HTTP_201_CREATED: dict})
    def post(self, request: Request) -> Response:
        data = AnnouncementInput(data=request.data)
        data.is_valid(raise_exception=True)
        seq = announcement_publish(**data.validated_data)
        return Response(
            {"room": data.validated_data["room"], "seq": seq},
            status=status.HTTP_201_CREATED,
        )


class HistoryQuery(serializers.Serializer):
    after = StrictIntegerField(min_value=0, default=0)
    limit = StrictIntegerField(min_value=1, max_value=500, default=100)


class RoomEventsView(APIView):
    """Events of a room after `after`, oldest first: the polling fallback of the socket."""

    @extend_schema(
        parameters=[OpenApiParameter("after", int), OpenApiParameter("limit", int)],
        responses={status.HTTP_200_OK: dict, status.HTTP_410_GONE: dict},
    )
    def get(self, request: Request, room: str) -> HttpResponse:
        query = HistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        room_type, ident = parse_room(room)
        room_type.authorize(request.user, ident)
        try:
            rows = events_after(
                room, query.validated_data["after"], limit=query.validated_data["limit"]
            )
        except ResyncRequired as exc:
            return error_response(
                ApiCode.RESYNC_REQUIRED,
                "History no longer reaches back; reload state",
                details={"room": room, "seq": exc.seq},
            )
        # The stored frames are already JSON: join them instead of re-encoding.
        body = "[" + ",".join(frame for _, frame in rows) + "]"
        response = HttpResponse(body, content_type="application/json")
        response["X-Room-Seq"] = str(current_seq(room))
        return response


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check(name: str, attempt: Callable[[], object]) -> str:
    try:
        attempt()
    except Exception as exc:
        health.report(exc)
        return f"error: {health.describe(exc)}"
    health.recovered(name)
    return "ok"


def _select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def readyz(request: HttpRequest) -> JsonResponse:
    """503 while the database or the channel layer is unavailable, saying which.

    `down` lists the dependencies this process found unavailable, with since
    when and the error (PROTOCOL section 9).
    """
    layer = get_channel_layer()
    checks = {
        "database": _check(health.DATABASE, _select_one),
        "channelLayer": _check(
            health.REDIS,
            lambda: async_to_sync(layer.group_send)("readyz", {"type": "readyz.ping"}),
        ),
    }
    ok = all(value == "ok" for value in checks.values())
    response = JsonResponse(
        {"status": "ok" if ok else "unavailable", **checks, "down": health.down()},
        status=status.HTTP_200_OK if ok else status.HTTP_503_SERVICE_UNAVAILABLE,
    )
    # Probed every few seconds: the outage is in the log once (realtime.health),
    # not as an error line per probe.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def metrics_view(request: HttpRequest) -> HttpResponse:
    refusal = metrics_refusal(request)
    if refusal is not None:
        return refusal
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
