"""Monitoring pages: the dashboard, an endpoint's detail, the forms, the public status."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from monitoring import selectors, services
from monitoring.forms import EndpointForm
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
            services.endpoint_delete(endpoint_id=endpoint.pk)
            return redirect("monitoring-dashboard")
        if form.is_valid():
            try:
                services.endpoint_update(endpoint_id=endpoint.pk, data=form.api_data())
            except DomainError as exc:
                form.add_domain_errors(exc.details, exc.message)
            else:
                return redirect("monitoring-endpoint-detail", endpoint_id=endpoint.pk)
    return render(request, "monitoring/form.html", {"form": form, "endpoint": endpoint})


def status_page(request: HttpRequest) -> HttpResponse:
    incidents = selectors.open_incidents()
    return render(
        request,
        "monitoring/status.html",
        {
            "status": selectors.public_status(open_now=incidents),
            "incidents": incidents,
            "now": timezone.now(),
        },
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """Channels and stored deliveries (the page reads and writes them over REST)."""
    _staff(request)
    return render(request, "monitoring/notifications.html")
