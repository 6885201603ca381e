"""Fan-out benchmark: N clients in the `kitchen` room, events through the real path.

Starts, in one run and on 127.0.0.1 only:
  - a plain `websockets` broadcast server (the baseline),
  - a python-socketio server standing alone (the Socket.IO baseline),
  - a Tidings server process (uvicorn, Redis channel layer, its own database),
then, for each, opens N clients joined to the kitchen room, publishes E events
as a burst and then events at a fixed rate, and prints delivered msg/s,
latency from publish to receipt (p50/p95/p99/max), lost and duplicated
events, server CPU per delivered message, and the ratio to the baseline.
Tidings is measured with native sockets and with Socket.IO clients.

    python bench/fanout.py --clients 1000 --events 200 --rate 50 --seconds 10

The load client reads raw WebSocket frames (bench/rawws.py): one asyncio
Protocol per connection, frames parsed in place, no task per connection or
per message, the event number found in the frame without decoding its JSON.
`--client-processes K` spreads the connections over K client processes;
"client cpu %" is the CPU of all of them (100% is one core: near it, the
client would be the bottleneck). With `--deflate` the client is the
`websockets` library (one reader task per connection), which compresses.
`--self-test` checks the client's frame parsing and its lost/dup counts.

Tidings events are published the way services publish them: a transaction
that stores the event, then a send to Redis on commit. Needs Redis
(REDIS_URL or a local redis-server). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import time
from array import array
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import rawws  # noqa: E402
from tests import tools  # noqa: E402

PAD = "x" * 60  # each frame about 190 bytes, like an order event
# permessage-deflate for every client and server of the run (--deflate).
COMPRESSION: str | None = None

# Reads event numbers on stdin and publishes each through the real path.
TIDINGS_PUBLISHER = r"""
import sys, django
django.setup()
from django.db import transaction
import realtime
print("ready", flush=True)
for line in sys.stdin:
    with transaction.atomic():
        realtime.publish("kitchen", "bench", {"n": int(line), "pad": sys.argv[1]})
"""

WEBSOCKETS_BASELINE = r"""
import asyncio, sys, websockets
clients = set()
async def handler(ws):
    if ws.request.path == "/publish":
        async for message in ws:
            websockets.broadcast(clients, message)
        return
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)
async def main():
    # backlog as config.serve's: a reconnect wave (bench/storm.py) arrives at once
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), max_queue=None,
                                compression=sys.argv[2] or None, backlog=4096):
        print("ready", flush=True)
        await asyncio.Future()
asyncio.run(main())
"""

SOCKETIO_BASELINE = r"""
import sys, socketio, uvicorn
sio = socketio.AsyncServer(async_mode="asgi")
@sio.event
async def connect(sid, environ, auth):
    await sio.enter_room(sid, "kitchen")
@sio.on("publish")
async def publish(sid, data):
    await sio.emit("bench", data, room="kitchen", skip_sid=sid)
uvicorn.run(socketio.ASGIApp(sio), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            ws_per_message_deflate=sys.argv[2] == "deflate")
"""


def n_of(raw: str | bytes, field: str = '"n":') -> int | None:
    """The event number in a frame, without decoding all of it."""
    if isinstance(raw, bytes):
        raw = raw.decode()
    at = raw.find(field)
    if at < 0:
        return None
    start = at + len(field)
    while start < len(raw) and raw[start] == " ":
        start += 1
    end = start
    while end < len(raw) and raw[end].isdigit():
        end += 1
    return int(raw[start:end]) if end > start else None


# -- client dialects on the websockets library (--deflate, bench/rest_order.py):
# each connects, joins the kitchen and answers keep-alives --


async def native_client(url: str) -> Any:
    conn = await websockets.connect(
        url, max_queue=None, open_timeout=60, compression=COMPRESSION
    )
    await conn.recv()  # connected
    await conn.send(
        json.dumps({"event": "join_room", "data": {"roomType": "kitchen"}, "ref": "j"})
    )
    while json.loads(await conn.recv()).get("ref") != "j":
        pass
    return conn


async def plain_client(url: str) -> Any:
    return await websockets.connect(
        url, max_queue=None, open_timeout=60, compression=COMPRESSION
    )


async def socketio_client(url: str, token: str | None = None, join: bool = True) -> Any:
    """A minimal Engine.IO 4 / Socket.IO 5 websocket client (what socket.io-client sends)."""
    conn = await websockets.connect(
        url + "/socket.io/?EIO=4&transport=websocket",
        max_queue=None,
        open_timeout=60,
        compression=COMPRESSION,
    )
    await conn.recv()  # 0{...} open
    await conn.send("40" + (json.dumps({"token": token}) if token else ""))
    while not (await conn.recv()).startswith("40"):
        pass
    if join:
        await conn.send('420["join_kitchen",{"roomType":"kitchen"}]')
        while not (await conn.recv()).startswith("430"):
            pass
    return conn


def keepalive(raw: str | bytes) -> str | None:
    if raw == "2":
        return "3"  # Engine.IO ping -> pong
    if isinstance(raw, str) and raw.startswith('{"event":"heartbeat"'):
        return '{"event":"heartbeat_ack"}'
    if isinstance(raw, str) and raw.startswith('42["heartbeat"'):
        return '42["heartbeat_ack"]'
    return None


@dataclass
class Run:
    name: str
    sent: dict[int, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    duplicates: int = 0
    lost: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    # CPU seconds of the load client process(es) over the same span.
    client_cpu: float = 0.0
    last_receipt: float = 0.0

    def row(self) -> dict[str, float]:
        lat = sorted(self.latencies) or [0.0]

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

        return {
            "msg/s": self.received / self.seconds if self.seconds else 0.0,
            "p50 ms": pct(0.50),
            "p95 ms": pct(0.95),
            "p99 ms": pct(0.99),
            "max ms": lat[-1] * 1000,
            "lost": self.lost,
            "dup": self.duplicates,
            "cpu us/msg": self.cpu / self.received * 1e6 if self.received else 0.0,
            # 100% is one core: the load client would be the bottleneck there.
            "client cpu %": self.client_cpu / self.seconds * 100,
        }


def proc_cpu(pid: int | list[int]) -> float:
    if isinstance(pid, list):
        return sum(proc_cpu(one) for one in pid)
    with open(f"/proc/{pid}/stat") as stat:
        parts = stat.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss(pid: int | list[int]) -> int:
    if isinstance(pid, list):
        return sum(proc_rss(one) for one in pid)
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Clients:
    """Clients on the `websockets` library: one reader task per connection.

    Used with `--deflate` (the raw client does no compression) and by
    bench/rest_order.py.
    """

    def __init__(
        self,
        count: int,
        open_one: Callable[[], Awaitable[Any]],
        key: Callable[[str | bytes], int | None] = n_of,
    ) -> None:
        self.count, self.open_one, self.key = count, open_one, key
        self.conns: list[Any] = []
        self.seen: list[set[int]] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.run: Run | None = None
        self.expected = 0
        self.done = asyncio.Event()

    @property
    def connections(self) -> int:
        return len(self.conns)

    async def open(self) -> None:
        sem = asyncio.Semaphore(100)

        async def one() -> None:
            async with sem:
                conn = await self.open_one()
            self.conns.append(conn)
            self.seen.append(set())
            self.tasks.append(asyncio.ensure_future(self.reader(conn, self.seen[-1])))

        await asyncio.gather(*(one() for _ in range(self.count)))

    async def reader(self, conn: Any, seen: set[int]) -> None:
        try:
            async for raw in conn:
                now = time.monotonic()
                answer = keepalive(raw)
                if answer is not None:
                    await conn.send(answer)
                    continue
                run, n = self.run, self.key(raw)
                if n is None or run is None or n not in run.sent:
                    continue
                if n in seen:
                    run.duplicates += 1
                    continue
                seen.add(n)
                run.received += 1
                run.last_receipt = now
                run.latencies.append(now - run.sent[n])
                if run.received == self.expected:
                    self.done.set()
        except websockets.ConnectionClosed:
            pass

    async def start(self, run: Run, window: range) -> None:
        self.run, self.expected = run, len(window) * len(self.conns)
        self.done.clear()
        for seen in self.seen:
            seen.clear()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.done.wait(), timeout)
        except TimeoutError:
            pass

    async def collect(self, run: Run) -> None:
        """Nothing to gather: the readers counted into `run` itself."""

    def cpu(self) -> float:
        return time.process_time()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(c.close() for c in self.conns), return_exceptions=True)


# -- the raw-frame client (bench/rawws.py) --

# The event number in a frame: found in the bytes, the JSON is not decoded.
N_FIELD = re.compile(rb'"n":\s*(\d+)')

# How to open one client: ("native", url), ("plain", url) or
# ("socketio", url, token, join); plain data, so it can go to a client process.
Spec = tuple[Any, ...]


def raw_keepalive(payload: bytes) -> bytes | None:
    if payload == b"2":
        return b"3"  # Engine.IO ping -> pong
    if payload.startswith(b'{"event":"heartbeat"'):
        return b'{"event":"heartbeat_ack"}'
    if payload.startswith(b'42["heartbeat"'):
        return b'42["heartbeat_ack"]'
    return None


async def setup_recv(conn: rawws.RawWebSocket) -> str:
    """The next frame while a client sets up, keep-alives answered."""
    while True:
        raw = await conn.recv()
        answer = raw_keepalive(raw.encode())
        if answer is None:
            return raw
        conn.send_text(answer)


async def raw_native(url: str) -> rawws.RawWebSocket:
    conn = await rawws.connect(url)
    await setup_recv(conn)  # connected
    conn.send_text(
        json.dumps({"event": "join_room", "data": {"roomType": "kitchen"}, "ref": "j"})
    )
    while json.loads(await setup_recv(conn)).get("ref") != "j":
        pass
    return conn


async def raw_socketio(
    url: str, token: str | None = None, join: bool = True
) -> rawws.RawWebSocket:
    """Engine.IO 4 / Socket.IO 5 over a websocket, as `socketio_client` speaks it."""
    conn = await rawws.connect(url + "/socket.io/?EIO=4&transport=websocket")
    await setup_recv(conn)  # 0{...} open
    conn.send_text("40" + (json.dumps({"token": token}) if token else ""))
    while not (await setup_recv(conn)).startswith("40"):
        pass
    if join:
        conn.send_text('420["join_kitchen",{"roomType":"kitchen"}]')
        while not (await setup_recv(conn)).startswith("430"):
            pass
    return conn


async def open_raw(spec: Spec) -> rawws.RawWebSocket:
    kind, url = spec[0], spec[1]
    if kind == "native":
        return await raw_native(url)
    if kind == "plain":
        return await rawws.connect(url)
    if kind == "socketio":
        return await raw_socketio(url, spec[2], spec[3])
    raise ValueError(f"no client dialect {kind!r}")


def open_legacy(spec: Spec) -> Awaitable[Any]:
    kind, url = spec[0], spec[1]
    if kind == "native":
        return native_client(url)
    if kind == "plain":
        return plain_client(url)
    return socketio_client(url, spec[2], spec[3])


def answer_keepalives(conn: rawws.RawWebSocket) -> rawws.TextHandler:
    """A handler for a connection that only publishes."""

    def on_text(payload: bytes, at: float) -> None:
        answer = raw_keepalive(payload)
        if answer is not None:
            conn.send_text(answer)

    return on_text


class RawClients:
    """Raw-frame clients in this process: a handler per connection, no task.

    Each connection keeps, for the run going on, the receipt time of each
    event number it got (`received`, a dict: a second copy is a duplicate);
    `left` counts down the receipts still expected in the whole window.
    """

    def __init__(self, specs: list[Spec]) -> None:
        self.specs = specs
        self.conns: list[rawws.RawWebSocket] = []
        self.received: list[dict[int, float]] = []
        self.window = range(0)
        self.left = 0
        self.duplicates = 0
        self.on_done: Callable[[], None] = lambda: None
        self.done = asyncio.Event()

    @property
    def connections(self) -> int:
        return len(self.conns)

    async def open(self) -> None:
        sem = asyncio.Semaphore(100)

        async def one(spec: Spec) -> None:
            async with sem:
                conn = await open_raw(spec)
            self.add(conn)

        await asyncio.gather(*(one(spec) for spec in self.specs))

    def add(self, conn: rawws.RawWebSocket) -> None:
        received: dict[int, float] = {}
        self.conns.append(conn)
        self.received.append(received)
        conn.set_handler(self.handler(conn, received))

    def handler(
        self, conn: rawws.RawWebSocket, received: dict[int, float]
    ) -> rawws.TextHandler:
        search = N_FIELD.search
        clients = self

        def on_text(payload: bytes, at: float) -> None:
            found = search(payload)
            if found is None:
                answer = raw_keepalive(payload)
                if answer is not None:
                    conn.send_text(answer)
                return
            n = int(found[1])
            if n in received:
                clients.duplicates += 1
                return
            if n not in clients.window:
                return  # a late one from an earlier run, or not an event
            received[n] = at
            clients.left -= 1
            if not clients.left:
                clients.on_done()

        return on_text

    def begin(self, window: range, on_done: Callable[[], None]) -> None:
        for received in self.received:
            received.clear()
        self.window, self.on_done = window, on_done
        self.left, self.duplicates = len(window) * len(self.conns), 0

    def end(self) -> tuple[array[int], array[float], int]:
        """Event numbers and receipt times of the run, and its duplicates."""
        ns, ats = array("q"), array("d")
        for received in self.received:
            ns.extend(received.keys())
            ats.extend(received.values())
            received.clear()
        self.window = range(0)
        return ns, ats, self.duplicates

    async def start(self, run: Run, window: range) -> None:
        self.done.clear()
        self.begin(window, self.done.set)

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.done.wait(), timeout)
        except TimeoutError:
            pass

    async def collect(self, run: Run) -> None:
        count(run, *self.end())

    def cpu(self) -> float:
        return time.process_time()

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.conns), return_exceptions=True)


def count(run: Run, ns: Any, ats: Any, duplicates: int) -> None:
    """Add what one client process received to `run` (times are CLOCK_MONOTONIC)."""
    sent = run.sent
    run.latencies.extend(at - sent[n] for n, at in zip(ns, ats, strict=True))
    run.received += len(ns)
    run.duplicates += duplicates
    if ats:
        run.last_receipt = max(run.last_receipt, max(ats))


# -- several client processes (--client-processes) --
# Messages both ways are pickles with a 4-byte length: the parent sends
# ("open", specs), ("run", start, stop), ("report",), ("close",); a client
# process answers ("opened", n), ("ready",), ("done",) once all its
# connections have the whole window, ("report", ns, ats, duplicates), ("closed",).


def pack(message: tuple[Any, ...]) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return struct.pack("!I", len(body)) + body


async def unpack(reader: asyncio.StreamReader) -> tuple[Any, ...]:
    size = struct.unpack("!I", await reader.readexactly(4))[0]
    message: tuple[Any, ...] = pickle.loads(await reader.readexactly(size))
    return message


class ProcessClients:
    """The clients spread over K processes, each running `RawClients`."""

    def __init__(self, specs: list[Spec], processes: int) -> None:
        self.specs, self.processes = specs, processes
        self.procs: list[asyncio.subprocess.Process] = []
        self.inboxes: list[asyncio.Queue[tuple[Any, ...]]] = []
        self.readers: list[asyncio.Task[None]] = []
        self.count = 0

    @property
    def connections(self) -> int:
        return self.count

    async def open(self) -> None:
        for k in range(self.processes):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--load-worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
            self.procs.append(proc)
            self.inboxes.append(inbox)
            self.readers.append(asyncio.ensure_future(self.read(proc, inbox)))
            self.send(k, ("open", self.specs[k :: self.processes]))
        opened = await self.expect("opened")
        self.count = sum(message[1] for message in opened)

    @staticmethod
    async def read(
        proc: asyncio.subprocess.Process, inbox: asyncio.Queue[tuple[Any, ...]]
    ) -> None:
        assert proc.stdout is not None
        try:
            while True:
                inbox.put_nowait(await unpack(proc.stdout))
        except asyncio.IncompleteReadError:
            inbox.put_nowait(("exited",))

    def send(self, k: int, message: tuple[Any, ...]) -> None:
        stdin = self.procs[k].stdin
        assert stdin is not None
        stdin.write(pack(message))

    async def expect(self, kind: str) -> list[tuple[Any, ...]]:
        """The next `kind` message of every client process (others skipped)."""

        async def one(inbox: asyncio.Queue[tuple[Any, ...]]) -> tuple[Any, ...]:
            while True:
                message = await inbox.get()
                if message[0] == kind:
                    return message
                if message[0] == "exited":
                    raise RuntimeError("a client process exited")

        return list(await asyncio.gather(*(one(inbox) for inbox in self.inboxes)))

    async def start(self, run: Run, window: range) -> None:
        for k in range(self.processes):
            self.send(k, ("run", window.start, window.stop))
        await self.expect("ready")

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.expect("done"), timeout)
        except TimeoutError:
            pass

    async def collect(self, run: Run) -> None:
        for k in range(self.processes):
            self.send(k, ("report",))
        for _, ns, ats, duplicates in await self.expect("report"):
            count(run, ns, ats, duplicates)

    def cpu(self) -> float:
        return time.process_time() + proc_cpu([proc.pid for proc in self.procs])

    async def close(self) -> None:
        for k in range(self.processes):
            self.send(k, ("close",))
        await self.expect("closed")
        for proc in self.procs:
            await proc.wait()
        for task in self.readers:
            task.cancel()


async def load_worker() -> None:
    """A client process of `ProcessClients`: commands on stdin, answers on stdout."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer
    )
    out = sys.stdout.buffer

    def send(message: tuple[Any, ...]) -> None:
        out.write(pack(message))
        out.flush()

    clients: RawClients | None = None
    while True:
        try:
            message = await unpack(reader)
        except asyncio.IncompleteReadError:
            break
        kind = message[0]
        if kind == "open":
            clients = RawClients(message[1])
            await clients.open()
            send(("opened", clients.connections))
        elif kind == "run":
            assert clients is not None
            clients.begin(range(message[1], message[2]), lambda: send(("done",)))
            send(("ready",))
        elif kind == "report":
            assert clients is not None
            send(("report", *clients.end()))
        elif kind == "close":
            if clients is not None:
                await clients.close()
            send(("closed",))
            break


class Publisher:
    """The connection a baseline server takes its events from."""

    def __init__(self, conn: Any, legacy: bool) -> None:
        self.conn, self.legacy = conn, legacy
        self.reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, spec: Spec, deflate: bool) -> Publisher:
        if not deflate:
            conn = await open_raw(spec)
            conn.set_handler(answer_keepalives(conn))
            return cls(conn, False)
        pub = cls(await open_legacy(spec), True)
        pub.reader = asyncio.ensure_future(pub.answer())
        return pub

    async def answer(self) -> None:
        try:
            async for raw in self.conn:
                answer = keepalive(raw)
                if answer is not None:
                    await self.conn.send(answer)
        except websockets.ConnectionClosed:
            pass

    async def send(self, text: str) -> None:
        if self.legacy:
            await self.conn.send(text)
        else:
            self.conn.send_text(text)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        await self.conn.close()


async def drive(
    name: str,
    clients: Any,
    publish: Callable[[int], Awaitable[None]],
    pid: int | list[int],
    events: int,
    rate: float | None,
    offset: int,
) -> Run:
    """Publish `events` (at `rate` a second, or back to back) and count receipts.

    `clients` is a `Clients`, `RawClients` or `ProcessClients`. Times are
    `time.monotonic()` (CLOCK_MONOTONIC: the same clock in every process).
    """
    run = Run(name)
    window = range(offset, offset + events)
    await clients.start(run, window)
    cpu0, t0 = proc_cpu(pid), time.monotonic()
    client0 = clients.cpu()
    for i in range(events):
        n = offset + i
        run.sent[n] = time.monotonic()
        await publish(n)
        if rate:
            await asyncio.sleep(max(0.0, t0 + (i + 1) / rate - time.monotonic()))
    await clients.wait(max(30.0, events / 20))
    run.cpu = proc_cpu(pid) - cpu0
    run.client_cpu = clients.cpu() - client0
    await clients.collect(run)
    run.lost = events * clients.connections - run.received
    run.seconds = max(run.last_receipt - t0, 1e-6)
    return run


def print_table(title: str, rows: list[Run], baseline: Run) -> None:
    cols = [
        "msg/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "lost",
        "dup",
        "cpu us/msg",
        "client cpu %",
    ]
    base = baseline.row()["msg/s"]
    print(f"\n{title}\n")
    print(
        f"| {'server':40} | "
        + " | ".join(f"{c:>10}" for c in cols)
        + " | vs baseline |"
    )
    print("|" + "---|" * (len(cols) + 2))
    for run in rows:
        row = run.row()
        ratio = row["msg/s"] / base if base else 0.0
        cells = " | ".join(
            f"{row[c]:>10.0f}" if c in ("msg/s", "lost", "dup") else f"{row[c]:>10.1f}"
            for c in cols
        )
        print(f"| {run.name:40} | {cells} | {ratio:>10.0%} |")


async def measure(
    name: str,
    specs: list[Spec],
    publish: Callable[[int], Awaitable[None]],
    pid: int | list[int],
    args: argparse.Namespace,
    offset: int,
) -> tuple[Run, Run, float]:
    rss0 = proc_rss(pid)
    clients: Clients | RawClients | ProcessClients
    if args.deflate:
        specs_left = iter(specs)
        clients = Clients(len(specs), lambda: open_legacy(next(specs_left)))
    elif args.client_processes > 1:
        clients = ProcessClients(specs, args.client_processes)
    else:
        clients = RawClients(specs)
    await clients.open()
    rss = (proc_rss(pid) - rss0) / len(specs)
    await drive(name, clients, publish, pid, 5, None, offset)  # warm-up
    burst = await drive(
        f"{name}, burst", clients, publish, pid, args.events, None, offset + 10
    )
    steady = await drive(
        f"{name}, {args.rate:g} ev/s",
        clients,
        publish,
        pid,
        int(args.rate * args.seconds),
        args.rate,
        offset + 100_000,
    )
    await clients.close()
    return burst, steady, rss


# -- a check of the raw client without a server (--self-test) --


class _Transport(asyncio.Transport):
    """Keeps what the client writes."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing


def _server_frame(opcode: int, payload: bytes, final: bool = True) -> bytes:
    size = len(payload)
    first = (0x80 if final else 0) | opcode
    if size < 126:
        head = struct.pack("!BB", first, size)
    elif size < 65536:
        head = struct.pack("!BBH", first, 126, size)
    else:
        head = struct.pack("!BBQ", first, 127, size)
    return head + payload


def _client_frame(data: bytes) -> tuple[int, bytes]:
    """Opcode and unmasked payload of one frame the client wrote."""
    assert data[1] & 0x80, "client frames must be masked"
    size, at = data[1] & 0x7F, 2
    if size == 126:
        size, at = struct.unpack("!H", data[2:4])[0], 4
    elif size == 127:
        size, at = struct.unpack("!Q", data[2:10])[0], 10
    key, body = data[at : at + 4], data[at + 4 : at + 4 + size]
    assert len(body) == size
    return data[0] & 0x0F, rawws.mask(body, key)


async def _handshaken(accept: str | None = None) -> tuple[Any, _Transport]:
    conn = rawws.RawWebSocket("127.0.0.1", 9, "/ws/?a=1")
    transport = _Transport()
    conn.connection_made(transport)
    request = transport.written.pop().decode()
    assert request.startswith("GET /ws/?a=1 HTTP/1.1\r\n"), request
    assert f"Sec-WebSocket-Key: {conn.key}\r\n" in request
    assert len(base64.b64decode(conn.key)) == 16
    accept = rawws.accept_for(conn.key) if accept is None else accept
    answer = (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode()
    # The answer in two pieces, the first frame right behind it.
    conn.data_received(answer[:20])
    conn.data_received(answer[20:] + _server_frame(rawws.TEXT, b'{"event":"hello"}'))
    return conn, transport


async def self_test() -> None:
    # RFC 6455 1.3's example key and masking round trips.
    assert (
        rawws.accept_for("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    )
    for size in (0, 1, 5, 125, 126, 200, 70000):
        payload = os.urandom(size)
        assert _client_frame(rawws.frame(rawws.TEXT, payload)) == (rawws.TEXT, payload)

    # A wrong Sec-WebSocket-Accept fails the connection.
    bad, _ = await _handshaken(accept=rawws.accept_for("another key"))
    try:
        await bad.opened
        raise AssertionError("a wrong Sec-WebSocket-Accept was taken")
    except rawws.HandshakeError:
        pass

    conn, transport = await _handshaken()
    await conn.opened
    assert await conn.recv() == '{"event":"hello"}'
    clients = RawClients([])
    clients.add(conn)
    done: list[bool] = []
    clients.begin(range(10, 15), lambda: done.append(True))

    def event(n: int) -> bytes:
        return json.dumps({"event": "bench", "data": {"n": n, "pad": PAD}}).encode()

    stream = b"".join(
        [
            _server_frame(rawws.TEXT, event(10)),
            _server_frame(rawws.TEXT, event(11)),
            _server_frame(rawws.PING, b"p1"),
            _server_frame(rawws.TEXT, event(11)),  # a duplicate
            _server_frame(rawws.TEXT, event(99)),  # outside the window
            _server_frame(rawws.TEXT, b'{"event":"heartbeat","data":{}}'),
            _server_frame(rawws.TEXT, b"2"),
            # 12 never comes; 13 in two fragments
            _server_frame(rawws.TEXT, event(13)[:30], final=False),
            _server_frame(rawws.CONTINUATION, event(13)[30:]),
            _server_frame(rawws.TEXT, event(14) + b" " * 70000),  # 64-bit length
        ]
    )
    for i in range(0, len(stream), 7):  # in pieces that cut headers and payloads
        conn.data_received(stream[i : i + 7])
    answers = [_client_frame(data) for data in transport.written]
    assert answers == [
        (rawws.PONG, b"p1"),
        (rawws.TEXT, b'{"event":"heartbeat_ack"}'),
        (rawws.TEXT, b"3"),
    ], answers
    run = Run("self-test", sent=dict.fromkeys(range(10, 15), 0.0))
    await clients.collect(run)
    run.lost = 5 - run.received
    assert (run.received, run.duplicates, run.lost) == (4, 1, 1), run
    assert not done  # 12 is missing: the run is not complete

    # Every event once: the run is complete, nothing lost or duplicated.
    clients.begin(range(20, 23), lambda: done.append(True))
    conn.data_received(b"".join(_server_frame(rawws.TEXT, event(n)) for n in (20, 21)))
    assert not done
    conn.data_received(_server_frame(rawws.TEXT, event(22)))
    assert done == [True]
    run = Run("self-test", sent=dict.fromkeys(range(20, 23), 0.0))
    await clients.collect(run)
    assert (run.received, run.duplicates) == (3, 0)

    # The server closes: the close is answered and the connection ends.
    transport.written.clear()
    conn.data_received(_server_frame(rawws.CLOSE, struct.pack("!H", 1001)))
    assert _client_frame(transport.written[0]) == (rawws.CLOSE, struct.pack("!H", 1001))
    assert transport.closing and conn.close_code == 1001


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200, help="events in the burst")
    parser.add_argument(
        "--rate", type=float, default=50, help="events/s in the fixed-rate run"
    )
    parser.add_argument(
        "--seconds", type=float, default=10, help="length of the fixed-rate run"
    )
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--server", default="uvicorn", choices=["uvicorn", "daphne"])
    parser.add_argument(
        "--processes", type=int, default=1, help="Tidings server processes"
    )
    parser.add_argument("--layer", default="pubsub", choices=["pubsub", "core"])
    parser.add_argument(
        "--only", default="", help="comma list: websockets,socketio,tidings,tidings-sio"
    )
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="permessage-deflate on every server and client (default: off); "
        "the load client is then the websockets library",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        default=1,
        help="load client processes sharing the connections (raw client only)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check the raw client's frame parsing and lost/dup counts, then exit",
    )
    parser.add_argument("--load-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_worker:
        await load_worker()
        return
    if args.self_test:
        await self_test()
        print("self-test passed")
        return
    global COMPRESSION
    COMPRESSION = "deflate" if args.deflate else None
    only = set(filter(None, args.only.split(",")))

    def wanted(name: str) -> bool:
        return not only or name in only

    redis_server = None
    redis_url = args.redis
    if not redis_url:
        redis_server = tools.RedisServer().start()
        redis_url = redis_server.url
    database = tools.Database()
    env = tools.server_env(
        database,
        redis_url,
        HEARTBEAT_INTERVAL="300",
        WS_RATE_LIMIT="100000",
        MONITOR_IN_PROCESS="0",
        **tools.ONE_ADDRESS_LOAD,
        UVICORN_WS_PER_MESSAGE_DEFLATE="true" if args.deflate else "false",
        REDIS_LAYER=args.layer,
    )
    tools.manage(env, "migrate", "--noinput")
    tools.manage(env, "seed_demo")
    servers = [
        tools.Server(env, server=args.server).start() for _ in range(args.processes)
    ]
    server = servers[0]
    pids = [one.proc.pid for one in servers if one.proc is not None]

    def spread(kind: str, path: str, *rest: Any) -> list[Spec]:
        """One client spec per connection, taking the server processes in turn."""
        return [
            (kind, servers[i % len(servers)].ws + path, *rest)
            for i in range(args.clients)
        ]

    started: list[subprocess.Popen[str]] = []

    def spawn(code: str) -> tuple[int, int]:
        port = tools.free_port()
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(port), COMPRESSION or ""],
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        tools.wait_for(lambda: tools.port_open(port), 30, "baseline server")
        return port, proc.pid

    # Publish the way services do (store in a transaction, send to Redis on
    # commit) from a process of its own, so the load client's loop is not in
    # the publishing path.
    publisher = subprocess.Popen(
        [sys.executable, "-c", TIDINGS_PUBLISHER, PAD],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    started.append(publisher)
    assert publisher.stdin is not None and publisher.stdout is not None
    if publisher.stdout.readline().strip() != "ready":
        raise RuntimeError("the publisher did not start")

    async def publish_tidings(n: int) -> None:
        assert publisher.stdin is not None
        publisher.stdin.write(f"{n}\n")
        publisher.stdin.flush()

    token = tools.login(server.base, "barista")
    results: list[Run] = []
    rss: dict[str, float] = {}
    try:
        if wanted("websockets"):
            port, pid = spawn(WEBSOCKETS_BASELINE)
            pub = await Publisher.open(
                ("plain", f"ws://127.0.0.1:{port}/publish"), args.deflate
            )

            async def publish_ws(n: int) -> None:
                await pub.send(
                    json.dumps(
                        {
                            "event": "bench",
                            "data": {"n": n, "pad": PAD},
                            "room": "kitchen",
                            "seq": n,
                        }
                    )
                )

            burst, steady, rss["websockets"] = await measure(
                "plain websockets broadcast",
                [("plain", f"ws://127.0.0.1:{port}/")] * args.clients,
                publish_ws,
                pid,
                args,
                0,
            )
            results += [burst, steady]
            await pub.close()
        if wanted("socketio"):
            port, pid = spawn(SOCKETIO_BASELINE)
            pub = await Publisher.open(
                ("socketio", f"ws://127.0.0.1:{port}", None, False), args.deflate
            )

            async def publish_sio(n: int) -> None:
                await pub.send("42" + json.dumps(["publish", {"n": n, "pad": PAD}]))

            burst, steady, rss["socketio"] = await measure(
                "python-socketio alone",
                [("socketio", f"ws://127.0.0.1:{port}", None, False)] * args.clients,
                publish_sio,
                pid,
                args,
                1_000_000,
            )
            results += [burst, steady]
            await pub.close()
        assert server.proc is not None
        label = f"tidings {args.server} {args.layer}"
        if args.processes > 1:
            label += f" x{args.processes} processes"
        if wanted("tidings"):
            burst, steady, rss["tidings"] = await measure(
                f"{label} native",
                spread("native", f"/ws/orders/?token={token}"),
                publish_tidings,
                pids,
                args,
                2_000_000,
            )
            results += [burst, steady]
        if wanted("tidings-sio"):
            burst, steady, rss["tidings-sio"] = await measure(
                f"{label} socket.io",
                spread("socketio", "", token, True),
                publish_tidings,
                pids,
                args,
                3_000_000,
            )
            results += [burst, steady]
        print(
            f"\n{args.clients} clients in one room; burst of {args.events} events, then "
            f"{args.rate:g} events/s for {args.seconds:g} s; one server process each; "
            f"frames of ~190 bytes; compression {'on' if args.deflate else 'off'}"
        )
        if args.deflate:
            print(
                "load client: the websockets library, one reader task per connection "
                "(compression needs it; the raw-frame client does none)"
            )
        else:
            print(
                f"load client: raw frames (bench/rawws.py), {args.client_processes} "
                f"process{'es' if args.client_processes > 1 else ''}"
            )
        print_table("Fan-out", results, results[0])
        print(
            "\nRSS per connected client: "
            + ", ".join(f"{name} {value / 1024:.1f} KiB" for name, value in rss.items())
        )
    finally:
        for proc in started:
            proc.terminate()
        for one in servers:
            one.stop()
        database.drop()
        if redis_server:
            redis_server.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
