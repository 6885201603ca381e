"""HTML pages of the cafe: kiosk, customer, barista, pickup board and staff pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, user_passes_test
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from orders import selectors
from realtime.permissions import is_barista, is_staff

barista_required = user_passes_test(is_barista)
staff_required = user_passes_test(is_staff)


@ensure_csrf_cookie
def kiosk(request: HttpRequest) -> HttpResponse:
    cells = [
        {"id": c.pk, "name": c.name}
        for c in selectors.cell_list().filter(is_active=True)
    ]
    return render(request, "orders/kiosk.html", {"cells": cells})


@ensure_csrf_cookie
def customer(request: HttpRequest, order_id: str) -> HttpResponse:
    if not selectors.order_exists(order_id=order_id):
        raise Http404("Order not found")
    return render(request, "orders/customer.html", {"order_id": order_id})


@ensure_csrf_cookie
@login_required
@barista_required
def barista(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/barista.html")


def pickup(request: HttpRequest) -> HttpResponse:
    """The public board by the counter: no login, no staff links, no names."""
    return render(request, "orders/pickup.html")


@ensure_csrf_cookie
@login_required
@staff_required
def staff_orders(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "orders/staff_orders.html",
        {"today": selectors.business_day().isoformat()},
    )


@ensure_csrf_cookie
@login_required
@staff_required
def staff_cells(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/staff_cells.html")


@ensure_csrf_cookie
@login_required
@staff_required
def staff_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/staff_settings.html")
