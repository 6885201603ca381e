"""Thin REST views of orders, cells and kiosk settings (PROTOCOL section 8)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import events, selectors, services
from orders.errors import CellPinLocked
from orders.serializers import (
    CellBalanceInput,
    CellChargeInput,
    CellPinInput,
    OrderCancelInput,
    OrderCreateInput,
    OrderListQuery,
    OrderStatusInput,
    SettingInput,
)
from realtime.api_errors import error_response
from realtime.errors import DomainError, NotFound
from realtime.login_limits import client_address
from realtime.permissions import DevicePrincipal, IsBarista, IsStaff


def _valid(serializer_class: Any, data: Any) -> dict[str, Any]:
    """The validated data, or 400 `VALIDATION_ERROR` whose message names the first problem."""
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return serializer.validated_data  # type: ignore[no-any-return]
    errors = serializer.errors
    field, problems = next(iter(errors.items()))
    first = problems[0] if isinstance(problems, list) and problems else problems
    if isinstance(first, dict | list):
        message = f"{field}: invalid"
    elif field == "non_field_errors":
        message = str(first)
    else:
        message = f"{field}: {first}"
    raise DomainError(message, details=errors)


def _client(request: Request) -> str:
    """Whom wrong cell PINs count against: the paired device, else the address."""
    user = request.user
    if isinstance(user, DevicePrincipal):
        return f"device:{user.device_id}"
    return f"addr:{client_address(request) or 'unknown'}"


def _pin_locked(exc: CellPinLocked) -> Response:
    response = error_response(exc.code, exc.message, details=exc.details)
    response["Retry-After"] = str(exc.details["retryAfter"])  # type: ignore[index]
    return response


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
        data = _valid(OrderCreateInput, request.data)
        try:
            order = services.order_create(
                items=data["items"],
                pay_type=data["payType"],
                cell_id=data.get("cellId"),
                actor=request.user,
                expected_total=data.get("expectedTotal"),
                cell_pin=data.get("cellPin"),
                client=_client(request),
            )
        except CellPinLocked as exc:
            return _pin_locked(exc)
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


class CellDetailView(APIView):
    """Staff set a cell's PIN (`{pin}`; null or "" removes it). It is never returned."""

    permission_classes = [IsStaff]

    @extend_schema(request=CellPinInput, responses={status.HTTP_200_OK: dict})
    def patch(self, request: Request, cell_id: int) -> Response:
        data = _valid(CellPinInput, request.data)
        cell = services.cell_pin_set(
            cell_id=cell_id, pin=data["pin"], actor=request.user
        )
        return Response(events.cell_data(cell))


class CellBalanceView(APIView):
    """The kiosk (no login) reads a cell's balance with its PIN, if it has one."""

    @extend_schema(
        request=CellBalanceInput,
        responses={
            status.HTTP_200_OK: dict,
            status.HTTP_403_FORBIDDEN: dict,
            status.HTTP_429_TOO_MANY_REQUESTS: dict,
        },
    )
    def post(self, request: Request, cell_id: int) -> Response:
        data = _valid(CellBalanceInput, request.data)
        try:
            cell = services.cell_with_pin(
                cell_id=cell_id, pin=data.get("pin"), client=_client(request)
            )
        except CellPinLocked as exc:
            return _pin_locked(exc)
        return Response(
            {
                "id": cell.pk,
                "name": cell.name,
                "balance": cell.balance,
                "hasPin": cell.has_pin,
            }
        )


class CellChargeView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=CellChargeInput, responses={status.HTTP_200_OK: dict})
    def post(self, request: Request, cell_id: int) -> Response:
        data = _valid(CellChargeInput, request.data)
        entry = services.cell_charge(
            cell_id=cell_id,
            amount=data["amount"],
            note=data.get("note", ""),
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
