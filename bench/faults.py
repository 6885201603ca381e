"""Fault runs: two server processes under load while a process, Redis or PostgreSQL goes away.

On 127.0.0.1 only: two Tidings server processes share PostgreSQL and Redis,
each reached through a fault proxy (tests/faultproxy.py) that can cut every
connection and refuse new ones. N clients, split over both servers, sit in
the `kiosk` room and resume with `lastSeq` whenever their socket drops
(on any live server, as behind a load balancer); staff announcements are
published at a fixed rate through REST on the first server, so clients of
the second get them across processes. Runs, one after the other:

  kill     the second server is killed with SIGKILL and started again
  term     the second server is stopped with SIGTERM and started again
  redis    Redis cut for --redis-down seconds
  pg       PostgreSQL restarted (cut, restored at once)
  pgstop   PostgreSQL cut for --pg-down seconds

and prints, per run: reconnect time, lost/duplicated/reordered events per
client, the answers of REST requests and new socket handshakes during the
outage (JSON 503s, other answers, non-JSON or other 5xx), warnings and
tracebacks in the server logs, and the time until everything works again.

    python bench/faults.py --clients 500 --rate 20 --redis-down 30 --pg-down 10

Needs PostgreSQL (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres)
and Redis (REDIS_URL, default redis://127.0.0.1:6379/0). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import tools  # noqa: E402
from tests.faultproxy import FaultProxy  # noqa: E402

ROOM = "kiosk"
JOIN_REF = "join"


def seq_of(raw: str) -> int | None:
    """The seq of a kiosk room frame, without decoding all of it."""
    if '"room":"kiosk"' not in raw:
        return None
    at = raw.rfind('"seq":')
    if at < 0:
        return None
    end = start = at + 6
    while end < len(raw) and raw[end].isdigit():
        end += 1
    return int(raw[start:end]) if end > start else None


class Deliveries:
    """When each seq reached how many clients."""

    def __init__(self) -> None:
        self.count: Counter[int] = Counter()
        self.last: dict[int, float] = {}
        self.committed: dict[int, float] = {}

    def got(self, seq: int, now: float) -> None:
        self.count[seq] += 1
        self.last[seq] = now


class Client:
    """A kiosk screen: joins the room, resumes with lastSeq after any drop."""

    def __init__(
        self, index: int, cluster: Cluster, deliveries: Deliveries, home: int
    ) -> None:
        self.index = index
        self.cluster = cluster
        self.deliveries = deliveries
        self.home = home
        self.start: int | None = None
        self.last: int | None = None
        self.seen: set[int] = set()
        self.duplicates = 0
        self.reordered = 0
        self.drops = 0
        self.dropped_at: float | None = None
        self.reconnects: list[float] = []
        self.opened: list[float] = []  # from the drop to the new socket's handshake
        self.opened_at: float | None = None
        self.join_replies: list[float] = []  # from a reconnect's handshake to its reply
        self.joined = asyncio.Event()
        self.stopped = False
        self.conn: Any = None
        self.url = ""
        self.task: asyncio.Task[None] | None = None
        self._closing: asyncio.Future[None] | None = None

    def urls(self) -> list[str]:
        servers = self.cluster.servers
        order = [servers[self.home]] + [
            s for i, s in enumerate(servers) if i != self.home
        ]
        return [f"{s.ws}/ws/orders/" for s in order]

    async def _open(self) -> Any:
        delay = 0.1
        while not self.stopped:
            for url in self.urls():
                try:
                    conn = await websockets.connect(
                        url, open_timeout=5, max_queue=None, compression=None
                    )
                except (OSError, websockets.WebSocketException, TimeoutError):
                    continue
                join: dict[str, Any] = {"roomType": ROOM}
                if self.last is not None:
                    join["lastSeq"] = self.last
                self.url = url
                if self.dropped_at is not None:
                    self.opened.append(time.monotonic() - self.dropped_at)
                    self.opened_at = time.monotonic()
                await conn.send(
                    json.dumps({"event": "join_room", "data": join, "ref": JOIN_REF})
                )
                return conn
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        return None

    async def run(self) -> None:
        while not self.stopped:
            conn = self.conn = await self._open()
            if conn is None:
                return
            try:
                async for raw in conn:
                    if isinstance(raw, bytes):
                        continue
                    if raw.startswith('{"event":"heartbeat"'):
                        await conn.send('{"event":"heartbeat_ack"}')
                        continue
                    if f'"ref":"{JOIN_REF}"' in raw:
                        self._joined(raw)
                        continue
                    seq = seq_of(raw)
                    if seq is not None:
                        self._got(seq)
            except websockets.ConnectionClosed:
                pass
            if self.stopped:
                return
            self.joined.clear()
            self.drops += 1
            if self.dropped_at is None:
                self.dropped_at = time.monotonic()

    def _joined(self, raw: str) -> None:
        frame = json.loads(raw)
        if frame["event"] != "join_room_success":
            # Refused (an outage): drop the socket and try again.
            self._closing = asyncio.ensure_future(self.conn.close())
            return
        if self.start is None:
            self.start = self.last = frame["data"]["seq"]
        if self.opened_at is not None:
            self.join_replies.append(time.monotonic() - self.opened_at)
            self.opened_at = None
        self._back()
        self.joined.set()

    def _back(self) -> None:
        """Receiving the room again: its join reply or a first event (replayed or live)."""
        if self.dropped_at is not None:
            self.reconnects.append(time.monotonic() - self.dropped_at)
            self.dropped_at = None

    def _got(self, seq: int) -> None:
        if self.start is None or seq <= self.start:
            return  # from before this client's first join
        if seq in self.seen:
            self.duplicates += 1
            return
        if self.last is not None and seq < self.last:
            self.reordered += 1
        self.seen.add(seq)
        self._back()
        self.last = max(self.last or 0, seq)
        self.deliveries.got(seq, time.monotonic())

    def missing(self, final: int) -> int:
        if self.start is None:
            return final
        return sum(
            1 for seq in range(self.start + 1, final + 1) if seq not in self.seen
        )

    async def stop(self) -> None:
        self.stopped = True
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task


@dataclass
class Tally:
    """Answers seen during one phase of a run."""

    answers: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, what: str, example: str = "") -> None:
        key = f"{kind} {what}"
        self.answers[key] += 1
        if example and key not in self.examples:
            self.examples[key] = example[:200]


def classify(response: httpx.Response) -> str:
    is_json = response.headers.get("content-type", "").startswith("application/json")
    if response.status_code < 400:
        return "2xx/3xx"
    return f"{'JSON' if is_json else 'non-JSON'} {response.status_code}"


def is_bad(what: str) -> bool:
    """A non-JSON answer or a 5xx other than the JSON 503."""
    return what.startswith("non-JSON") or (
        what.startswith("JSON 5") and what != "JSON 503"
    )


_LEVEL = re.compile(
    r"\[(debug|info|warning|error|critical)\s*\]"
    r"|\b(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b"
    r'|"level": ?"(debug|info|warning|error|critical)"'
)


def log_level(line: str) -> str | None:
    """The level of a server log line (text, structlog text or JSON), if it starts a record."""
    found = _LEVEL.search(line if line.startswith("{") else line[:80])
    if found is None:
        return None
    return next(group for group in found.groups() if group).lower()


class Cluster:
    def __init__(
        self,
        env: dict[str, str],
        count: int = 2,
        redis_proxy: FaultProxy | None = None,
        pg_proxy: FaultProxy | None = None,
    ) -> None:
        self.env = env
        self.servers = [tools.Server(env) for _ in range(count)]
        self.redis_proxy = redis_proxy
        self.pg_proxy = pg_proxy

    def start(self) -> Cluster:
        for server in self.servers:
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def log_marks(self) -> list[int]:
        return [len(server.output()) for server in self.servers]

    def log_counts(self, marks: list[int]) -> dict[str, int]:
        counts = Counter({"warnings": 0, "errors": 0, "tracebacks": 0})
        for server, mark in zip(self.servers, marks, strict=True):
            for line in server.output()[mark:].splitlines():
                level = log_level(line)
                if level in ("warning", "error", "critical"):
                    counts["warnings" if level == "warning" else "errors"] += 1
                if line.startswith("Traceback") or '"exception": "Traceback' in line:
                    counts["tracebacks"] += 1
        return dict(counts)

    def log_text(self, marks: list[int]) -> str:
        return "\n".join(
            server.output()[mark:]
            for server, mark in zip(self.servers, marks, strict=True)
        )


class Load:
    """Clients, the publisher and the probes of one cluster."""

    def __init__(self, cluster: Cluster, clients: int, rate: float) -> None:
        self.cluster = cluster
        self.rate = rate
        self.deliveries = Deliveries()
        self.clients = [
            Client(i, cluster, self.deliveries, i % len(cluster.servers))
            for i in range(clients)
        ]
        self.token = tools.login(cluster.servers[0].base, "admin")
        self.http = httpx.AsyncClient(timeout=5)
        self.tally = Tally()
        self.publishing = False
        self.committed = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.probing = False

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def open(self, timeout: float = 60) -> None:
        sem = asyncio.Semaphore(50)

        async def one(client: Client) -> None:
            async with sem:
                client.task = asyncio.ensure_future(client.run())
                await asyncio.wait_for(client.joined.wait(), timeout)

        await asyncio.gather(*(one(c) for c in self.clients))

    async def publish_once(self, server: tools.Server) -> int | None:
        sent_at = time.monotonic()
        try:
            response = await self.http.post(
                f"{server.base}/api/realtime/announcements/",
                json={"room": ROOM, "message": "fault run"},
                headers=self.headers,
            )
        except httpx.HTTPError as exc:
            self.tally.add("publish", "no answer", repr(exc))
            return None
        what = classify(response)
        self.tally.add("publish", what, response.text)
        if response.status_code == 201:
            seq = int(response.json()["seq"])
            self.deliveries.committed[seq] = sent_at
            self.committed += 1
            return seq
        return None

    async def _publisher(self) -> None:
        t0 = time.monotonic()
        n = 0
        pending: set[asyncio.Task[int | None]] = set()
        while self.publishing:
            task = asyncio.ensure_future(self.publish_once(self.cluster.servers[0]))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
            await asyncio.sleep(max(0.0, t0 + n / self.rate - time.monotonic()))
        if pending:
            await asyncio.wait(pending, timeout=10)

    async def _probe(self) -> None:
        """REST reads and new socket handshakes on every live server, a few per second."""
        while self.probing:
            for server in self.cluster.servers:
                if server.proc is None:
                    continue
                for path, headers in (
                    ("/api/menus/", {}),
                    ("/api/realtime/stats/", self.headers),
                    ("/readyz", {}),
                ):
                    try:
                        response = await self.http.get(
                            server.base + path, headers=headers
                        )
                    except httpx.HTTPError as exc:
                        self.tally.add(path, "no answer", repr(exc))
                        continue
                    self.tally.add(path, classify(response), response.text)
                await self._handshake(server)
            await asyncio.sleep(0.25)

    async def _handshake(self, server: tools.Server) -> None:
        try:
            conn = await websockets.connect(
                f"{server.ws}/ws/orders/", open_timeout=3, compression=None
            )
        except websockets.InvalidStatus as exc:
            response = exc.response
            ctype = response.headers.get("content-type", "")
            what = (
                "JSON " if ctype.startswith("application/json") else "non-JSON "
            ) + str(response.status_code)
            self.tally.add("socket", what, response.body.decode(errors="replace"))
            return
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            self.tally.add("socket", "no answer", repr(exc))
            return
        try:
            await conn.send(
                json.dumps(
                    {"event": "join_room", "data": {"roomType": ROOM}, "ref": "p"}
                )
            )
            reply = ""
            while '"ref":"p"' not in reply:
                reply = str(await asyncio.wait_for(conn.recv(), 3))
            event = json.loads(reply)["event"]
            self.tally.add(
                "socket", "joined" if event == "join_room_success" else event
            )
        except (websockets.WebSocketException, TimeoutError) as exc:
            self.tally.add("socket", "closed", repr(exc))
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    def start_publishing(self) -> None:
        self.publishing = True
        self._tasks.append(asyncio.ensure_future(self._publisher()))

    def start_probing(self) -> None:
        self.probing = True
        self._tasks.append(asyncio.ensure_future(self._probe()))

    async def stop_background(self) -> None:
        self.publishing = self.probing = False
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def new_tally(self) -> Tally:
        self.tally = Tally()
        return self.tally

    async def rebalance(self, timeout: float = 60) -> None:
        """Every client back on its own server (a run moved some to the other)."""
        for client in self.clients:
            if client.url != client.urls()[0] and client.conn is not None:
                await client.conn.close()
        await until(
            lambda: (
                self.all_joined() and all(c.url == c.urls()[0] for c in self.clients)
            ),
            timeout,
        )

    def all_joined(self) -> bool:
        return all(c.joined.is_set() for c in self.clients)

    def have_everything(self, seq: int) -> bool:
        return self.deliveries.count[seq] >= sum(
            1 for c in self.clients if c.start is not None and c.start < seq
        )

    async def close(self) -> None:
        await self.stop_background()
        await asyncio.gather(*(c.stop() for c in self.clients))
        await self.http.aclose()


async def until(
    predicate: Callable[[], bool], timeout: float, step: float = 0.05
) -> float:
    """Seconds until `predicate` held; raises TimeoutError past `timeout`."""
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError
        await asyncio.sleep(step)
    return time.monotonic() - t0


def room_seq(database_url: str) -> int:
    """The room's last committed seq, read straight from the database."""
    query = "SELECT last_seq FROM realtime_roomsequence WHERE room = "
    if database_url.startswith("sqlite:///"):
        import sqlite3

        with contextlib.closing(
            sqlite3.connect(database_url[len("sqlite:///") :])
        ) as db:
            found = db.execute(query + "?", (ROOM,)).fetchone()
    else:
        import psycopg

        with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as pg:
            found = pg.execute(query + "%s", (ROOM,)).fetchone()
    return int(found[0]) if found else 0


@dataclass
class Result:
    name: str
    outage: float = 0.0
    reconnect_max: float | None = None
    reconnect_p50: float | None = None
    open_max: float | None = None
    join_reply_max: float | None = None
    reconnected: int = 0
    drops: int = 0
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0
    committed: int = 0
    during: Tally = field(default_factory=Tally)
    logs: dict[str, int] = field(default_factory=dict)
    recover: float | None = None
    delivery_max_during: float | None = None
    notes: list[str] = field(default_factory=list)
    log_text: str = ""

    def bad(self) -> int:
        return sum(
            n for key, n in self.during.answers.items() if is_bad(key.split(" ", 1)[1])
        )

    def json503(self) -> int:
        return sum(
            n for key, n in self.during.answers.items() if key.endswith(" JSON 503")
        )


async def recovered_within(load: Load, timeout: float) -> float:
    """From now until a REST publish works and its event reached every client."""
    t0 = time.monotonic()
    seq = None
    while seq is None:
        if time.monotonic() - t0 > timeout:
            raise TimeoutError("no REST publish worked")
        seq = await load.publish_once(load.cluster.servers[-1])
        if seq is None:
            await asyncio.sleep(0.1)
    remaining = timeout - (time.monotonic() - t0)
    await until(lambda: load.have_everything(seq), max(remaining, 0.1))
    return time.monotonic() - t0


async def fault_run(
    load: Load,
    name: str,
    fault: Callable[[], Awaitable[None]],
    database_url: str,
    settle: float = 2.0,
    recover_timeout: float = 30.0,
) -> Result:
    """Steady load, `fault()` (which returns when the fault is over), then the accounting."""
    result = Result(name)
    cluster = load.cluster
    load.new_tally()
    for client in load.clients:
        client.reconnects.clear()
        client.opened.clear()
        client.join_replies.clear()
        client.drops = 0
    committed0 = load.committed
    load.start_publishing()
    await asyncio.sleep(settle)
    marks = cluster.log_marks()
    result.during = load.new_tally()
    load.start_probing()
    t0 = time.monotonic()
    fault_started = t0
    await fault()
    result.outage = time.monotonic() - fault_started
    load.probing = False
    load.new_tally()
    try:
        result.recover = await recovered_within(load, recover_timeout)
    except TimeoutError as exc:
        result.notes.append(f"not recovered within {recover_timeout:g} s: {exc}")
    await asyncio.sleep(settle)
    await load.stop_background()
    # Every committed event: the room's seq in the database, not what the
    # publisher saw answered (a request cut off may still have committed).
    final = room_seq(database_url)
    try:
        await until(lambda: load.all_joined() and load.have_everything(final), 30)
    except TimeoutError:
        result.notes.append("some clients never got every event")
    result.logs = cluster.log_counts(marks)
    result.log_text = cluster.log_text(marks)
    result.committed = load.committed - committed0
    result.drops = sum(c.drops for c in load.clients)
    times = [t for c in load.clients for t in c.reconnects]
    result.reconnected = len(times)
    result.reconnect_max = max(times) if times else None
    result.reconnect_p50 = sorted(times)[len(times) // 2] if times else None
    opened = [t for c in load.clients for t in c.opened]
    result.open_max = max(opened) if opened else None
    replies = [t for c in load.clients for t in c.join_replies]
    result.join_reply_max = max(replies) if replies else None
    result.lost = sum(c.missing(final) for c in load.clients)
    result.duplicated = sum(c.duplicates for c in load.clients)
    result.reordered = sum(c.reordered for c in load.clients)
    during = [
        load.deliveries.last[seq] - at
        for seq, at in load.deliveries.committed.items()
        if at >= t0 and seq in load.deliveries.last
    ]
    result.delivery_max_during = max(during) if during else None
    return result


# -- the faults ---------------------------------------------------------------------


def restart_second(
    cluster: Cluster, sig: int, down: float
) -> Callable[[], Awaitable[None]]:
    async def fault() -> None:
        server = cluster.servers[-1]
        await asyncio.to_thread(server.stop, sig)
        await asyncio.sleep(down)
        await asyncio.to_thread(server.start)

    return fault


def cut(proxy: FaultProxy, down: float) -> Callable[[], Awaitable[None]]:
    async def fault() -> None:
        proxy.cut()
        await asyncio.sleep(down)
        proxy.restore()

    return fault


# -- the report ---------------------------------------------------------------------


def fmt(value: float | None, unit: str = " s") -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def print_result(result: Result, clients: int) -> None:
    print(f"\n### {result.name}\n")
    print(f"- outage (fault to restored): {result.outage:.1f} s")
    print(
        f"- sockets dropped: {result.drops}; back: {result.reconnected}; "
        f"back after {fmt(result.reconnect_p50)} (median), "
        f"{fmt(result.reconnect_max)} (slowest), counted to the first event or "
        f"join reply; new socket open after at most {fmt(result.open_max)}; "
        f"slowest join reply {fmt(result.join_reply_max)} after the handshake"
    )
    print(
        f"- events committed by the publisher: {result.committed}; over {clients} clients "
        f"lost {result.lost}, duplicated {result.duplicated}, reordered {result.reordered}"
    )
    print(
        f"- slowest delivery of an event published from the fault on: {fmt(result.delivery_max_during)}"
    )
    print(
        f"- during the outage: {result.json503()} JSON 503, {result.bad()} non-JSON or other 5xx"
    )
    for key, count in sorted(result.during.answers.items()):
        print(f"    {key}: {count}")
    for key, example in sorted(result.during.examples.items()):
        if is_bad(key.split(" ", 1)[1]):
            print(f"    e.g. {key}: {example!r}")
    print(
        f"- server logs: {result.logs.get('warnings', 0)} WARNING, "
        f"{result.logs.get('errors', 0)} ERROR, {result.logs.get('tracebacks', 0)} tracebacks"
    )
    print(
        f"- everything works again (REST publish reaches every client) after {fmt(result.recover)}"
    )
    for note in result.notes:
        print(f"- NOTE: {note}")


def print_log_lines(result: Result, limit: int = 12) -> None:
    lines = [
        line
        for line in result.log_text.splitlines()
        if log_level(line) in ("warning", "error", "critical")
    ]
    for line in lines[:limit]:
        print(f"    | {line[:200]}")
    if len(lines) > limit:
        print(f"    | ... {len(lines) - limit} more")


def service_port(url: str, default: int) -> int:
    return urlparse(url).port or default


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20, help="events/s")
    parser.add_argument("--redis-down", type=float, default=30)
    parser.add_argument("--pg-down", type=float, default=10)
    parser.add_argument(
        "--restart-after", type=float, default=1.0, help="s a killed server stays down"
    )
    parser.add_argument("--runs", default="kill,term,redis,pg,pgstop")
    parser.add_argument(
        "--database",
        default=os.environ.get(
            "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--logs", action="store_true", help="print the warning lines")
    parser.add_argument(
        "--log-dir", default="", help="write each run's server logs here"
    )
    args = parser.parse_args()
    runs = [r for r in args.runs.split(",") if r]

    os.environ["DATABASE_URL"] = args.database
    database = tools.Database()
    redis_proxy = FaultProxy(service_port(args.redis, 6379)).start()
    pg_proxy = FaultProxy(service_port(args.database, 5432)).start()
    env = tools.server_env(
        database,
        redis_proxy.url(args.redis),
        DATABASE_URL=pg_proxy.url(database.url),
        WS_RATE_LIMIT="100000",
        MONITOR_IN_PROCESS="0",
        **tools.ONE_ADDRESS_LOAD,
    )
    direct = dict(env, DATABASE_URL=database.url)
    tools.manage(direct, "migrate", "--noinput")
    tools.manage(direct, "seed_demo")
    cluster = Cluster(env, 2, redis_proxy, pg_proxy).start()
    load = Load(cluster, args.clients, args.rate)
    results: list[Result] = []
    try:
        t0 = time.monotonic()
        await load.open()
        print(f"{args.clients} clients joined in {time.monotonic() - t0:.1f} s")
        faults = {
            "kill": (
                "server killed (SIGKILL) and started again",
                restart_second(cluster, signal.SIGKILL, args.restart_after),
            ),
            "term": (
                "server stopped (SIGTERM) and started again",
                restart_second(cluster, signal.SIGTERM, args.restart_after),
            ),
            "redis": (
                f"Redis down {args.redis_down:g} s",
                cut(redis_proxy, args.redis_down),
            ),
            "pg": ("PostgreSQL restarted", cut(pg_proxy, 0.5)),
            "pgstop": (
                f"PostgreSQL stopped {args.pg_down:g} s",
                cut(pg_proxy, args.pg_down),
            ),
        }
        for run in runs:
            title, fault = faults[run]
            await load.rebalance()
            result = await fault_run(load, title, fault, database.url)
            results.append(result)
            print_result(result, args.clients)
            if args.logs:
                print_log_lines(result)
            if args.log_dir:
                Path(args.log_dir).mkdir(parents=True, exist_ok=True)
                (Path(args.log_dir) / f"{run}.log").write_text(result.log_text)
            await until(load.all_joined, 30)
    finally:
        await load.close()
        cluster.stop()
        redis_proxy.close()
        pg_proxy.close()
        database.drop()
    print(
        f"\n{args.clients} clients over 2 servers, {args.rate:g} events/s published "
        "through REST on the first server"
    )
    print(
        "\n| run | reconnect max | lost | dup | reordered | JSON 503 | non-JSON/5xx | warnings | tracebacks | recovered after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.name} | {fmt(r.reconnect_max)} | {r.lost} | {r.duplicated} | {r.reordered} "
            f"| {r.json503()} | {r.bad()} | {r.logs.get('warnings', 0)} "
            f"| {r.logs.get('tracebacks', 0)} | {fmt(r.recover)} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
