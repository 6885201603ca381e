"""Input shapes of the catalogue API (outputs come from menus.events builders)."""

from rest_framework import serializers

from menus.services import FIELDS
from realtime.fields import StrictIntegerField


class MenuItemCreateInput(serializers.Serializer):
    categoryId = StrictIntegerField()
    name = serializers.CharField(max_length=100)
    price = StrictIntegerField(min_value=0, max_value=10_000_000)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True
    )
    imageUrl = serializers.CharField(max_length=500, required=False, allow_blank=True)
    sortOrder = StrictIntegerField(required=False)
    isSoldOut = serializers.BooleanField(required=False)


class MenuItemUpdateInput(serializers.Serializer):
    categoryId = StrictIntegerField(required=False)
    name = serializers.CharField(max_length=100, required=False)
    price = StrictIntegerField(min_value=0, max_value=10_000_000, required=False)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True
    )
    imageUrl = serializers.CharField(max_length=500, required=False, allow_blank=True)
    sortOrder = StrictIntegerField(required=False)
    isActive = serializers.BooleanField(required=False)
    isSoldOut = serializers.BooleanField(required=False)


class SoldOutInput(serializers.Serializer):
    isSoldOut = serializers.BooleanField()


def model_fields(data: dict) -> dict:
    """Validated API fields -> the model's field names the services take."""
    return {FIELDS[k]: v for k, v in data.items()}
