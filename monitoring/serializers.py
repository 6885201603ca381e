"""Request shapes of the monitoring API (the service validates the values)."""

from __future__ import annotations

from rest_framework import serializers

from realtime.fields import StrictIntegerField


class EndpointInput(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    url = serializers.CharField(required=False, max_length=2000)
    method = serializers.CharField(required=False)
    headers = serializers.DictField(child=serializers.CharField(), required=False)
    body = serializers.CharField(required=False, allow_blank=True)
    intervalSeconds = StrictIntegerField(required=False)
    timeoutSeconds = serializers.FloatField(required=False)
    expectedStatus = serializers.CharField(required=False)
    keyword = serializers.CharField(required=False, allow_blank=True)
    keywordMode = serializers.CharField(required=False, allow_blank=True)
    degradedThresholdMs = StrictIntegerField(required=False)
    failureThreshold = StrictIntegerField(required=False)
    recoveryThreshold = StrictIntegerField(required=False)
    isActive = serializers.BooleanField(required=False)
    checkType = serializers.CharField(required=False)
    tlsWarnDays = StrictIntegerField(required=False)
    jsonPath = serializers.CharField(required=False, allow_blank=True)
    jsonExpected = serializers.CharField(required=False, allow_blank=True)
    group = serializers.CharField(required=False, allow_blank=True, max_length=100)
    notificationChannelIds = serializers.ListField(
        child=StrictIntegerField(), required=False
    )


class ChannelInput(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    kind = serializers.CharField(required=False)
    url = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, max_length=20
    )
    isDefault = serializers.BooleanField(required=False)


class IncidentNotesInput(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True, max_length=10_000)


class ChecksParams(serializers.Serializer):
    limit = StrictIntegerField(required=False, min_value=1, max_value=1000)
    before = serializers.DateTimeField(required=False)


class IncidentParams(serializers.Serializer):
    open = serializers.BooleanField(required=False, allow_null=True, default=None)
    endpointId = StrictIntegerField(required=False)
