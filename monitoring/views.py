"""Thin REST views of monitoring (PROTOCOL section 8): parse, call a service, serialize."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring import checker, events, selectors, services
from monitoring.models import Endpoint
from monitoring.serializers import (
    ChannelInput,
    ChecksParams,
    EndpointInput,
    IncidentNotesInput,
    IncidentParams,
)
from realtime.selectors import current_seq


def _input(request: Request, *, partial: bool) -> dict[str, Any]:
    data = EndpointInput(data=request.data, partial=partial)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _endpoint(endpoint_id: int) -> Endpoint:
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        raise services.EndpointNotFound(f"Endpoint {endpoint_id} not found")
    return endpoint


def _detail(endpoint_id: int) -> dict[str, Any]:
    seq = current_seq(events.endpoint_room(endpoint_id))
    endpoint = _endpoint(endpoint_id)
    data = selectors.endpoint_summary(endpoint)
    data["seq"] = seq
    data["incidents"] = [
        events.incident_data(i)
        for i in selectors.incidents(endpoint_id=endpoint.pk)[:20]
    ]
    return data


class EndpointListView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={status.HTTP_200_OK: dict}, summary="Every endpoint with its state"
    )
    def get(self, request: Request) -> Response:
        return Response([events.endpoint_data(e) for e in selectors.endpoints_all()])

    @extend_schema(request=EndpointInput, responses={status.HTTP_201_CREATED: dict})
    def post(self, request: Request) -> Response:
        endpoint = services.endpoint_create(data=_input(request, partial=False))
        return Response(events.endpoint_data(endpoint), status=status.HTTP_201_CREATED)


class EndpointDetailView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={status.HTTP_200_OK: dict},
        summary="An endpoint, its numbers, checks and incidents",
    )
    def get(self, request: Request, endpoint_id: int) -> Response:
        return Response(_detail(endpoint_id))

    @extend_schema(request=EndpointInput, responses={status.HTTP_200_OK: dict})
    def patch(self, request: Request, endpoint_id: int) -> Response:
        endpoint = services.endpoint_update(
            endpoint_id=endpoint_id, data=_input(request, partial=True)
        )
        return Response(events.endpoint_data(endpoint))

    @extend_schema(responses={status.HTTP_204_NO_CONTENT: None})
    def delete(self, request: Request, endpoint_id: int) -> Response:
        services.endpoint_delete(endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckNowView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=None,
        responses={status.HTTP_200_OK: dict},
        summary="Check the endpoint now",
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        check = checker.check_now(endpoint_id=endpoint_id)
        # The check saved `check.endpoint` as it is now: no need to read it again.
        return Response(
            {
                "check": events.check_data(check),
                "endpoint": events.endpoint_data(check.endpoint),
            }
        )


class PauseView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=None, responses={status.HTTP_200_OK: dict}, summary="Stop checking"
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        return Response(
            events.endpoint_data(services.endpoint_pause(endpoint_id=endpoint_id))
        )


class ResumeView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=None, responses={status.HTTP_200_OK: dict}, summary="Check again"
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        return Response(
            events.endpoint_data(services.endpoint_resume(endpoint_id=endpoint_id))
        )


class ChecksView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description="page size (default 100)"),
            OpenApiParameter("before", str, description="checks older than this time"),
        ],
        responses={status.HTTP_200_OK: dict},
        summary="Recent checks, newest first",
    )
    def get(self, request: Request, endpoint_id: int) -> Response:
        _endpoint(endpoint_id)
        params = ChecksParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        checks = selectors.recent_checks(
            endpoint_id,
            limit=params.validated_data.get("limit", 100),
            before=params.validated_data.get("before"),
        )
        return Response([events.check_data(c) for c in checks])


class IncidentListView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "open", bool, description="only open (true) or resolved (false)"
            ),
            OpenApiParameter("endpointId", int),
        ],
        responses={status.HTTP_200_OK: dict},
    )
    def get(self, request: Request) -> Response:
        params = IncidentParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = selectors.incidents(
            open_only=params.validated_data.get("open"),
            endpoint_id=params.validated_data.get("endpointId"),
        )
        return Response([events.incident_data(i) for i in query[:200]])


class IncidentDetailView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(request=IncidentNotesInput, responses={status.HTTP_200_OK: dict})
    def patch(self, request: Request, incident_id: int) -> Response:
        data = IncidentNotesInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_note(
            incident_id=incident_id, notes=data.validated_data["notes"]
        )
        return Response(events.incident_data(incident))


class SummaryView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={status.HTTP_200_OK: dict},
        summary="The dashboard in one answer (polling)",
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.summary())


class PublicStatusView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={status.HTTP_200_OK: dict},
        summary="Public status: overall state, open incidents",
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.public_status_shared()[0])


def _channel_input(request: Request, *, partial: bool) -> dict[str, Any]:
    data = ChannelInput(data=request.data, partial=partial)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class ChannelListView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={status.HTTP_200_OK: dict}, summary="Notification channels"
    )
    def get(self, request: Request) -> Response:
        return Response([events.channel_data(c) for c in selectors.channels_all()])

    @extend_schema(
        request=ChannelInput,
        responses={status.HTTP_201_CREATED: dict},
        summary="Add a channel: {name, kind, url} or {name, kind: email, emails}",
    )
    def post(self, request: Request) -> Response:
        channel = services.channel_create(data=_channel_input(request, partial=False))
        return Response(events.channel_data(channel), status=status.HTTP_201_CREATED)


class ChannelDetailView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(request=ChannelInput, responses={status.HTTP_200_OK: dict})
    def patch(self, request: Request, channel_id: int) -> Response:
        channel = services.channel_update(
            channel_id=channel_id, data=_channel_input(request, partial=True)
        )
        return Response(events.channel_data(channel))

    @extend_schema(responses={status.HTTP_204_NO_CONTENT: None})
    def delete(self, request: Request, channel_id: int) -> Response:
        services.channel_delete(channel_id=channel_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelTestView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=None,
        responses={status.HTTP_202_ACCEPTED: dict},
        summary="Queue a test message to the channel",
    )
    def post(self, request: Request, channel_id: int) -> Response:
        delivery = services.channel_test(channel_id=channel_id)
        return Response(events.delivery_data(delivery), status=status.HTTP_202_ACCEPTED)


class DeliveryListView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={status.HTTP_200_OK: dict},
        summary="The newest notifications with their state, newest first",
    )
    def get(self, request: Request) -> Response:
        return Response(
            [events.delivery_data(d) for d in selectors.deliveries_recent()]
        )
