"""Input shapes of the orders API (outputs come from orders.events builders)."""

from rest_framework import serializers

from orders.models import PayType, Status
from realtime.fields import StrictIntegerField


class OrderLineInput(serializers.Serializer):
    menuId = StrictIntegerField()
    quantity = StrictIntegerField(min_value=1, max_value=50, default=1)
    options = serializers.ListField(
        child=StrictIntegerField(), required=False, max_length=20
    )
    # Client prices are accepted and ignored: the server prices every line.
    unitPrice = StrictIntegerField(required=False)
    totalPrice = StrictIntegerField(required=False)


class OrderCreateInput(serializers.Serializer):
    items = OrderLineInput(many=True, allow_empty=False, max_length=50)
    payType = serializers.ChoiceField(choices=PayType.choices)
    cellId = StrictIntegerField(required=False, allow_null=True)
    totalAmount = StrictIntegerField(required=False)


class OrderStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)


class OrderCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class OrderListQuery(serializers.Serializer):
    status = serializers.CharField(required=False, allow_blank=True)
    date = serializers.DateField(required=False)
    limit = StrictIntegerField(min_value=1, max_value=1000, default=500)


class CellChargeInput(serializers.Serializer):
    amount = StrictIntegerField(min_value=1, max_value=10_000_000)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SettingInput(serializers.Serializer):
    value = serializers.JSONField()
