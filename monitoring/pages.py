"""Monitoring pages: the dashboard, an endpoint's detail, the forms, the public status."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from monitoring import selectors, services
from monitoring.forms import EndpointForm
from monitoring.models import Status
from realtime.errors import DomainError


def _staff(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Monitoring is for staff")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return render(request, "monitoring/dashboard.html")


@login_required
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    _staff(request)
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        return HttpResponse("Endpoint not found", status=HTTPStatus.NOT_FOUND)
    incidents = selectors.incidents(endpoint_id=endpoint.pk)[:20]
    return render(
        request,
        "monitoring/detail.html",
        {"endpoint": endpoint, "incidents": incidents},
    )


@login_required
def endpoint_new(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = EndpointForm.for_new(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(data=form.api_data())
        except DomainError as exc:
            form.add_domain_errors(exc.details, exc.message)
        else:
            return redirect("monitoring-endpoint-detail", endpoint_id=endpoint.pk)
    return render(request, "monitoring/form.html", {"form": form, "endpoint": None})


@login_required
def endpoint_edit(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    _staff(request)
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        return HttpResponse("Endpoint not found", status=HTTPStatus.NOT_FOUND)
    form = EndpointForm.for_endpoint(endpoint, request.POST or None)
    if request.method == "POST":
        if request.POST.get("delete"):
            # Deleting is confirmed on a page of its own.
            return redirect("monitoring-endpoint-delete", endpoint_id=endpoint.pk)
        if form.is_valid():
            try:
                services.endpoint_update(endpoint_id=endpoint.pk, data=form.api_data())
            except DomainError as exc:
                form.add_domain_errors(exc.details, exc.message)
            else:
                return redirect("monitoring-endpoint-detail", endpoint_id=endpoint.pk)
    return render(request, "monitoring/form.html", {"form": form, "endpoint": endpoint})


@login_required
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """Ask before deleting (GET); delete and say so on the dashboard (POST)."""
    _staff(request)
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        messages.error(request, "That endpoint no longer exists.")
        return redirect("monitoring-dashboard")
    if request.method == "POST":
        name = endpoint.name
        services.endpoint_delete(endpoint_id=endpoint.pk)
        messages.success(
            request, f"Endpoint \u201c{name}\u201d deleted with its history."
        )
        return redirect("monitoring-dashboard")
    return render(
        request,
        "monitoring/delete.html",
        {"endpoint": endpoint, "counts": selectors.endpoint_history_counts(endpoint)},
    )


def _bar_html(days: dict[str, list[Any]]) -> SafeString:
    """The segments of one 90-day bar and their figures (data attributes).

    Built here rather than in a template loop: 90 segments for each of
    hundreds of endpoints. Only numbers and fixed words go in, no user text.
    """
    segments = "".join(f'<i data-level="{level}"></i>' for level in days["level"])
    uptimes = ",".join("" if v is None else f"{v:.2f}" for v in days["uptime"])
    incidents = ",".join(str(int(n)) for n in days["incidents"])
    return mark_safe(
        f'<div class="status-bar-days" data-uptimes="{uptimes}" '
        f'data-incidents="{incidents}">{segments}</div>'
    )


# The endpoints with their bars, made once per shared read of the status.
_with_bars: tuple[dict[str, Any] | None, list[dict[str, Any]]] = (None, [])


def status_page(request: HttpRequest) -> HttpResponse:
    global _with_bars
    status, incidents = selectors.public_status_shared()
    read, endpoints = _with_bars
    if read is not status:
        # New dicts: what the selector shares is never changed.
        endpoints = [{**e, "bar": _bar_html(e["days"])} for e in status["endpoints"]]
        _with_bars = (status, endpoints)
    return render(
        request,
        "monitoring/status.html",
        {
            "status": {**status, "endpoints": endpoints},
            "incidents": incidents,
            "now": timezone.now(),
        },
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """Channels and stored deliveries (the page reads and writes them over REST)."""
    _staff(request)
    return render(request, "monitoring/notifications.html")


BADGE_COLOURS = {
    Status.UP: "#15803d",
    Status.DEGRADED: "#b45309",
    Status.DOWN: "#b91c1c",
    Status.PENDING: "#57534e",
}
BADGE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" \
role="img" aria-label="uptime: {value}"><title>uptime: {value}</title>\
<rect width="{width}" height="20" rx="3" fill="#555"/>\
<rect x="52" width="{right}" height="20" rx="3" fill="{colour}"/>\
<rect x="52" width="4" height="20" fill="{colour}"/>\
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">\
<text x="7" y="14">uptime</text><text x="58" y="14">{value}</text></g></svg>"""


def status_badge(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """An SVG uptime badge, public only for endpoints shown on the status page."""
    data = selectors.badge(endpoint_id=endpoint_id)
    if data is None:
        return HttpResponse("Not found", status=HTTPStatus.NOT_FOUND)
    uptime = data["uptime30d"]
    # Only numbers and fixed words go into the SVG: no user text to escape.
    value = f"{uptime:.2f}%" if uptime is not None else str(data["status"]).lower()
    right = 12 + 7 * len(value)
    svg = BADGE_SVG.format(
        width=52 + right,
        right=right,
        value=value,
        colour=BADGE_COLOURS.get(data["status"], "#57534e"),
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=60"
    return response
