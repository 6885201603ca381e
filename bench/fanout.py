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

Tidings events are published the way services publish them: a transaction
that stores the event, then a send to Redis on commit. Needs Redis
(REDIS_URL or a local redis-server). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), max_queue=None,
                                compression=sys.argv[2] or None):
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


# -- client dialects: each connects, joins the kitchen and answers keep-alives --


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
    # CPU seconds of this load client process over the same span.
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
                now = time.perf_counter()
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

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(c.close() for c in self.conns), return_exceptions=True)


async def drive(
    name: str,
    clients: Clients,
    publish: Callable[[int], Awaitable[None]],
    pid: int | list[int],
    events: int,
    rate: float | None,
    offset: int,
) -> Run:
    run = Run(name)
    clients.run, clients.expected = run, events * len(clients.conns)
    clients.done.clear()
    for seen in clients.seen:
        seen.clear()
    cpu0, t0 = proc_cpu(pid), time.perf_counter()
    client0 = time.process_time()
    for i in range(events):
        n = offset + i
        run.sent[n] = time.perf_counter()
        await publish(n)
        if rate:
            await asyncio.sleep(max(0.0, t0 + (i + 1) / rate - time.perf_counter()))
    try:
        await asyncio.wait_for(clients.done.wait(), max(30.0, events / 20))
    except TimeoutError:
        pass
    run.lost = events * len(clients.conns) - run.received
    run.seconds = max(run.last_receipt - t0, 1e-6)
    run.cpu = proc_cpu(pid) - cpu0
    run.client_cpu = time.process_time() - client0
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
    count: int,
    open_one: Callable[[], Awaitable[Any]],
    publish: Callable[[int], Awaitable[None]],
    pid: int | list[int],
    args: argparse.Namespace,
    offset: int,
) -> tuple[Run, Run, float]:
    rss0 = proc_rss(pid)
    clients = Clients(count, open_one)
    await clients.open()
    rss = (proc_rss(pid) - rss0) / count
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
        help="permessage-deflate on every server and client (default: off)",
    )
    args = parser.parse_args()
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
    turn = iter(range(10**9))

    def next_server() -> tools.Server:
        return servers[next(turn) % len(servers)]

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
            pub = await websockets.connect(
                f"ws://127.0.0.1:{port}/publish", compression=COMPRESSION
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
                args.clients,
                lambda: plain_client(f"ws://127.0.0.1:{port}/"),
                publish_ws,
                pid,
                args,
                0,
            )
            results += [burst, steady]
            await pub.close()
        if wanted("socketio"):
            port, pid = spawn(SOCKETIO_BASELINE)
            pub = await socketio_client(f"ws://127.0.0.1:{port}", join=False)

            async def publish_sio(n: int) -> None:
                await pub.send("42" + json.dumps(["publish", {"n": n, "pad": PAD}]))

            burst, steady, rss["socketio"] = await measure(
                "python-socketio alone",
                args.clients,
                lambda: socketio_client(f"ws://127.0.0.1:{port}", join=False),
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
                args.clients,
                lambda: native_client(f"{next_server().ws}/ws/orders/?token={token}"),
                publish_tidings,
                pids,
                args,
                2_000_000,
            )
            results += [burst, steady]
        if wanted("tidings-sio"):
            burst, steady, rss["tidings-sio"] = await measure(
                f"{label} socket.io",
                args.clients,
                lambda: socketio_client(next_server().ws, token),
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
