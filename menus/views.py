"""Thin REST views of the catalogue (PROTOCOL section 8)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from menus import selectors, services
from menus.events import menu_item_data, option_data
from menus.serializers import (
    MenuItemCreateInput,
    MenuItemUpdateInput,
    SoldOutInput,
    model_fields,
)
from realtime.permissions import IsBarista, IsStaff, is_staff


class MenuListView(APIView):
    def get_permissions(self):  # type: ignore[no-untyped-def]
        return [IsStaff()] if self.request.method == "POST" else []

    @extend_schema(responses={status.HTTP_200_OK: dict})
    def get(self, request: Request) -> Response:
        return Response(selectors.menu_catalogue())

    @extend_schema(
        request=MenuItemCreateInput, responses={status.HTTP_201_CREATED: dict}
    )
    def post(self, request: Request) -> Response:
        data = MenuItemCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.menu_item_create(**model_fields(data.validated_data))
        return Response(
            menu_item_data(selectors.menu_get(menu_id=item.pk)),  # type: ignore[arg-type]
            status=status.HTTP_201_CREATED,
        )


class MenuDetailView(APIView):
    """Baristas may toggle `isSoldOut`; other fields are for staff."""

    permission_classes = [IsBarista]

    @extend_schema(request=MenuItemUpdateInput, responses={status.HTTP_200_OK: dict})
    def patch(self, request: Request, menu_id: int) -> Response:
        data = MenuItemUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = model_fields(data.validated_data)
        if set(fields) - {"is_sold_out"} and not is_staff(request.user):
            self.permission_denied(request, "Only staff may edit menu items")
        services.menu_item_update(menu_id=menu_id, **fields)
        return Response(menu_item_data(selectors.menu_get(menu_id=menu_id)))  # type: ignore[arg-type]


class OptionDetailView(APIView):
    permission_classes = [IsBarista]

    @extend_schema(request=SoldOutInput, responses={status.HTTP_200_OK: dict})
    def patch(self, request: Request, option_id: int) -> Response:
        data = SoldOutInput(data=request.data)
        data.is_valid(raise_exception=True)
        option = services.option_set_sold_out(
            option_id=option_id, is_sold_out=data.validated_data["isSoldOut"]
        )
        return Response(option_data(option))
