"""The add/edit endpoint form of the pages; values go to the services as API fields."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from monitoring.models import CheckType, Endpoint, KeywordMode, NotificationChannel
from monitoring.services import CHANNEL_IDS, FIELDS

# form field -> API field of the services (form fields are named as the model's)
API_NAMES = {field: key for key, field in FIELDS.items()}
API_NAMES["notification_channels"] = CHANNEL_IDS


def _channel_choices() -> list[tuple[int, str]]:
    return [(c.pk, c.name) for c in NotificationChannel.objects.all()]


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=200)
    url = forms.CharField(max_length=2000, label="URL")
    method = forms.ChoiceField(choices=Endpoint.METHODS, initial="GET")
    interval_seconds = forms.IntegerField(initial=60, label="Interval (s)")
    timeout_seconds = forms.FloatField(initial=10, label="Timeout (s)")
    expected_status = forms.CharField(
        initial="200-299", label="Expected status", help_text="200, 200-299 or 2xx"
    )
    keyword = forms.CharField(required=False, max_length=500)
    keyword_mode = forms.ChoiceField(
        choices=KeywordMode.choices, required=False, label="Content check"
    )
    degraded_threshold_ms = forms.IntegerField(initial=1000, label="Slow above (ms)")
    failure_threshold = forms.IntegerField(initial=3, label="Failures before incident")
    recovery_threshold = forms.IntegerField(initial=2, label="Successes to recover")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    headers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='JSON object, e.g. {"Accept": "application/json"}',
    )
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    check_type = forms.ChoiceField(
        choices=CheckType.choices,
        initial=CheckType.HTTP,
        label="Check type",
        help_text="tcp: URL tcp://host:port · tls: an https:// URL",
    )
    tls_warn_days = forms.IntegerField(initial=14, label="TLS: warn days before expiry")
    json_path = forms.CharField(
        required=False, max_length=500, label="JSON path", help_text="e.g. $.status"
    )
    json_expected = forms.CharField(
        required=False, max_length=500, label="JSON value expected"
    )
    group = forms.CharField(
        required=False, max_length=100, help_text="Groups the status page"
    )
    notification_channels = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Notify",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read when the form is shown or checked, not when it is made.
        self.fields["notification_channels"].choices = _channel_choices

    @classmethod
    def for_new(cls, data: Any = None) -> EndpointForm:
        """The add form: the default channels ticked."""
        defaults = NotificationChannel.objects.filter(is_default=True)
        return cls(
            data=data,
            initial={"notification_channels": [c.pk for c in defaults]},
        )

    @classmethod
    def for_endpoint(cls, endpoint: Endpoint, data: Any = None) -> EndpointForm:
        initial = {field: getattr(endpoint, field) for field in FIELDS.values()}
        initial["headers"] = json.dumps(endpoint.headers) if endpoint.headers else ""
        initial["notification_channels"] = [
            c.pk for c in endpoint.notification_channels.all()
        ]
        return cls(data=data, initial=initial)

    def clean_headers(self) -> dict[str, str]:
        text = self.cleaned_data.get("headers") or ""
        if not text.strip():
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError("Not valid JSON") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Must be a JSON object")
        return value

    def api_data(self) -> dict[str, Any]:
        return {API_NAMES[k]: v for k, v in self.cleaned_data.items()}

    def add_domain_errors(self, details: Any, message: str) -> None:
        by_api = {v: k for k, v in API_NAMES.items()}
        if isinstance(details, dict):
            for key, text in details.items():
                field = by_api.get(key)
                self.add_error(field if field in self.fields else None, str(text))
        else:
            self.add_error(None, message)
