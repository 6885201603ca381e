"""The Socket.IO session records behind connection state recovery (in memory here;
tests/integration/test_socketio_recovery.py runs them on Redis across processes)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from realtime import socketio_recovery as recovery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def memory_store(settings):
    settings.REDIS_URL = ""
    recovery._memory.items.clear()
    yield
    recovery._memory.items.clear()


def person(pk: int) -> SimpleNamespace:
    return SimpleNamespace(pk=pk, is_authenticated=True)


@pytest.mark.parametrize(
    ("offset", "positions"),
    [
        ("kitchen=41|order:ab12=3", {"kitchen": 41, "order:ab12": 3}),
        ("", {}),
        (None, {}),
        (41, {}),
        (["kitchen=1"], {}),
        ("kitchen=-1|kitchen", {}),
        ("kitchen=1e9|x=٣|y=²", {}),
        ("kitchen=" + "9" * 19, {}),
        ("|" * 10_000, {}),
    ],
)
def test_offsets_read_back_strictly(offset, positions):
    assert recovery.parse_offset(offset) == positions


def test_an_offset_names_at_most_100_rooms():
    offset = "|".join(f"r{i}={i}" for i in range(200))
    assert len(recovery.parse_offset(offset)) == recovery.MAX_OFFSET_ROOMS == 100


def test_offsets_round_trip():
    positions = {"kitchen": 7, "order:a-b_c": 2}
    assert recovery.parse_offset(recovery.encode_offset(positions)) == positions


async def test_a_record_is_taken_once_by_its_own_user():
    pid = recovery.new_pid()
    await recovery.save(pid, person(1), {"kitchen": 4})
    assert await recovery.take(pid, person(2)) is None  # someone else: nothing
    await recovery.save(pid, person(1), {"kitchen": 4})
    assert await recovery.take(pid, person(1)) == {"kitchen": 4}
    assert await recovery.take(pid, person(1)) is None  # once


async def test_a_paired_screen_is_not_anonymous():
    screen = SimpleNamespace(device_id=3, is_authenticated=False, pk=None)
    pid = recovery.new_pid()
    await recovery.save(pid, screen, {"kitchen": 1})
    assert await recovery.take(pid, None) is None  # an anonymous client: nothing
    await recovery.save(pid, screen, {"kitchen": 1})
    assert await recovery.take(pid, screen) == {"kitchen": 1}


async def test_a_dropped_record_expires_after_the_window(settings):
    settings.TIDINGS = {**settings.TIDINGS, "SOCKETIO_MAX_DISCONNECTION_DURATION": 0.05}
    pid = recovery.new_pid()
    await recovery.save(pid, None, {})
    await recovery.dropped(pid)
    recovery._memory.items[pid] = (0.0, recovery._memory.items[pid][1])  # time passed
    assert await recovery.take(pid, None) is None


async def test_recovery_off_and_bad_pids_recover_nothing(settings):
    pid = recovery.new_pid()
    await recovery.save(pid, None, {"kiosk": 0})
    for bad in (None, 5, "", "x" * 65, "é" * 10, ["pid"]):
        assert await recovery.take(bad, None) is None
    settings.TIDINGS = {**settings.TIDINGS, "SOCKETIO_MAX_DISCONNECTION_DURATION": 0}
    assert await recovery.take(pid, None) is None


async def test_forget_ends_a_record():
    pid = recovery.new_pid()
    await recovery.save(pid, None, {"kiosk": 0})
    await recovery.forget(pid)
    assert await recovery.take(pid, None) is None


def test_memory_records_are_bounded(monkeypatch):
    monkeypatch.setattr(recovery, "MEMORY_RECORDS", 3)
    for i in range(10):
        recovery._memory.set(f"p{i}", "{}", 60)
    assert list(recovery._memory.items) == ["p7", "p8", "p9"]
