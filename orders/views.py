"""Thin REST views of orders, cells and kiosk settings (PROTOCOL section 8)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import events, selectors, services
from orders.serializers import (
    CellChargeInput,
    OrderCancelInput,
    OrderCreateInput,
    OrderListQuery,
    OrderStatusInput,
    SettingInput,
)
from realtime.errors import NotFound
from realtime.permissions import IsBarista, IsStaff


def _order(order_id: str) -> Response:
    order = selectors.order_get(order_id=order_id)
    if order is None:
        raise NotFound("Order not found")
    return Response(events.order_data(order))


class OrderListView(APIView):
    """POST: the kiosk places an order (no login). GET: baristas and staff list a day."""

    def get_permissions(self):  # type: ignore[no-untyped-def]
        return [] if self.request.method == "POST" else [IsBarista()]

    @extend_schema(
        request=OrderCreateInput,
        responses={
            status.HTTP_201_CREATED: dict,
            status.HTTP_409_CONFLICT: dict,
            status.HTTP_503_SERVICE_UNAVAILABLE: dict,
        },
    )
    def post(self, request: Request) -> Response:
        data = OrderCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_create(
            items=data.validated_data["items"],
            pay_type=data.validated_data["payType"],
            cell_id=data.validated_data.get("cellId"),
            actor=request.user,
        )
        return Response(
            events.order_created_data(order, list(order.items.all())),
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="comma-separated statuses"),
            OpenApiParameter("date", str, description="business day, YYYY-MM-DD"),
        ],
        responses={status.HTTP_200_OK: dict},
    )
    def get(self, request: Request) -> Response:
        query = OrderListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        orders = selectors.order_list(
            day=query.validated_data.get("date"),
            statuses=selectors.valid_statuses(query.validated_data.get("status", "")),
            limit=query.validated_data["limit"],
        )
        return Response([events.order_data(o) for o in orders])


class OrderDetailView(APIView):
    """Anyone holding the (unguessable) orderId may read the order."""

    @extend_schema(
        responses={status.HTTP_200_OK: dict, status.HTTP_404_NOT_FOUND: dict}
    )
    def get(self, request: Request, order_id: str) -> Response:
        return _order(order_id)


class OrderStatusView(APIView):
    permission_classes = [IsBarista]

    @extend_schema(
        request=OrderStatusInput,
        responses={status.HTTP_200_OK: dict, status.HTTP_409_CONFLICT: dict},
    )
    def patch(self, request: Request, order_id: str) -> Response:
        data = OrderStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_status_change(
            order_id=order_id, status=data.validated_data["status"], actor=request.user
        )
        return _order(order_id)


class OrderCancelView(APIView):
    permission_classes = [IsBarista]

    @extend_schema(
        request=OrderCancelInput,
        responses={status.HTTP_200_OK: dict, status.HTTP_409_CONFLICT: dict},
    )
    def post(self, request: Request, order_id: str) -> Response:
        data = OrderCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_cancel(
            order_id=order_id,
            reason=data.validated_data.get("reason", ""),
            actor=request.user,
        )
        return _order(order_id)


class OrderUndoView(APIView):
    """Take back the last status move (within 15 minutes)."""

    permission_classes = [IsBarista]

    @extend_schema(
        request=None,
        responses={status.HTTP_200_OK: dict, status.HTTP_409_CONFLICT: dict},
    )
    def post(self, request: Request, order_id: str) -> Response:
        services.order_undo(order_id=order_id, actor=request.user)
        return _order(order_id)


class PickupBoardView(APIView):
    """The public pickup board (no login): the day's numbers and statuses, no orderIds."""

    @extend_schema(responses={status.HTTP_200_OK: dict})
    def get(self, request: Request) -> Response:
        day = selectors.business_day()
        return Response(events.pickup_board_data(selectors.pickup_board(day=day), day))


class CellListView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(responses={status.HTTP_200_OK: dict})
    def get(self, request: Request) -> Response:
        return Response([events.cell_data(c) for c in selectors.cell_list()])


class CellChargeView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=CellChargeInput, responses={status.HTTP_200_OK: dict})
    def post(self, request: Request, cell_id: int) -> Response:
        data = CellChargeInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.cell_charge(
            cell_id=cell_id,
            amount=data.validated_data["amount"],
            note=data.validated_data.get("note", ""),
            actor=request.user,
        )
        return Response(events.cell_data(entry.cell))


class CellLedgerView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(responses={status.HTTP_200_OK: dict})
    def get(self, request: Request, cell_id: int) -> Response:
        return Response(
            [events.ledger_data(e) for e in selectors.cell_ledger(cell_id=cell_id)]
        )


class SettingListView(APIView):
    @extend_schema(responses={status.HTTP_200_OK: dict})
    def get(self, request: Request) -> Response:
        return Response(selectors.settings_all())


class SettingDetailView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=SettingInput, responses={status.HTTP_200_OK: dict})
    def patch(self, request: Request, key: str) -> Response:
        data = SettingInput(data=request.data)
        data.is_valid(raise_exception=True)
        setting = services.setting_set(
            key=key, value=data.validated_data["value"], actor=request.user
        )
        return Response(events.settings_changed_data(setting))
