"""Log lines: secrets masked, extras as keys; debug pages only on loopback."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from realtime.logs import MASK, Formatter, is_loopback, redact

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiMSJ9.c2lnbmF0dXJlLXBhcnQ"


@pytest.mark.parametrize(
    "text",
    [
        f'127.0.0.1:5 - "WebSocket /ws/chat/?token={JWT}" [accepted]',
        f"GET /ws/?token={JWT[:20]}&resume=1",
        f"Authorization: Bearer {JWT}",
        "Authorization: Bearer opaque-token-value",
        "username=bob&password=hunter2hunter2",
        '{"refresh": "' + JWT + '"}',
        '{"access_token": "abc123def456"}',
    ],
)
def test_secrets_are_masked(text: str) -> None:
    masked = redact(text)
    assert MASK in masked
    for secret in (
        JWT,
        JWT[:20],
        "hunter2hunter2",
        "opaque-token-value",
        "abc123def456",
    ):
        assert secret not in masked


@pytest.mark.parametrize(
    "text",
    [
        'GET /api/orders/?status=READY 200 "order #5 is ready"',
        "Invalid token: Token is invalid or expired",
        "socket closed close_reason='Invalid token: Token user not found'",
        '{"tokenType": "access", "keyboard": "en"}',
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "tidings.socket", logging.INFO, __file__, 1, msg, args, None
    )
    record.__dict__.update(extra)
    return record


def test_json_lines_have_the_extras_and_no_secret() -> None:
    line = Formatter(json=True).format(
        _record(
            "socket closed %s",
            f"/ws/?token={JWT}",
            event="socket.closed",
            connection_id="c1",
            close_code=4408,
            rooms=["kitchen"],
        )
    )
    data = json.loads(line)
    assert data["event"] == "socket closed /ws/?token=" + MASK
    assert data["kind"] == "socket.closed"
    assert data["connection_id"] == "c1" and data["close_code"] == 4408
    assert data["rooms"] == ["kitchen"] and data["level"] == "info"
    assert JWT not in line


def test_text_lines_are_readable() -> None:
    line = Formatter().format(_record("socket opened", connection_id="c1", path="/ws/"))
    assert "socket opened" in line and "connection_id=c1" in line
    assert not line.startswith("{")


def test_tracebacks_are_masked_too() -> None:
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError:
        import sys

        record = _record("failed")
        record.exc_info = sys.exc_info()
    for formatter in (Formatter(), Formatter(json=True)):
        line = formatter.format(record)
        assert "ValueError" in line and JWT not in line


def test_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1")
    assert not is_loopback("10.0.0.5") and not is_loopback(None)
    assert not is_loopback("not an address")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "host"),
    [("/no-such-page/", "127.0.0.1"), ("/", "attacker.example")],
)
def test_debug_pages_only_for_loopback(settings, path: str, host: str) -> None:
    settings.DEBUG = True
    remote = Client(REMOTE_ADDR="10.0.0.5", HTTP_HOST=host)
    local = Client(REMOTE_ADDR="127.0.0.1", HTTP_HOST=host)
    shown = local.get(path).content.decode()
    hidden = remote.get(path)
    assert "Django" in shown or "Traceback" in shown  # the debug page
    assert hidden.status_code in (400, 404)
    body = hidden.content.decode()
    assert body in ("Not Found", "Bad Request")
    assert "urlpatterns" not in body and "Traceback" not in body


@pytest.mark.django_db
def test_api_errors_stay_json_for_remote_clients(settings) -> None:
    settings.DEBUG = True
    response = Client(REMOTE_ADDR="10.0.0.5").get("/api/orders/999999/")
    assert response["Content-Type"].startswith("application/json")
