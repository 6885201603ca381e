"""Input shapes of the orders API (outputs come from orders.events builders)."""

from typing import Any

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


class PinField(serializers.CharField):
    """A cell PIN: a JSON string of 4 to 8 digits (a number would lose its leading zeros)."""

    default_error_messages = {
        "not_text": "A PIN is text: send it as a string of 4 to 8 digits.",
        "format": "A PIN is 4 to 8 digits (0-9).",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        if data and not (data.isascii() and data.isdigit() and 4 <= len(data) <= 8):
            self.fail("format")
        return data


# The largest order total a client may say it expects (50 lines x 50 items of
# a price below 10,000,000 stay far below it; bigger is a client's mistake).
MAX_EXPECTED_TOTAL = 100_000_000_000


class OrderCreateInput(serializers.Serializer):
    items = OrderLineInput(many=True, allow_empty=False, max_length=50)
    payType = serializers.ChoiceField(choices=PayType.choices)
    cellId = StrictIntegerField(required=False, allow_null=True)
    # Ignored, as the original kiosk app sends it: the server prices the order.
    totalAmount = StrictIntegerField(required=False)
    # The total the customer was shown: another server total is refused
    # (409 PRICE_CHANGED). Optional: the original kiosk app does not send it.
    expectedTotal = StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_EXPECTED_TOTAL
    )
    # For a CELL order from a cell with a PIN.
    cellPin = PinField(required=False, allow_blank=True, allow_null=True)


class OrderStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)


class OrderCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class OrderListQuery(serializers.Serializer):
    status = serializers.CharField(required=False, allow_blank=True)
    date = serializers.DateField(required=False)
    limit = StrictIntegerField(min_value=1, max_value=1000, default=500)


class CellChargeInput(serializers.Serializer):
    amount = StrictIntegerField(
        min_value=1,
        max_value=10_000_000,
        error_messages={
            "required": "Enter the points to add.",
            "null": "Enter the points to add.",
            "invalid": "Points are a whole number, like 5000.",
            "min_value": "Points to add must be at least 1 (a charge cannot take points).",
            "max_value": "At most 10,000,000 points can be added at a time.",
            "out_of_range": "At most 10,000,000 points can be added at a time.",
        },
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CellPinInput(serializers.Serializer):
    """`PATCH /api/cells/<id>/`: a new PIN, or null / "" to remove it."""

    pin = PinField(allow_blank=True, allow_null=True)


class CellBalanceInput(serializers.Serializer):
    """`POST /api/cells/<id>/balance/`: the PIN of a cell that has one."""

    pin = PinField(required=False, allow_blank=True, allow_null=True)


class SettingInput(serializers.Serializer):
    value = serializers.JSONField()
