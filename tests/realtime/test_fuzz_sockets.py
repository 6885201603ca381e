"""Property-based fuzz of every native socket kind's frames (hypothesis).

For `/ws`, `/ws/orders/`, `/ws/chat/` and `/ws/monitoring/`: a few thousand
generated frames per kind, mostly envelopes of the kind's own verbs with
hostile fields (ids in other scripts, huge numbers, lone surrogates, deep
nesting), some arbitrary JSON, text and binary. Whatever arrives: no
unhandled exception and no INTERNAL_ERROR, the socket stays usable or is
closed with a documented code, a second client's `ping` is answered
throughout, and the stats and rooms return to the baseline once the fuzzing
client has left.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime import stats
from realtime.hub import get_hub
from tests.chat.factories import session_with
from tests.conftest import Client, token_for

pytestmark = pytest.mark.django_db(transaction=True)

KINDS = ["kiosk-app", "orders", "chat", "monitoring"]
# Closes a fuzzing client may get: frame too large, rate limit, and a chat
# join the server refuses. Never 1011 (internal error).
ALLOWED_CLOSES = {4403, 4413, 4429}
EXAMPLES = 100  # x 20 to 50 frames: about 3,500 frames per kind

COMMON_EVENTS = [
    "join_room",
    "join_kitchen",
    "leave_room",
    "restore_rooms",
    "heartbeat_ack",
    "ping",
]
KIND_EVENTS = {
    "kiosk-app": [],
    "orders": [],
    "chat": ["message", "typing", "read"],
    "monitoring": [
        "subscribe:all",
        "subscribe:endpoint",
        "unsubscribe:endpoint",
        "unsubscribe:all",
    ],
}
ROOM_TYPES = ["kitchen", "order", "kiosk", "admin", "chat", "endpoints", "endpoint"]
FIELDS = [
    "roomType",
    "orderId",
    "sessionId",
    "endpointId",
    "lastSeq",
    "rooms",
    "content",
    "clientId",
    "isTyping",
    "messageId",
    "token",
]
ODD_TEXT = [
    "²",
    "٣",
    "7\n",
    "\ud800",
    "\udfff",
    "0",
    "-1",
    "1" * 31,
    str(2**63),
    str(2**63 - 1),
    "",
    " 1",
    "x" * 70,
    "<script>",
    "kiosk",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(ODD_TEXT)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def field_values(known_ids: list[Any]) -> st.SearchStrategy[Any]:
    return (
        st.sampled_from(ROOM_TYPES)
        | st.sampled_from(known_ids)
        | st.from_regex(r"[0-9]{1,25}", fullmatch=True)
        | st.integers(min_value=-5, max_value=2**63 + 5)
        | json_values
    )


def payloads(known_ids: list[Any]) -> st.SearchStrategy[dict[str, Any]]:
    values = field_values(known_ids)
    room = st.dictionaries(st.sampled_from(FIELDS), values, max_size=4)
    return st.dictionaries(
        st.sampled_from(FIELDS) | st.text(max_size=6),
        values | st.lists(room, max_size=6),
        max_size=5,
    )


def envelopes(kind: str, known_ids: list[Any]) -> st.SearchStrategy[Any]:
    event = st.sampled_from(COMMON_EVENTS + KIND_EVENTS[kind]) | st.text(max_size=12)
    single = st.fixed_dictionaries(
        {"event": event},
        optional={
            "data": payloads(known_ids) | json_values,
            "ref": st.text(max_size=8) | st.integers() | json_values,
        },
    )
    batch = st.fixed_dictionaries(
        {
            "event": st.just("batch"),
            "data": st.fixed_dictionaries(
                {"messages": st.lists(single | json_values, max_size=6)}
            ),
        }
    )
    alias = st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "batch"])},
        optional={"content": scalars, "messages": st.lists(single, max_size=3)},
    )
    return single | batch | alias | json_values


def frames(kind: str, known_ids: list[Any]) -> st.SearchStrategy[str | bytes]:
    as_text = envelopes(kind, known_ids).map(
        lambda value: json.dumps(value, ensure_ascii=bool(hash(str(value)) % 2))
    )
    hostile = st.one_of(
        st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n),
        st.integers(min_value=1, max_value=3000).map(
            lambda n: '{"event":"ping","data":' + '{"a":' * n + "1" + "}" * n + "}"
        ),
        st.integers(min_value=20, max_value=5000).map(
            lambda n: '{"event":"ping","data":{"n":' + "9" * n + "}}"
        ),
        st.text(max_size=40),
        st.binary(max_size=40),
        st.sampled_from(['{"event":"ping","data":NaN}', "{}", "null", "[]", '""']),
    )
    return as_text | hostile


@pytest.fixture
async def world(make_user: Callable[..., Any]) -> dict[str, Any]:
    @sync_to_async
    def make() -> dict[str, Any]:
        from monitoring import services

        alice, bob = make_user("alice"), make_user("bob")
        staff = make_user("staffer", staff=True)
        session = session_with(alice, bob, staff)
        endpoint = services.endpoint_create(
            data={"name": "Target", "url": "http://127.0.0.1:9/health"}
        )
        return {
            "alice": token_for(alice),
            "bob": token_for(bob),
            "staff": token_for(staff),
            "session": session.pk,
            "endpoint": endpoint.pk,
        }

    return await make()


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    from config.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def open_kind(kind: str, world: dict[str, Any], observer: bool) -> Client:
        if kind == "chat":
            user = "bob" if observer else "alice"
            path = f"/ws/chat/?sessionId={world['session']}&token={world[user]}"
        elif kind == "monitoring":
            path = f"/ws/monitoring/?token={world['staff']}"
        else:
            path = "/ws" if kind == "kiosk-app" else "/ws/orders/"
        comm = WebsocketCommunicator(application, path)
        comm.scope["client"] = ("10.1.2.3" if observer else "10.3.2.1", 5000)
        opened.append(comm)
        assert (await comm.connect(timeout=5))[0]
        client = Client(comm)
        await client.expect("connected")
        return client

    yield open_kind
    for comm in opened:
        if not comm.future.done():
            try:
                await comm.disconnect(timeout=2)
            except (Exception, asyncio.CancelledError):
                pass


class Errors(logging.Handler):
    """Every ERROR logged while fuzzing (a failed handler, writer or socket)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def current_connections() -> int:
    return int(stats.snapshot()["connections"]["current"])


def rooms_and_members() -> dict[str, int]:
    return {room: len(subs) for room, subs in get_hub().rooms.items()}


async def until(predicate: Callable[[], bool], timeout: float = 3) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def drain(client: Client, ref: str) -> tuple[list[dict[str, Any]], int | None]:
    """Frames up to the reply with `ref` (or the close), and the close code if closed."""
    seen: list[dict[str, Any]] = []
    while True:
        message = await client.comm.receive_output(5)
        if message["type"] == "websocket.close":
            return seen, message.get("code")
        frame = json.loads(message["text"])
        seen.append(frame)
        if frame.get("ref") == ref:
            return seen, None


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kind", KINDS)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
async def test_fuzzed_frames_never_break_a_socket_or_leak(
    kind, world, connect, fuzz_env, data
):
    errors, observer = fuzz_env
    if observer.get(kind) is None:
        observer[kind] = await connect(kind, world, observer=True)
        # Answered once the socket has joined its rooms.
        assert (await observer[kind].request("ping", {}, ref="ready"))["ref"]
        observer["baseline"] = (current_connections(), rooms_and_members())
    watcher: Client = observer[kind]
    baseline_connections, baseline_rooms = observer["baseline"]
    known_ids = [world["session"], world["endpoint"], str(world["endpoint"])]
    batch = data.draw(st.lists(frames(kind, known_ids), min_size=20, max_size=50))

    errors.records.clear()
    client = await connect(kind, world, observer=False)
    try:
        await fuzz_once(client, batch, watcher, errors)
    finally:
        if not client.comm.future.done():
            await client.comm.disconnect(timeout=3)
    assert await until(lambda: current_connections() == baseline_connections), (
        current_connections(),
        baseline_connections,
    )
    assert await until(lambda: rooms_and_members() == baseline_rooms), (
        rooms_and_members(),
        baseline_rooms,
    )


async def fuzz_once(
    client: Client, batch: list[str | bytes], watcher: Client, errors: Errors
) -> None:
    for frame in batch:
        # Straight to the application: empty frames too.
        key = "bytes" if isinstance(frame, bytes) else "text"
        await client.comm.send_input({"type": "websocket.receive", key: frame})
    await client.send("ping", {}, ref="fuzz-end")
    seen, closed = await drain(client, "fuzz-end")
    assert closed is None or closed in ALLOWED_CLOSES, (closed, seen[-3:])
    internal = [
        f
        for f in seen
        if f.get("event") == "error" and f["data"].get("code") == "INTERNAL_ERROR"
    ]
    assert not internal, internal
    # Another client of the same kind is answered throughout.
    pong = await watcher.request("ping", {"n": 1}, ref="watch")
    assert pong["event"] == "pong"
    assert not errors.records, [r.getMessage() for r in errors.records]


@pytest.fixture
def fuzz_env(settings: Any) -> Any:
    """Rates the fuzzer and the watcher stay within, and an error trap."""
    settings.TIDINGS = {
        **settings.TIDINGS,
        "ADDRESS_RATE_LIMIT": 1_000_000,
        "RATE_LIMIT": 100_000,
        # The watcher answers no heartbeat; a long run must not close it.
        "HEARTBEAT_INTERVAL": 3600,
    }
    trap = Errors()
    root = logging.getLogger()
    root.addHandler(trap)
    try:
        yield trap, {}
    finally:
        root.removeHandler(trap)
