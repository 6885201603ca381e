"""An endpoint's editable fields are listed once (services.FIELDS); the rest follow it."""

from __future__ import annotations

from monitoring import admin, services
from monitoring.forms import EndpointForm
from monitoring.serializers import EndpointInput


def test_the_api_takes_exactly_the_editable_fields():
    assert list(EndpointInput().fields) == [*services.FIELDS, services.CHANNEL_IDS]


def test_the_page_form_edits_exactly_the_editable_fields():
    assert set(EndpointForm().fields) == {
        *services.FIELDS.values(),
        "notification_channels",
    }


def test_the_admin_edits_the_editable_fields_in_their_order():
    assert admin.EndpointAdmin.fields == (
        "name",
        "url",
        "method",
        "headers",
        "body",
        "interval_seconds",
        "timeout_seconds",
        "expected_status_min",
        "expected_status_max",
        "keyword",
        "keyword_mode",
        "degraded_threshold_ms",
        "failure_threshold",
        "recovery_threshold",
        "is_active",
        "check_type",
        "tls_warn_days",
        "json_path",
        "json_expected",
        "group",
    )
