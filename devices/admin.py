"""Admin site: devices are created and revoked through the services, like the staff page.

A new device's token and pairing code are shown once, in the answer to the
add form. Devices are never deleted (a revoked one stays as a record) and
their role never changes: pair a new device instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from devices import services
from devices.models import Device
from devices.views import pair_link


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "created_at", "paired_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["name"]
    actions = ["revoke"]
    readonly_fields = [
        "created_at",
        "created_by",
        "paired_at",
        "pairing_expires_at",
        "revoked_at",
        "revoked_by",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return ["role", *self.readonly_fields]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "role"]
        return ["name", "role", *self.readonly_fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Device, form: Any, change: bool
    ) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        issued = services.device_create(
            name=obj.name, role=obj.role, actor=request.user
        )
        obj.__dict__.update(issued.device.__dict__)
        # Kept on this request's object until response_add shows it.
        obj.__dict__["_issued"] = issued

    def response_add(
        self, request: HttpRequest, obj: Device, post_url_continue: Any = None
    ) -> HttpResponse:
        """The token and pairing code, once, in this answer (never in a message cookie)."""
        issued = obj.__dict__.pop("_issued", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        response = render(
            request,
            "devices/admin_issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Shown once: {obj}",
                "device": obj,
                "link": pair_link(request, issued.token),
                "code": issued.pairing_code,
                "expires": issued.pairing_expires_at,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected devices' tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        count = sum(
            services.device_revoke(device_id=pk, actor=request.user)
            for pk in queryset.values_list("pk", flat=True)
        )
        messages.success(
            request, f"{count} device(s) revoked; their sockets are closed."
        )
