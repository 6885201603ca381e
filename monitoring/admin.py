"""Admin site: edits go through the services, so they are published like any other."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages

from monitoring import services
from monitoring.models import CheckResult, Endpoint, Incident, MaintenanceWindow
from realtime.errors import DomainError

# model field -> API field of the services
EDITABLE = {v: k for k, v in services.FIELDS.items()}


def _model_fields() -> tuple[str, ...]:
    """The editable model fields, in the order of `services.FIELDS`."""
    names: list[str] = []
    for field in services.FIELDS.values():
        if field == "expected_status":
            names += services.EXPECTED_STATUS_FIELDS
        else:
            names.append(field)
    return tuple(names)


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "url",
        "status",
        "is_active",
        "interval_seconds",
        "last_checked_at",
    )
    list_filter = ("status", "is_active")
    search_fields = ("name", "url")
    fields = _model_fields()
    readonly_fields = ()

    def _api_data(self, form: Any, fields: list[str]) -> dict[str, Any]:
        data = {EDITABLE[f]: form.cleaned_data[f] for f in fields if f in EDITABLE}
        if set(services.EXPECTED_STATUS_FIELDS) & set(fields):
            data["expectedStatus"] = (
                f"{form.cleaned_data['expected_status_min']}-"
                f"{form.cleaned_data['expected_status_max']}"
            )
        return data

    def save_model(self, request: Any, obj: Endpoint, form: Any, change: bool) -> None:
        try:
            if change:
                saved = services.endpoint_update(
                    endpoint_id=obj.pk, data=self._api_data(form, form.changed_data)
                )
            else:
                saved = services.endpoint_create(
                    data=self._api_data(form, list(self.fields))
                )
        except DomainError as exc:
            self.message_user(request, f"{exc.message}: {exc.details}", messages.ERROR)
            return
        obj.pk = saved.pk

    def delete_model(self, request: Any, obj: Endpoint) -> None:
        services.endpoint_delete(endpoint_id=obj.pk)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for pk in list(queryset.values_list("pk", flat=True)):
            services.endpoint_delete(endpoint_id=pk)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("endpoint", "started_at", "resolved_at", "failure_count")
    list_filter = ("resolved_at",)
    readonly_fields = (
        "endpoint",
        "started_at",
        "resolved_at",
        "failure_count",
        "first_error",
    )
    fields = (*readonly_fields, "notes")

    def save_model(self, request: Any, obj: Incident, form: Any, change: bool) -> None:
        services.incident_note(incident_id=obj.pk, notes=obj.notes)

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("endpoint", "starts_at", "ends_at", "reason")


@admin.register(CheckResult)
class CheckResultAdmin(admin.ModelAdmin):
    list_display = ("endpoint", "status", "status_code", "response_time", "checked_at")
    list_filter = ("status",)
    date_hierarchy = "checked_at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
