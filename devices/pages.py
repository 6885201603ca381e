"""HTML pages of paired devices: the staff page and the public pairing page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, user_passes_test
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from devices.roles import GRANTS, Role
from realtime.permissions import is_staff

staff_required = user_passes_test(is_staff)


@ensure_csrf_cookie
@login_required
@staff_required
def staff_devices(request: HttpRequest) -> HttpResponse:
    roles = [
        {"value": value, "label": label, "grants": GRANTS.get(value, "")}
        for value, label in Role.choices
    ]
    return render(request, "devices/staff_devices.html", {"roles": roles})


@never_cache
@ensure_csrf_cookie
def pair(request: HttpRequest) -> HttpResponse:
    """Where a device types its pairing code, or lands from the link carrying its token."""
    response = render(request, "devices/pair.html")
    # The page holds a token for a moment: no referrer, ever.
    response["Referrer-Policy"] = "no-referrer"
    return response
