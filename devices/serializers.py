"""Input shapes of the devices API (outputs come from devices.views' builders)."""

from rest_framework import serializers

from devices.models import MAX_NAME
from devices.roles import Role


class DeviceCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME, trim_whitespace=True)
    role = serializers.ChoiceField(choices=Role.choices)


class PairInput(serializers.Serializer):
    code = serializers.CharField(max_length=32, trim_whitespace=True)
