"""The cafe pages get the statuses and their moves from the server's rule."""

from __future__ import annotations

import json
import re

import pytest

from orders import services, workflow

pytestmark = pytest.mark.django_db


def test_moves_are_the_services_transitions():
    described = workflow.describe()
    for status, moves in described["transitions"].items():
        assert set(moves) == set(services.TRANSITIONS[status])
    assert [s["status"] for s in described["steps"]] == [
        "PENDING",
        "MAKING",
        "READY",
        "COMPLETED",
    ]
    assert described["cancellable"] == ["PENDING", "MAKING"]
    assert described["open"] == ["PENDING", "MAKING", "READY"]


@pytest.mark.parametrize("path", ["/kiosk/", "/barista/", "/pickup/", "/staff/orders/"])
def test_pages_carry_the_statuses_as_data(client, staff, path):
    client.force_login(staff)
    body = client.get(path).content.decode()
    found = re.search(
        r'<script id="order-statuses" type="application/json">(.*?)</script>', body
    )
    assert found is not None
    assert json.loads(found.group(1)) == workflow.describe()
