"""Hostile REST input: every bad request gets the JSON error shape, 4xx, no write.

PROTOCOL section 8: errors are `{"code", "message", "details"?}` with a 4xx
status (413 for a body over the upload limit, 503 during an outage).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from chat.models import ChatMessage, ChatSession
from menus.models import MenuItem
from orders.models import Order, OrderItem
from realtime.models import RoomEvent
from tests.conftest import token_for
from tests.orders.conftest import Cafe, make_cafe

pytestmark = pytest.mark.django_db

HUGE = 10**30
# U+0663 ARABIC-INDIC DIGIT THREE and U+00B2 SUPERSCRIPT TWO: int() takes the first.
ARABIC_THREE = "\u0663"
SUPERSCRIPT_TWO = "\u00b2"


@pytest.fixture
def cafe(db: Any) -> Cafe:
    return make_cafe()


@pytest.fixture
def alice(make_user: Any) -> Any:
    return make_user("alice")


@pytest.fixture
def http() -> Client:
    return Client(raise_request_exception=False)


def counts() -> tuple[int, ...]:
    return (
        Order.objects.count(),
        OrderItem.objects.count(),
        RoomEvent.objects.count(),
        ChatSession.objects.count(),
        ChatMessage.objects.count(),
        MenuItem.objects.count(),
    )


def assert_error(response: Any, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (
        response.status_code,
        response.content[:300],
    )
    assert response["Content-Type"].startswith("application/json"), response[
        "Content-Type"
    ]
    body = response.json()
    assert set(body) <= {"code", "message", "details"}, body
    assert isinstance(body["code"], str) and isinstance(body["message"], str)
    if code is not None:
        assert body["code"] == code, body
    return body


def order_body(cafe: Cafe, **overrides: str) -> str:
    """A JSON order as text, so that escapes like \\ud800 reach the server raw."""
    fields = {
        "items": f'[{{"menuId": {cafe.latte.pk}, "quantity": 1, "options": '
        f"[{cafe.regular.pk}, {cafe.hot.pk}]}}]",
        "payType": '"CARD"',
    }
    fields.update(overrides)
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"


def post_json(http: Client, path: str, text: str, **extra: Any) -> Any:
    return http.post(path, data=text, content_type="application/json", **extra)


# -- item 6: bodies ----------------------------------------------------------------


def test_a_valid_order_still_goes_through(http, cafe):
    response = post_json(http, "/api/orders/", order_body(cafe))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "name,overrides",
    [
        ("menuId 10^30", {"items": f'[{{"menuId": {HUGE}, "quantity": 1}}]'}),
        ("quantity 10^30", {"items": f'[{{"menuId": 1, "quantity": {HUGE}}}]'}),
        ("cellId 10^30", {"payType": '"CELL"', "cellId": str(HUGE)}),
        ("option 10^30", {"items": f'[{{"menuId": 1, "options": [{HUGE}]}}]'}),
        ("payType lone surrogate", {"payType": '"\\ud800"'}),
        ("payType NaN", {"payType": "NaN"}),
        ("totalAmount Infinity", {"totalAmount": "Infinity"}),
        ("key lone surrogate", {'x\\udfff"': "1"}),
    ],
)
def test_bad_order_bodies_are_400_json_and_write_nothing(http, cafe, name, overrides):
    before = counts()
    response = post_json(http, "/api/orders/", order_body(cafe, **overrides))
    assert_error(response, 400, "VALIDATION_ERROR")
    assert counts() == before, name


def test_deep_nesting_is_400_json(http, cafe):
    before = counts()
    deep = "[" * 10_000 + "]" * 10_000
    response = post_json(http, "/api/orders/", order_body(cafe, items=deep))
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert "nested" in body["message"]
    assert counts() == before


def test_deep_nesting_of_objects_is_400_json(http, cafe):
    deep = '{"a":' * 10_000 + "1" + "}" * 10_000
    response = post_json(http, "/api/orders/", deep)
    assert_error(response, 400, "VALIDATION_ERROR")


def test_malformed_json_is_400_json(http, cafe):
    before = counts()
    response = post_json(http, "/api/orders/", '{"items": [')
    assert_error(response, 400, "VALIDATION_ERROR")
    response = http.post(
        "/api/orders/", data=b"\xff\xfe{}", content_type="application/json"
    )
    assert_error(response, 400, "VALIDATION_ERROR")
    assert counts() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=4096)
def test_json_body_over_the_upload_limit_is_413_json(http, cafe):
    before = counts()
    padding = '"' + "x" * 5000 + '"'
    response = post_json(http, "/api/orders/", order_body(cafe, note=padding))
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert counts() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=4096)
def test_a_body_without_a_length_is_held_to_the_limit_while_read():
    """A chunked body has no Content-Length to check up front: the parser counts."""
    from io import BytesIO

    from realtime.parsers import PayloadTooLarge, StrictFormParser, StrictJSONParser

    big = b'{"a": "' + b"x" * 5000 + b'"}'
    with pytest.raises(PayloadTooLarge):
        StrictJSONParser().parse(BytesIO(big), "application/json", {})
    with pytest.raises(PayloadTooLarge):
        StrictFormParser().parse(BytesIO(b"a=" + b"x" * 5000), None, {})
    small = StrictJSONParser().parse(BytesIO(b'{"a": 1}'), "application/json", {})
    assert small == {"a": 1}


@pytest.mark.parametrize(
    "content_type,body",
    [
        ("application/json", '{"content": "a\\u0000b"}'),
        ("application/x-www-form-urlencoded", "content=a%00b"),
    ],
)
def test_nul_characters_are_400_json(http, alice, content_type, body):
    """PostgreSQL text cannot hold NUL: refused before any query."""
    http.force_login(alice)
    session = ChatSession.objects.create(title="t", creator=alice)
    session.members.create(user=alice)
    before = counts()
    response = http.post(
        f"/api/chat/sessions/{session.pk}/messages/",
        data=body,
        content_type=content_type,
    )
    assert_error(response, 400, "VALIDATION_ERROR")
    assert counts() == before


def test_nul_in_a_json_setting_is_400_json(staff_http):
    """A JSON value is stored as jsonb on PostgreSQL, which refuses \u0000."""
    from orders.models import KioskSetting

    response = staff_http.patch(
        "/api/settings/kiosk_message/",
        data='{"value": "closed\\u0000"}',
        content_type="application/json",
    )
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert "NUL" in body["message"]
    assert not KioskSetting.objects.filter(key="kiosk_message").exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=4096)
def test_form_body_over_the_upload_limit_is_413_json(http, alice):
    http.force_login(alice)
    response = http.post("/api/chat/sessions/", {"title": "x" * 5000})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert ChatSession.objects.count() == 0


def test_form_body_with_a_huge_id_is_400_json(http, alice):
    http.force_login(alice)
    response = http.post(
        "/api/chat/sessions/", {"title": "t", "memberIds": [str(HUGE)]}
    )
    assert_error(response, 400, "VALIDATION_ERROR")
    assert ChatSession.objects.count() == 0


def test_form_body_with_a_lone_surrogate_is_400_json(http, alice):
    http.force_login(alice)
    response = http.post(
        "/api/chat/sessions/",
        data="title=%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    # Invalid UTF-8 in a form is decoded with replacement characters: never a 500.
    assert response.status_code in (201, 400), response.content[:200]
    assert response["Content-Type"].startswith("application/json")


def test_multipart_body_with_a_huge_id_is_400_json(http, alice):
    http.force_login(alice)
    response = http.post(
        "/api/chat/sessions/", {"title": "t", "memberIds": str(HUGE)}, format=None
    )
    assert_error(response, 400, "VALIDATION_ERROR")


# -- item 6: ids in URLs and query parameters ----------------------------------------


@pytest.fixture
def staff_http(http, staff) -> Client:
    http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token_for(staff)}"
    return http


@pytest.mark.parametrize(
    "path",
    [
        f"/api/orders/{HUGE}/",
        f"/api/orders/{ARABIC_THREE}/",
        f"/api/menus/{HUGE}/",
        f"/api/cells/{HUGE}/ledger/",
        f"/api/endpoints/{HUGE}/",
        f"/api/endpoints/{HUGE}/checks/",
        f"/api/incidents/{HUGE}/",
        f"/api/chat/sessions/{HUGE}/messages/",
        f"/api/chat/sessions/{ARABIC_THREE}/messages/",
    ],
)
def test_huge_or_non_ascii_ids_in_urls_are_404_json(staff_http, path):
    response = staff_http.get(path)
    if response.status_code == 405:
        response = staff_http.patch(
            path, data='{"notes": "n"}', content_type="application/json"
        )
    assert_error(response, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "path",
    [
        f"/api/cells/{HUGE}/charge/",
        f"/api/chat/sessions/{HUGE}/messages/",
        f"/api/chat/sessions/{HUGE}/read/",
        f"/api/endpoints/{HUGE}/check-now/",
        f"/api/endpoints/{HUGE}/pause/",
    ],
)
def test_posts_to_huge_ids_are_4xx_json(staff_http, path):
    before = counts()
    response = post_json(staff_http, path, '{"amount": 10, "content": "hi"}')
    assert 400 <= response.status_code < 500, response.status_code
    assert_error(response, response.status_code)
    assert counts() == before


@pytest.mark.parametrize(
    "query",
    [
        f"before={HUGE}",
        f"after={HUGE}",
        f"after=-{HUGE}",
        f"limit={HUGE}",
        f"after={ARABIC_THREE}",
        f"limit={SUPERSCRIPT_TWO}",
        "after=1_0",
    ],
)
def test_chat_history_query_ids_are_checked(http, alice, query):
    http.force_login(alice)
    session = ChatSession.objects.create(title="t", creator=alice)
    session.members.create(user=alice)
    response = http.get(f"/api/chat/sessions/{session.pk}/messages/?{query}")
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "path",
    [
        f"/api/realtime/rooms/kiosk/events/?after={HUGE}",
        f"/api/realtime/rooms/kiosk/events/?after={ARABIC_THREE}",
        f"/api/realtime/rooms/chat:{HUGE}/events/",
        f"/api/realtime/rooms/chat:{ARABIC_THREE}/events/",
        f"/api/realtime/rooms/monitor:{HUGE}/events/",
        f"/api/endpoints/1/checks/?limit={HUGE}",
        f"/api/orders/?limit={HUGE}",
    ],
)
def test_query_and_room_ids_are_4xx_json(staff_http, path):
    response = staff_http.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert_error(response, response.status_code)


def test_a_filter_on_a_huge_id_finds_nothing_or_is_400(staff_http):
    """SQLite cannot bind the number (400); PostgreSQL compares it (no rows)."""
    response = staff_http.get(f"/api/incidents/?endpointId={HUGE}")
    if response.status_code == 200:
        assert response.json() == []
    else:
        assert_error(response, 400, "VALIDATION_ERROR")


# -- item 6: errors outside DRF views ------------------------------------------------


def test_unknown_api_path_is_404_json(http):
    response = http.get("/api/no-such-thing/")
    assert_error(response, 404, "NOT_FOUND")


def test_unknown_api_path_without_slash_is_404_json(http):
    response = http.get("/api/menus")
    assert response.status_code in (301, 404)
    if response.status_code == 404:
        assert_error(response, 404, "NOT_FOUND")


def test_wrong_method_is_405_json(http):
    response = http.delete("/api/menus/")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")


def test_crash_under_api_is_500_json(http, monkeypatch):
    from menus import views

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(views.MenuListView, "get", boom)
    response = http.get("/api/menus/")
    body = assert_error(response, 500, "INTERNAL_ERROR")
    assert "secret" not in body["message"]


def test_pages_outside_api_keep_html_errors(http):
    response = http.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


# -- outages: JSON 503 with Retry-After --------------------------------------------


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture(autouse=True)
def no_outage_left() -> Any:
    """The in-process outages below must not stay recorded for later tests."""
    from realtime import health

    health.reset()
    yield
    health.reset()


class _Response:
    """A Django test response seen through the httpx names used above."""

    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self.headers = response
        self.text = response.content.decode(errors="replace")
        self.json = response.json


def test_database_error_in_a_drf_view_is_json_503(http, monkeypatch):
    from django.db import OperationalError

    from menus import selectors

    def down() -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "menu_catalogue", down)
    assert_unavailable(_Response(http.get("/api/menus/")))


def test_outage_503s_are_not_logged_per_request(http, monkeypatch, caplog):
    from django.db import OperationalError

    from menus import selectors
    from realtime import health

    def down() -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "menu_catalogue", down)
    health.reset()
    try:
        with caplog.at_level("WARNING"):
            for _ in range(5):
                assert http.get("/api/menus/").status_code == 503
    finally:
        health.reset()
    assert [r for r in caplog.records if r.name == "django.request"] == []


def test_redis_error_in_a_drf_view_is_json_503(http, staff, monkeypatch):
    import redis.exceptions

    from realtime import views

    def down() -> Any:
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(views, "cluster_stats", down)
    http.force_login(staff)
    assert_unavailable(_Response(http.get("/api/realtime/stats/")))


def test_database_error_in_a_page_is_json_503(http, staff, monkeypatch):
    """The user lookup of a page fails inside the view (not a DRF view)."""
    from django.contrib import auth
    from django.db import InterfaceError

    http.force_login(staff)

    def down(request: Any) -> Any:
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(auth, "get_user", down)
    assert_unavailable(_Response(http.get("/barista/")))


def test_database_error_in_a_middleware_is_json_503(http, monkeypatch):
    """The session lookup fails before any view runs."""
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.db import OperationalError

    def down(self: Any, request: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionMiddleware, "process_request", down)
    assert_unavailable(_Response(http.get("/kiosk/")))
    assert_unavailable(_Response(http.get("/api/menus/")))


def test_other_errors_stay_500(http, monkeypatch):
    from menus import selectors

    def broken() -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(selectors, "menu_catalogue", broken)
    response = http.get("/api/menus/")
    assert_error(response, 500, "INTERNAL_ERROR")
    assert "Retry-After" not in response


@pytest.mark.integration
def test_a_server_without_its_database_answers_json_503(tmp_path):
    """A real server process whose PostgreSQL is unreachable (nothing listens)."""
    import httpx
    import jwt

    from tests import tools

    class Unreachable:
        url = f"postgresql://postgres@127.0.0.1:{tools.free_port()}/postgres"

    key = "outage-test-" + "k" * 40
    env = tools.server_env(
        Unreachable(),  # type: ignore[arg-type]
        None,
        SECRET_KEY=key,
        BACKGROUND_TASKS="0",
        MONITOR_IN_PROCESS="0",
    )
    token = jwt.encode(
        {"token_type": "access", "user_id": "1", "exp": 2_000_000_000, "jti": "x"},
        key,
        algorithm="HS256",
    )
    staff = {"Authorization": f"Bearer {token}"}
    with tools.servers(env, 1) as (server,):
        base = server.base
        requests = [
            ("GET", "/api/menus/", {}, None),
            ("GET", "/api/realtime/stats/", staff, None),
            ("GET", "/api/orders/abc/", {}, None),
            ("POST", "/api/orders/", {}, {"items": [{"menuId": 1}], "payType": "CARD"}),
            ("POST", "/api/auth/token/", {}, {"username": "a", "password": "b"}),
            ("GET", "/kiosk/", {}, None),
            ("GET", "/barista/", {"Cookie": "sessionid=" + "a" * 32}, None),
        ]
        for method, path, headers, body in requests:
            response = httpx.request(
                method, base + path, headers=headers, json=body, timeout=15
            )
            try:
                assert_unavailable(response)
            except AssertionError as exc:
                raise AssertionError(f"{method} {path}: {exc}") from None
        # Liveness does not need the database.
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200


# -- item 9: failed logins are limited ----------------------------------------------


@pytest.fixture
def fresh_limits() -> Any:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def token(http: Client, username: str, password: str, address: str = "10.0.0.1"):
    return http.post(
        "/api/auth/token/",
        data=f'{{"username": "{username}", "password": "{password}"}}',
        content_type="application/json",
        REMOTE_ADDR=address,
    )


@override_settings(LOGIN_FAILURE_LIMIT=10, LOGIN_FAILURE_WINDOW=300)
def test_token_endpoint_refuses_after_ten_failures(http, make_user, fresh_limits):
    make_user("victim")
    for _ in range(10):
        assert_error(token(http, "victim", "guess"), 401, "UNAUTHORIZED")
    response = token(http, "victim", "pw")
    assert_error(response, 429, "RATE_LIMITED")
    assert 0 < int(response["Retry-After"]) <= 300
    # From another address too: the username is limited.
    assert_error(token(http, "victim", "pw", address="10.9.9.9"), 429, "RATE_LIMITED")


@override_settings(LOGIN_FAILURE_LIMIT=10, LOGIN_FAILURE_WINDOW=300)
def test_token_endpoint_limits_an_address_across_usernames(
    http, make_user, fresh_limits
):
    make_user("other")
    for n in range(10):
        assert_error(token(http, f"nobody{n}", "guess"), 401, "UNAUTHORIZED")
    assert_error(token(http, "other", "pw"), 429, "RATE_LIMITED")
    assert token(http, "other", "pw", address="10.0.0.2").status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_FAILURE_WINDOW=1)
def test_token_endpoint_allows_again_after_the_window(http, make_user, fresh_limits):
    import time

    make_user("patient")
    for _ in range(3):
        token(http, "patient", "guess")
    assert token(http, "patient", "pw").status_code == 429
    time.sleep(1.2)
    assert token(http, "patient", "pw").status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=10, LOGIN_FAILURE_WINDOW=300)
def test_a_success_clears_the_username_count(http, make_user, fresh_limits):
    make_user("forgetful")
    for _ in range(9):
        token(http, "forgetful", "guess", address="10.0.0.3")
    assert token(http, "forgetful", "pw", address="10.0.0.4").status_code == 200
    assert_error(token(http, "forgetful", "guess", address="10.0.0.4"), 401)
    assert token(http, "forgetful", "pw", address="10.0.0.4").status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=10, LOGIN_FAILURE_WINDOW=300)
def test_refresh_endpoint_refuses_after_ten_bad_tokens(http, make_user, fresh_limits):
    make_user("refresher")
    good = token(http, "refresher", "pw", address="10.0.0.5").json()["refresh"]
    for _ in range(10):
        response = http.post(
            "/api/auth/token/refresh/",
            data='{"refresh": "not-a-token"}',
            content_type="application/json",
            REMOTE_ADDR="10.0.0.5",
        )
        assert_error(response, 401)
    response = http.post(
        "/api/auth/token/refresh/",
        data=f'{{"refresh": "{good}"}}',
        content_type="application/json",
        REMOTE_ADDR="10.0.0.5",
    )
    assert_error(response, 429, "RATE_LIMITED")


@pytest.mark.parametrize("page", ["/accounts/login/", "/admin/login/"])
@override_settings(LOGIN_FAILURE_LIMIT=10, LOGIN_FAILURE_WINDOW=300)
def test_login_pages_refuse_after_ten_failures(http, make_user, fresh_limits, page):
    make_user("boss", staff=True)
    for _ in range(10):
        response = http.post(page, {"username": "boss", "password": "guess"})
        assert response.status_code == 200 and b"Too many" not in response.content
    response = http.post(page, {"username": "boss", "password": "pw"})
    assert response.status_code == 200, response.status_code
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in http.session


# -- item 9: the API docs work offline ----------------------------------------------


def test_api_docs_reference_no_external_host(http):
    import re

    from django.contrib.staticfiles import finders

    response = http.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""["'](https?://[^"']+|//[^"']+)["']""", html)
    assert urls, html[:500]
    external = [u for u in urls if re.match(r"(https?:)?//", u)]
    assert external == [], external
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url


@pytest.mark.integration
def test_a_server_without_redis_answers_json_never_html(server_database):
    """A real server whose Redis is unreachable: REST works or says 503, in JSON."""
    import httpx

    from tests import tools

    unreachable = f"redis://127.0.0.1:{tools.free_port()}/0"
    env = tools.server_env(server_database, unreachable, MONITOR_IN_PROCESS="0")
    with tools.servers(env, 1) as (server,):
        base = server.base
        assert httpx.get(base + "/api/menus/", timeout=15).status_code == 200
        admin = {"Authorization": f"Bearer {tools.login(base, 'admin')}"}
        for path in ("/api/realtime/stats/", "/readyz"):
            response = httpx.get(base + path, headers=admin, timeout=15)
            assert response.status_code in (200, 503), (path, response.text[:300])
            assert response.headers["Content-Type"].startswith("application/json")
            if response.status_code == 503 and path.startswith("/api/"):
                assert_unavailable(response)


def test_the_browsable_api_keeps_its_error_pages(http):
    """A DRF error rendered as HTML for a browser is DRF's own page, not replaced."""
    response = http.get("/api/orders/no-such-order/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Order not found" in response.content
