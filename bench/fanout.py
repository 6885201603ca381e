"""Fan-out benchmark: N clients in the `kitchen` room, events through the real path.

Starts, in one run and on 127.0.0.1 only:
  - a plain `websockets` broadcast server (the baseline), and
  - a Tidings server process (uvicorn, Redis channel layer, its own database),
then opens N clients on each, publishes E events as a burst and at a fixed
rate, and prints delivered msg/s, latency from publish to receipt
(p50/p95/p99/max), lost and duplicated events, server CPU per delivered
message and RSS per idle connection, side by side with the ratio to the
baseline.

    python bench/fanout.py --clients 1000 --events 200 --rate 50 --seconds 10

Needs Redis (REDIS_URL or a local redis-server). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import tools  # noqa: E402

BASELINE_SERVER = r"""
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
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), max_queue=None):
        print("ready", flush=True)
        await asyncio.Future()
asyncio.run(main())
"""

PAD = "x" * 60  # makes each frame about 190 bytes, like an order event


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
        }


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        parts = stat.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Clients:
    def __init__(self, url: str, count: int, join: dict | None) -> None:
        self.url, self.count, self.join = url, count, join
        self.conns: list = []
        self.seen: list[set[int]] = []
        self.tasks: list[asyncio.Task] = []
        self.run: Run | None = None
        self.expected = 0
        self.done = asyncio.Event()

    async def open(self) -> None:
        async def one(index: int) -> None:
            conn = await websockets.connect(self.url, max_queue=None, open_timeout=60)
            if self.join is not None:
                await conn.recv()  # connected
                await conn.send(
                    json.dumps({"event": "join_room", "data": self.join, "ref": "j"})
                )
                while json.loads(await conn.recv()).get("ref") != "j":
                    pass
            self.conns.append(conn)
            self.seen.append(set())
            self.tasks.append(
                asyncio.ensure_future(self.reader(conn, len(self.seen) - 1))
            )

        sem = asyncio.Semaphore(100)

        async def limited(i: int) -> None:
            async with sem:
                await one(i)

        await asyncio.gather(*(limited(i) for i in range(self.count)))

    async def reader(self, conn, index: int) -> None:  # type: ignore[no-untyped-def]
        seen = self.seen[index]
        async for raw in conn:
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("event") == "heartbeat":
                await conn.send('{"event":"heartbeat_ack"}')
                continue
            data = frame.get("data") or {}
            n = data.get("n") if isinstance(data, dict) else None
            run = self.run
            if n is None or run is None:
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

    def start(self, run: Run, events: int) -> None:
        self.run, self.expected = run, events * len(self.conns)
        self.done.clear()
        for seen in self.seen:
            seen.clear()

    async def finish(self, run: Run, events: int, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.done.wait(), timeout)
        except TimeoutError:
            pass
        run.lost = events * len(self.conns) - run.received

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(c.close() for c in self.conns), return_exceptions=True)


async def drive(
    name: str,
    clients: Clients,
    publish,
    pid: int,
    events: int,  # type: ignore[no-untyped-def]
    rate: float | None,
    offset: int,
) -> Run:
    run = Run(name)
    clients.start(run, events)
    cpu0, t0 = proc_cpu(pid), time.perf_counter()
    for i in range(events):
        n = offset + i
        run.sent[n] = time.perf_counter()
        await publish(n)
        if rate:
            await asyncio.sleep(max(0.0, t0 + (i + 1) / rate - time.perf_counter()))
    await clients.finish(run, events, timeout=max(30.0, events / 50))
    # Delivered frames per second, from the first publish to the last receipt.
    run.seconds = max(run.last_receipt - t0, 1e-6)
    run.cpu = proc_cpu(pid) - cpu0
    return run


def print_table(
    rows: list[tuple[str, dict[str, float]]], baseline: dict[str, float]
) -> None:
    cols = [
        "msg/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "lost",
        "dup",
        "cpu us/msg",
    ]
    print(f"{'run':38}" + "".join(f"{c:>12}" for c in cols) + f"{'vs base':>10}")
    for name, row in rows:
        ratio = row["msg/s"] / baseline["msg/s"] if baseline["msg/s"] else 0
        print(
            f"{name:38}" + "".join(f"{row[c]:>12.1f}" for c in cols) + f"{ratio:>9.0%}"
        )


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
    args = parser.parse_args()

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
        BACKGROUND_TASKS="1",
    )
    tools.manage(env, "migrate", "--noinput")
    tools.manage(env, "seed_demo")
    server = tools.Server(env).start()

    base_port = tools.free_port()
    baseline = subprocess.Popen(
        [sys.executable, "-c", BASELINE_SERVER, str(base_port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert baseline.stdout is not None and baseline.stdout.readline().strip() == "ready"

    # Publish in this process through the real path: a service call that
    # stores the event and sends it to Redis on commit.
    os.environ.update(
        {k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX")}
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.db import transaction

    import realtime

    def publish_sync(n: int) -> None:
        with transaction.atomic():
            realtime.publish("kitchen", "bench", {"n": n, "pad": PAD})

    async def publish_tidings(n: int) -> None:
        await asyncio.to_thread(publish_sync, n)

    token = tools_token(server.base)
    results: list[tuple[str, dict[str, float]]] = []
    try:
        base_clients = Clients(f"ws://127.0.0.1:{base_port}/", args.clients, None)
        await base_clients.open()
        pub = await websockets.connect(f"ws://127.0.0.1:{base_port}/publish")

        async def publish_base(n: int) -> None:
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

        rate_events = int(args.rate * args.seconds)
        b_burst = await drive(
            "baseline websockets, burst",
            base_clients,
            publish_base,
            baseline.pid,
            args.events,
            None,
            0,
        )
        b_rate = await drive(
            f"baseline websockets, {args.rate:g} ev/s",
            base_clients,
            publish_base,
            baseline.pid,
            rate_events,
            args.rate,
            10**6,
        )
        await base_clients.close()
        await pub.close()

        rss0 = proc_rss(server.proc.pid)
        t_clients = Clients(
            f"{server.ws}/ws/orders/?token={token}",
            args.clients,
            {"roomType": "kitchen"},
        )
        await t_clients.open()
        rss_per_conn = (proc_rss(server.proc.pid) - rss0) / args.clients
        t_burst = await drive(
            "tidings, burst",
            t_clients,
            publish_tidings,
            server.proc.pid,
            args.events,
            None,
            0,
        )
        t_rate = await drive(
            f"tidings, {args.rate:g} ev/s",
            t_clients,
            publish_tidings,
            server.proc.pid,
            rate_events,
            args.rate,
            10**6,
        )
        await t_clients.close()
        results = [
            (b_burst.name, b_burst.row()),
            (b_rate.name, b_rate.row()),
            (t_burst.name, t_burst.row()),
            (t_rate.name, t_rate.row()),
        ]
        print(
            f"\n{args.clients} clients, burst of {args.events} events, "
            f"{rate_events} events at {args.rate:g}/s; one server process each\n"
        )
        print_table(results, b_burst.row())
        print(f"\ntidings RSS per idle connection: {rss_per_conn / 1024:.1f} KiB")
    finally:
        baseline.terminate()
        server.stop()
        database.drop()
        if redis_server:
            redis_server.cleanup()


def tools_token(base: str) -> str:
    import httpx

    response = httpx.post(
        f"{base}/api/auth/token/", json={"username": "barista", "password": "barista"}
    )
    response.raise_for_status()
    return response.json()["access"]


if __name__ == "__main__":
    asyncio.run(main())
