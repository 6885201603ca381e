"""tcp, tls and json checks against real local servers (a TLS server with
certificates made by the test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from monitoring import checker
from monitoring.models import Endpoint
from tests.monitoring.tlsserver import TLSServer, issue, make_ca, write_pem
from tests.tools import free_port

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)


def check(endpoint: Endpoint) -> Endpoint:
    result = checker.check_now(endpoint_id=endpoint.pk)
    endpoint.refresh_from_db()
    assert endpoint.last_checked_at == result.checked_at
    return endpoint


# -- tcp ---------------------------------------------------------------------------


def test_tcp_up_when_the_port_opens_and_down_when_it_is_closed(target, make_endpoint):
    endpoint = make_endpoint(
        url=f"tcp://127.0.0.1:{target.port}", checkType="tcp", timeoutSeconds=2
    )
    endpoint = check(endpoint)
    assert endpoint.status == "UP" and endpoint.last_response_time is not None
    assert endpoint.last_status_code is None
    closed = make_endpoint(
        url=f"tcp://127.0.0.1:{free_port()}", checkType="tcp", timeoutSeconds=2
    )
    closed = check(closed)
    assert closed.last_error and closed.consecutive_failures == 1
    assert closed.checks.get().status == "DOWN"


def test_tcp_and_tls_urls_are_validated(client, staff):
    client.force_login(staff)
    for data in (
        {"checkType": "tcp", "url": "http://127.0.0.1:80/"},
        {"checkType": "tcp", "url": "tcp://127.0.0.1"},
        {"checkType": "tls", "url": "http://127.0.0.1/"},
        {"checkType": "json", "url": "http://127.0.0.1/", "jsonPath": "status"},
        {"checkType": "ping", "url": "http://127.0.0.1/"},
    ):
        reply = client.post(
            "/api/endpoints/", {"name": "x", **data}, content_type="application/json"
        )
        assert reply.status_code == 400, data
    reply = client.post(
        "/api/endpoints/",
        {"name": "db", "checkType": "tcp", "url": "tcp://db.internal:5432"},
        content_type="application/json",
    )
    assert reply.status_code == 201
    assert reply.json()["checkType"] == "tcp"


# -- tls ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("pki")
    ca = make_ca()
    ca_path, _ = write_pem(ca, directory, "ca")
    certs = {
        "valid": issue(
            ca, not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=90)
        ),
        "expiring": issue(
            ca,
            not_before=NOW - timedelta(days=80),
            not_after=NOW + timedelta(days=5, hours=1),
        ),
        "expired": issue(
            ca, not_before=NOW - timedelta(days=90), not_after=NOW - timedelta(days=2)
        ),
        "selfsigned": issue(
            None, not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=90)
        ),
    }
    paths = {"ca": ca_path}
    for name, issued in certs.items():
        paths[name], paths[f"{name}-key"] = write_pem(issued, directory, name)
    return paths


@pytest.fixture
def tls_server(pki, settings) -> Iterator:  # type: ignore[no-untyped-def]
    settings.MONITOR = {**settings.MONITOR, "TLS_CA_FILE": str(pki["ca"])}
    servers: list[TLSServer] = []

    def start(name: str) -> TLSServer:
        server = TLSServer(pki[name], pki[f"{name}-key"]).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_tls_valid_certificate_is_up_with_its_expiry(
    tls_server, make_endpoint, client, staff
):
    server = tls_server("valid")
    endpoint = check(make_endpoint(url=server.url, checkType="tls", timeoutSeconds=3))
    assert endpoint.status == "UP", endpoint.last_error
    assert abs(endpoint.tls_expires_at - (NOW + timedelta(days=90))) < timedelta(
        seconds=2
    )
    client.force_login(staff)
    page = client.get(f"/monitoring/endpoints/{endpoint.pk}/")
    assert b'id="tls-expiry"' in page.content
    shown = timezone.localtime(endpoint.tls_expires_at).isoformat()[:16]
    assert f'<time datetime="{shown}'.encode() in page.content
    reply = client.get(f"/api/endpoints/{endpoint.pk}/").json()
    assert reply["tlsExpiresAt"].startswith(
        endpoint.tls_expires_at.strftime("%Y-%m-%dT%H:%M")
    )


def test_tls_expiring_within_warn_days_is_degraded(tls_server, make_endpoint):
    server = tls_server("expiring")
    endpoint = check(make_endpoint(url=server.url, checkType="tls", timeoutSeconds=3))
    assert endpoint.status == "DEGRADED"
    assert endpoint.last_error.startswith("Certificate expires in 5 days")
    relaxed = check(
        make_endpoint(url=server.url, checkType="tls", tlsWarnDays=3, timeoutSeconds=3)
    )
    assert relaxed.status == "UP"


@pytest.mark.parametrize("name", ["expired", "selfsigned"])
def test_tls_invalid_or_expired_certificate_is_down(tls_server, make_endpoint, name):
    server = tls_server(name)
    endpoint = check(make_endpoint(url=server.url, checkType="tls", timeoutSeconds=3))
    assert endpoint.checks.get().status == "DOWN"
    assert endpoint.last_error.startswith("Certificate not valid")
    assert ("expired" in endpoint.last_error) == (name == "expired")


# -- json --------------------------------------------------------------------------

DOC = {"status": "ok", "checks": [{"db": True, "latency": 12}], "version": "1.2"}


@pytest.mark.parametrize(
    ("path", "expected", "status", "error"),
    [
        ("$.status", "ok", "UP", ""),
        ("$.checks[0].db", "true", "UP", ""),
        ("$.checks[0].latency", "12", "UP", ""),
        ("$.status", "fine", "DOWN", "$.status is ok (expected fine)"),
        ("$.missing", "ok", "DOWN", "$.missing not found"),
        ("$.checks[3].db", "true", "DOWN", "$.checks[3].db not found"),
    ],
)
def test_json_check_compares_the_value_at_the_path(
    target, make_endpoint, path, expected, status, error
):
    target.json_body = json.dumps(DOC).encode()
    endpoint = check(
        make_endpoint(
            url=target.url, checkType="json", jsonPath=path, jsonExpected=expected
        )
    )
    assert endpoint.checks.get().status == status
    assert endpoint.last_error == error


def test_json_check_of_a_body_that_is_not_json_is_down(target, make_endpoint):
    endpoint = check(
        make_endpoint(
            url=target.url, checkType="json", jsonPath="$.status", jsonExpected="ok"
        )
    )
    assert endpoint.checks.get().status == "DOWN"
    assert endpoint.last_error == "Body is not JSON"
