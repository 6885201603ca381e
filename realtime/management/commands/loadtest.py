"""Load test a running Tidings server: `python manage.py loadtest --clients 20 --duration 60`.

Opens N websocket clients, each joins a room, answers heartbeats and sends
`ping` at a steady rate, then prints connections, frames received, errors and
the ping round trip. Exits 0 when every client connected and nothing failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import websockets
from django.core.management.base import BaseCommand, CommandError

# The id field of the room types that need one (PROTOCOL section 3).
ROOM_ID_FIELDS = {
    "order": "orderId",
    "chat": "sessionId",
    "endpoint": "endpointId",
}
# Seconds to wait for the replies of the last pings and for the closing handshakes.
DRAIN_SECONDS = 2.0
# Handshakes in flight at once, so a large run does not flood the server's accept queue.
CONNECT_CONCURRENCY = 50


@dataclass
class LoadResult:
    clients: int
    connected: int = 0
    received: int = 0
    errors: int = 0
    duration: float = 0.0
    round_trips: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.connected == self.clients and self.errors == 0

    @property
    def per_second(self) -> float:
        return self.received / self.duration if self.duration > 0 else 0.0

    def percentile(self, fraction: float) -> float | None:
        if not self.round_trips:
            return None
        ordered = sorted(self.round_trips)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(message)

    def lines(self) -> list[str]:
        p50, p99 = self.percentile(0.5), self.percentile(0.99)
        round_trip = (
            f"{p50 * 1000:.1f}/{p99 * 1000:.1f} ms"
            if p50 is not None and p99 is not None
            else "n/a"
        )
        return [
            f"clients: {self.clients}",
            f"connected: {self.connected}/{self.clients}",
            f"messages received: {self.received}",
            f"errors: {self.errors}",
            f"duration: {self.duration:.1f} s",
            f"average messages per second: {self.per_second:.1f}",
            f"ping round-trip p50/p99: {round_trip}",
        ]


def socket_url(url: str, path: str, token: str | None) -> str:
    full = url.rstrip("/") + "/" + path.lstrip("/")
    if token:
        full += ("&" if "?" in full else "?") + urlencode({"token": token})
    return full


def join_data(room: str) -> dict[str, Any]:
    """`kiosk` -> {roomType: kiosk}; `order:<id>` -> {roomType: order, orderId: <id>}."""
    room_type, _, ident = room.partition(":")
    data: dict[str, Any] = {"roomType": room_type}
    if ident:
        data[ROOM_ID_FIELDS.get(room_type, f"{room_type}Id")] = ident
    return data


async def _client(
    number: int,
    url: str,
    room: str,
    rate: float,
    deadline: float,
    gate: asyncio.Semaphore,
    result: LoadResult,
) -> None:
    async with gate:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            result.error(f"client {number}: no time left to connect")
            return
        try:
            conn = await websockets.connect(
                url, open_timeout=min(10.0, remaining), max_size=2**24, close_timeout=1
            )
        except Exception as exc:
            result.error(f"client {number}: connect failed: {exc!r}")
            return
    result.connected += 1
    pending: dict[str, float] = {}
    stopping = asyncio.Event()

    async def receive() -> None:
        async for raw in conn:
            result.received += 1
            try:
                frame = json.loads(raw)
            except (TypeError, ValueError):
                result.error(f"client {number}: not JSON: {raw!r:.200}")
                continue
            event = frame.get("event")
            if event == "heartbeat":
                await conn.send(json.dumps({"event": "heartbeat_ack", "data": {}}))
            elif event == "pong":
                sent = pending.pop(str(frame.get("ref")), None)
                if sent is not None:
                    result.round_trips.append(time.monotonic() - sent)
                if stopping.is_set() and not pending:
                    return
            elif event == "error":
                result.error(f"client {number}: {frame.get('data')}")

    async def send() -> None:
        await conn.send(
            json.dumps({"event": "join_room", "data": join_data(room), "ref": "join"})
        )
        if rate <= 0:
            return
        period = 1.0 / rate
        count = 0
        next_at = time.monotonic()
        while next_at < deadline:
            count += 1
            ref = f"p{number}-{count}"
            pending[ref] = time.monotonic()
            await conn.send(json.dumps({"event": "ping", "data": {}, "ref": ref}))
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    receiver = asyncio.create_task(receive())
    sender = asyncio.create_task(send())
    try:
        timeout = max(0.0, deadline - time.monotonic())
        done, _ = await asyncio.wait({receiver}, timeout=timeout)
        if receiver in done:
            failure = receiver.exception()
            result.error(
                f"client {number}: closed early: {failure!r}"
                if failure
                else f"client {number}: closed early (code {conn.close_code})"
            )
            return
        if not sender.done():
            sender.cancel()
        elif sender.exception():
            result.error(f"client {number}: send failed: {sender.exception()!r}")
        # Let the replies to the last pings arrive.
        stopping.set()
        if pending:
            await asyncio.wait({receiver}, timeout=DRAIN_SECONDS)
        if pending:
            result.error(f"client {number}: {len(pending)} ping(s) without pong")
    finally:
        for task in (sender, receiver):
            task.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.gather(sender, receiver, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), DRAIN_SECONDS)


async def run_load(
    url: str,
    clients: int,
    duration: float,
    *,
    path: str = "/ws/orders/",
    room: str = "kiosk",
    token: str | None = None,
    rate: float = 1.0,
) -> LoadResult:
    """Run `clients` sockets against `url` + `path` for `duration` seconds."""
    result = LoadResult(clients=clients)
    target = socket_url(url, path, token)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    started = time.monotonic()
    deadline = started + duration
    tasks = [
        asyncio.create_task(_client(n, target, room, rate, deadline, gate, result))
        for n in range(clients)
    ]
    # A hard bound: whatever happens, the run ends shortly after `duration`.
    _, late = await asyncio.wait(tasks, timeout=duration + 3 * DRAIN_SECONDS + 1)
    for task in late:
        task.cancel()
        result.error("a client did not finish in time")
    if late:
        await asyncio.gather(*late, return_exceptions=True)
    for task in tasks:
        if task not in late and not task.cancelled() and task.exception():
            result.error(f"client crashed: {task.exception()!r}")
    result.duration = min(time.monotonic(), deadline) - started
    return result


def raise_file_limit(needed: int) -> None:
    """Each client is a file descriptor: lift the soft limit towards the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Command(BaseCommand):
    help = (
        "Open N websocket clients to a running Tidings server for a while and "
        "report connections, frames, errors and the ping round trip."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="ws://127.0.0.1:8000")
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument(
            "--duration", type=float, default=60, help="Seconds (default 60)."
        )
        parser.add_argument("--path", default="/ws/orders/")
        parser.add_argument(
            "--room",
            default="kiosk",
            help="Room to join: a roomType, or roomType:id (e.g. order:<orderId>).",
        )
        parser.add_argument("--token", default=None, help="A JWT for the socket.")
        parser.add_argument(
            "--rate",
            type=float,
            default=1.0,
            help=(
                "Pings per second per client (default 1; 0 for none). Mind the "
                "server's WS_RATE_LIMIT per WS_RATE_WINDOW."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clients, duration = options["clients"], options["duration"]
        if clients < 1:
            raise CommandError("--clients must be at least 1")
        if duration <= 0:
            raise CommandError("--duration must be positive")
        if options["rate"] < 0:
            raise CommandError("--rate must not be negative")
        raise_file_limit(clients + 256)
        result = asyncio.run(
            run_load(
                options["url"],
                clients,
                duration,
                path=options["path"],
                room=options["room"],
                token=options["token"],
                rate=options["rate"],
            )
        )
        for line in result.lines():
            self.stdout.write(line)
        for sample in result.error_samples:
            self.stderr.write(sample)
        self.stdout.flush()
        if not result.ok:
            sys.exit(1)
