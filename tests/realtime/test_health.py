"""A dependency outage is one warning when it starts and one when it ends, per process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis.exceptions
from django.db import OperationalError

from realtime import health, runtime, stats
from realtime.hub import Hub
from tests import tools

REDIS_DOWN = redis.exceptions.ConnectionError(
    "Error 111 connecting. Connection refused."
)


@pytest.fixture(autouse=True)
def fresh_health(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    health.reset()
    # Each reading of the health clock is a quarter second later: failures
    # in a quick loop stand for failures over time, as in a real outage.
    now = [1000.0]

    def ticking() -> float:
        now[0] += 0.25
        return now[0]

    monkeypatch.setattr(health, "clock", ticking)
    yield
    health.reset()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The health module's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(health, "clock", lambda: now[0])
    return now


def warnings_of(caplog: pytest.LogCaptureFixture, name: str = "") -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and name in r.getMessage()
    ]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info]


def test_an_outage_is_one_warning_when_it_starts_and_one_when_it_ends(caplog, clock):
    caplog.set_level(logging.INFO)
    assert health.failed(health.REDIS, REDIS_DOWN) is False  # not yet confirmed
    clock[0] += health.CONFIRM_AFTER + 0.01
    assert health.failed(health.REDIS, REDIS_DOWN) is True
    for _ in range(99):
        clock[0] += 0.01
        assert health.failed(health.REDIS, REDIS_DOWN) is False
    assert health.is_down(health.REDIS)
    assert set(health.down()) == {health.REDIS}
    assert health.down()["redis"]["failures"] == 101
    assert health.recovered(health.REDIS) is True
    assert health.recovered(health.REDIS) is False
    lines = warnings_of(caplog)
    assert len(lines) == 2, lines
    assert lines[0].startswith("redis unavailable: ConnectionError")
    assert "redis available again after" in lines[1] and "101 failed calls" in lines[1]
    assert health.down() == {}


def test_a_lone_failure_that_the_next_call_contradicts_logs_nothing(caplog, clock):
    caplog.set_level(logging.INFO)
    # A connection pooled before an earlier outage fails once, then calls work.
    health.failed(health.REDIS, redis.exceptions.ConnectionError("closed by server"))
    clock[0] += 0.1
    assert health.recovered(health.REDIS) is False
    assert warnings_of(caplog) == [] and health.down() == {}
    # Failing for longer: that is an outage.
    health.failed(health.REDIS, REDIS_DOWN)
    clock[0] += health.CONFIRM_AFTER + 0.1
    health.failed(health.REDIS, REDIS_DOWN)
    clock[0] += 1
    health.recovered(health.REDIS)
    lines = warnings_of(caplog)
    assert len(lines) == 2, lines
    assert lines[0].startswith("redis unavailable") and "available again" in lines[1]


def test_exceptions_are_told_apart():
    from django.db import InterfaceError

    assert health.classify(OperationalError("no server")) == health.DATABASE
    assert health.classify(InterfaceError("closed")) == health.DATABASE
    assert health.classify(REDIS_DOWN) == health.REDIS
    assert health.classify(redis.exceptions.TimeoutError()) == health.REDIS
    assert health.classify(ValueError("bug")) is None
    try:
        try:
            raise REDIS_DOWN
        except Exception as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as wrapped:
        assert health.classify(wrapped) == health.REDIS
    assert health.report(KeyError("x")) is False and health.down() == {}


def test_the_channel_layers_receive_task_traceback_becomes_the_outage(caplog, clock):
    caplog.set_level(logging.INFO)
    health.quieten_library_logs()
    layer_log = logging.getLogger("channels_redis.pubsub")
    for _ in range(30):
        clock[0] += 1  # the receive task retries every second
        try:
            raise REDIS_DOWN
        except Exception:
            layer_log.exception("Unexpected exception in receive task")
    try:
        raise ValueError("a bug, not an outage")
    except ValueError:
        layer_log.exception("Unexpected exception in receive task")
    logging.getLogger("realtime.outbox").warning(
        "channel layer unavailable, %d event(s) left to the relay: %s", 1, REDIS_DOWN
    )
    assert health.is_down(health.REDIS)
    assert len(warnings_of(caplog, "redis unavailable")) == 1
    # Only the record that is not about Redis is left, with its traceback.
    assert len(tracebacks(caplog)) == 1
    assert not warnings_of(caplog, "left to the relay")


async def test_background_loops_report_an_outage_once(caplog):
    caplog.set_level(logging.INFO)
    calls = {"n": 0}

    async def step() -> None:
        calls["n"] += 1
        raise OperationalError("connection to server failed: Connection refused")

    task = asyncio.ensure_future(runtime._every(0.001, step, "relay"))
    try:
        await asyncio.wait_for(_until(lambda: calls["n"] >= 20), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert tracebacks(caplog) == []
    assert warnings_of(caplog) == [
        "database unavailable: OperationalError: connection to server failed: Connection refused"
    ]


async def _until(predicate: Any) -> None:
    while not predicate():
        await asyncio.sleep(0.005)


class FailingLayer:
    """A channel layer whose Redis is away for the first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.added: list[str] = []

    async def receive(self, channel: str) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise REDIS_DOWN
        await asyncio.sleep(3600)
        return {}

    async def new_channel(self, prefix: str = "") -> str:
        return prefix + "test"

    async def group_add(self, group: str, channel: str) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise REDIS_DOWN
        self.added.append(group)


async def test_hub_receive_loop_backs_off_quietly_and_keeps_running(
    caplog, monkeypatch
):
    caplog.set_level(logging.INFO)
    monkeypatch.setattr("realtime.hub.RECEIVE_RETRY_MIN", 0.001)
    monkeypatch.setattr("realtime.hub.RECEIVE_RETRY_MAX", 0.004)
    hub = Hub()
    layer = hub.layer = FailingLayer(failures=25)
    hub.channel = "hub.test"
    task = asyncio.ensure_future(hub._receive_loop())
    try:
        await asyncio.wait_for(_until(lambda: layer.calls > 25), 5)
        assert not task.done()  # still receiving
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert tracebacks(caplog) == []
    assert len(warnings_of(caplog, "redis unavailable")) == 1


@pytest.mark.django_db(transaction=True)
async def test_a_room_joined_while_redis_is_away_gets_its_group_once_it_is_back():
    hub = Hub()
    layer = hub.layer = FailingLayer(failures=1)

    class Screen:
        def __init__(self) -> None:
            self.frames: list[str] = []

        def deliver(self, room: str, seq: int | None, event: str, text: str) -> None:
            self.frames.append(text)

        def catch_up_later(self, room: str) -> None:
            pass

    screen = Screen()
    await hub.subscribe("kiosk", screen)  # no error: served from history meanwhile
    assert screen in hub.rooms["kiosk"] and "kiosk" in hub._pending
    assert health.is_down(health.REDIS)
    assert await hub.add_pending_groups() == 0  # not while Redis is down
    health.recovered(health.REDIS)
    await hub.check_history()
    assert layer.added == ["room.kiosk"] and not hub._pending
    if hub._task is not None:
        hub._task.cancel()


def test_stats_answer_with_this_process_while_redis_is_away(client, staff, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{tools.free_port()}/0"
    client.force_login(staff)
    response = client.get("/api/realtime/stats/")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["processes"] == 1
    assert body["cluster"]["complete"] is False
    assert body["cluster"]["unavailable"] == "redis"
    assert set(body["connections"]) == {"current", "total", "reconnects"}
    assert health.is_down(health.REDIS)


def test_stats_say_the_sum_is_complete_without_redis(client, staff):
    client.force_login(staff)
    assert client.get("/api/realtime/stats/").json()["cluster"] == {"complete": True}


def test_readiness_says_which_dependency_is_down(db, client, monkeypatch, caplog):
    from realtime import views

    assert client.get("/readyz").status_code == 200

    def refuse() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "_select_one", refuse)
    caplog.set_level(logging.INFO)
    for _ in range(3):
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["database"].startswith("error: OperationalError")
        assert body["channelLayer"] == "ok"
        assert set(body["down"]) == {"database"}
        assert body["down"]["database"]["error"].startswith("OperationalError")
    # One warning, not an error line per probe.
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == [
        "WARNING"
    ]
    monkeypatch.undo()
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["down"] == {}


async def test_presence_works_on_without_redis(caplog):
    from chat.presence import RedisPresence

    caplog.set_level(logging.INFO)
    store = RedisPresence(f"redis://127.0.0.1:{tools.free_port()}/0", "t")
    user = {"id": 7, "name": "alice"}
    try:
        assert await store.connect("s1", user, "c1") == (True, [user])
        assert await store.refresh("s1", user, "c1") is False
        assert await store.disconnect("s1", 7, "c1") == (False, [])
    finally:
        await store.redis.aclose()
    assert tracebacks(caplog) == []
    assert len(warnings_of(caplog, "redis unavailable")) == 1


async def test_probe_notices_the_return_of_a_dependency(monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    answers = [REDIS_DOWN, REDIS_DOWN, None]

    async def ping() -> None:
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    monkeypatch.setattr(stats, "ping_redis", ping)
    health.failed(health.REDIS, REDIS_DOWN)
    assert await runtime.probe(health.REDIS) is False
    assert await runtime.probe(health.REDIS) is False
    assert await runtime.probe(health.REDIS) is True
    assert not health.is_down(health.REDIS)
    assert len(warnings_of(caplog)) == 2


@pytest.mark.django_db(transaction=True)
async def test_while_redis_is_down_a_room_is_caught_up_with_one_read_for_all_sockets(
    ws, monkeypatch
):
    """A few hundred sockets of a room used to queue a history read each, every check."""
    from realtime import membership
    from realtime.hub import get_hub
    from tests.realtime.test_hub import store_without_sending

    clients = [await ws() for _ in range(10)]
    for client in clients:
        reply = await client.request("join_room", {"roomType": "kiosk"})
        assert reply["event"] == "join_room_success"
    reads = {"n": 0}
    original = membership.events_after

    def counting(*args: Any, **kwargs: Any) -> Any:
        reads["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(membership, "events_after", counting)
    seqs = [await store_without_sending("kiosk") for _ in range(3)]
    health.failed(health.REDIS, REDIS_DOWN)
    hub = get_hub()
    # Nothing can arrive from Redis: caught up at the first check, not the second.
    assert await hub.check_history() == 1
    for client in clients:
        got = [(await client.expect("announcement"))["seq"] for _ in seqs]
        assert got == seqs
    await clients[0].nothing(0.1)
    assert reads["n"] == 0
    assert await hub.check_history() == 0


@pytest.mark.django_db(transaction=True)
async def test_a_frame_after_a_gap_is_held_while_the_hub_reads_the_missing_ones_once(
    ws, monkeypatch
):
    """After frames lost on the way, each socket used to read the history on its own."""
    from asgiref.sync import sync_to_async

    from realtime import membership, outbox
    from realtime.hub import get_hub
    from tests.realtime.test_hub import store_without_sending

    clients = [await ws() for _ in range(10)]
    for client in clients:
        await client.request("join_room", {"roomType": "kiosk"})
    reads = {"n": 0}
    original = membership.events_after

    def counting(*args: Any, **kwargs: Any) -> Any:
        reads["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(membership, "events_after", counting)
    seqs = [await store_without_sending("kiosk") for _ in range(3)]
    # Only the third frame arrives (the first two were lost with a connection).
    frame = await sync_to_async(
        lambda: outbox.RoomEvent.objects.get(room="kiosk", seq=seqs[2]).frame
    )()
    get_hub().dispatch(
        {"room": "kiosk", "seq": seqs[2], "event": "announcement", "text": frame}
    )
    for client in clients:
        got = [(await client.expect("announcement"))["seq"] for _ in seqs]
        assert got == seqs
    await clients[0].nothing(0.1)
    assert reads["n"] == 0


@pytest.mark.django_db(transaction=True)
async def test_frames_after_a_gap_are_not_held_for_long_when_the_read_is_slow(
    monkeypatch,
):
    import time as clock_time

    from realtime import hub as hub_module

    monkeypatch.setattr(hub_module, "FILL_HOLD_MAX", 0.1)
    original = hub_module._missed_events

    def slow(due: dict[str, int]) -> Any:
        clock_time.sleep(1.5)  # a database thread busy with other work
        return original(due)

    monkeypatch.setattr(hub_module, "_missed_events", slow)

    class Screen:
        def __init__(self) -> None:
            self.got: list[tuple[int | None, float]] = []

        def deliver(self, room: str, seq: int | None, event: str, text: str) -> None:
            self.got.append((seq, clock_time.monotonic()))

        def catch_up_later(self, room: str) -> None:
            pass

    hub = Hub()
    screen = Screen()
    await hub.subscribe("kiosk", screen)
    hub.seen["kiosk"] = 10
    started = clock_time.monotonic()
    hub.dispatch({"room": "kiosk", "seq": 12, "event": "announcement", "text": "{}"})
    await asyncio.wait_for(_until(lambda: screen.got), 5)
    # Released after 0.1 s, not after the 1.5 s read.
    assert screen.got[0][0] == 12 and screen.got[0][1] - started < 1.0
    await asyncio.gather(*hub._fills)
    assert [seq for seq, _ in screen.got] == [12]
