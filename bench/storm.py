"""Reconnect storm: N clients back after a server restart while events flow.

N clients (default 10,000, spread over several client processes on the raw
frame client of bench/rawws.py) connect to one Tidings server (PostgreSQL
and Redis when DATABASE_URL / REDIS_URL are set, `--workers` processes on
its port), authenticate with a barista token and join `kitchen`. Events are
published to the room at `--rate` per second the way services publish them
(a transaction, then Redis), from their own process, before, during and
after the restart. The server is then stopped (SIGTERM, or SIGKILL with
`--kill`) and started again on the same port. Every client reconnects the
way the browser client does (`?resume=`, `lastSeq`, backoff from 1 s up to
5 s with +-20% jitter; `--no-jitter`: at once, and every 50 ms while
refused) and checks the `seq` of every event it gets.

Reported: time from the stop until every client is back (rejoined) and
until every client has every event published before the server was up
again, events lost (a gap in a client's seqs) and duplicated, resyncs,
server and client CPU. Then the same storm against a plain `websockets`
server (reconnect only: it has no rooms, history or auth).

    python bench/storm.py --clients 10000 --client-processes 2
    python bench/storm.py --clients 1000 --kill --no-jitter

127.0.0.1 only, bounded in time (`--timeout`). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import rawws  # noqa: E402
from bench.fanout import (  # noqa: E402
    PAD,
    WEBSOCKETS_BASELINE,
    ProcessClients,
    pack,
    proc_cpu,
    unpack,
)
from tests import tools  # noqa: E402

# Reads a line per event on stdin, publishes it to `kitchen`, prints its seq.
PUBLISHER = r"""
import sys, django
django.setup()
from django.db import transaction
import realtime
print("ready", flush=True)
for line in sys.stdin:
    with transaction.atomic():
        seq = realtime.publish("kitchen", "bench", {"n": int(line), "pad": sys.argv[1]})
    print(seq, flush=True)
"""

SEQ = re.compile(rb'"seq":(\d+)')
BACKOFF_START, BACKOFF_MAX = 1.0, 5.0  # as static/realtime/tidings.js


class StormClient:
    """One client: connects, joins, reconnects with its lastSeq, counts seqs."""

    def __init__(self, owner: Storm, url: str, plain: bool) -> None:
        self.owner, self.url, self.plain = owner, url, plain
        self.conn: rawws.RawWebSocket | None = None
        self.watcher: asyncio.Future[None] | None = None
        self.connection_id = ""
        self.last = 0
        self.lost = self.dups = self.resyncs = 0
        self.attempts = 0
        self.backoff = BACKOFF_START
        self.join_sent = 0.0
        self.first_join_s = 0.0  # the first join's reply time
        self.closed_at = 0.0  # when the storm closed its socket
        self.back_at = 0.0  # when it had rejoined

    async def connect(self) -> None:
        """Connect and join, retrying as the browser client does, until it works."""
        while True:
            self.attempts += 1
            try:
                await self._connect_once()
                self.backoff = BACKOFF_START
                return
            except (
                OSError,
                TimeoutError,
                ValueError,
                KeyError,
                rawws.HandshakeError,
                rawws.ProtocolError,
                rawws.ConnectionClosed,
            ) as exc:
                self.owner.why[self._why(exc)] += 1
            await asyncio.sleep(self._delay())

    @staticmethod
    def _why(exc: BaseException) -> str:
        text = str(exc)
        if isinstance(exc, rawws.HandshakeError) and "answer" in text:
            return text[:40]
        if isinstance(exc, OSError) and exc.errno is not None:
            return f"{type(exc).__name__} {exc.errno}"
        if isinstance(exc, rawws.ConnectionClosed):
            return f"closed {exc.args[0] if exc.args else ''}"
        return type(exc).__name__

    def _delay(self) -> float:
        if not self.owner.jitter:
            return 0.05
        delay = self.backoff * (0.8 + random.random() * 0.4)
        self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        return delay

    async def _connect_once(self) -> None:
        url = self.url
        if self.connection_id:
            url += f"&resume={self.connection_id}"
        conn = await rawws.connect(url, timeout=30)
        if self.plain:
            self.conn = conn
            conn.set_handler(lambda payload, at: None)
            self.watcher = asyncio.ensure_future(self._watch(conn))
            self.owner.joined(self)
            return
        hello = json.loads(await asyncio.wait_for(conn.recv(), 30))
        self.connection_id = hello["data"]["connectionId"]
        data: dict[str, Any] = {"roomType": "kitchen"}
        if self.last:
            data["lastSeq"] = self.last
        self.join_sent = time.monotonic()
        conn.send_text(json.dumps({"event": "join_room", "data": data, "ref": "j"}))
        self.conn = conn
        conn.set_handler(self.on_text)
        self.watcher = asyncio.ensure_future(self._watch(conn))

    async def _watch(self, conn: rawws.RawWebSocket) -> None:
        await conn.closed
        if self.conn is conn and not self.owner.closing:
            self.conn = None
            if self.closed_at:  # closed again after the storm's first close
                self.owner.why[f"dropped {conn.close_code}"] += 1
            if not self.closed_at:
                self.closed_at = time.monotonic()
            await asyncio.sleep(self._delay() if self.owner.jitter else 0)
            await self.connect()

    def on_text(self, payload: bytes, at: float) -> None:
        if payload.startswith(b'{"event":"heartbeat"'):
            if self.conn is not None:
                self.conn.send_text(b'{"event":"heartbeat_ack"}')
            return
        if b'"event":"bench"' in payload:
            match = SEQ.search(payload)
            if match is None:
                return
            seq = int(match.group(1))
            if seq <= self.last:
                self.dups += 1
                return
            if self.last and seq > self.last + 1:
                self.lost += seq - self.last - 1
            self.last = seq
            self.owner.progressed(self)
            return
        if b'"ref":"j"' in payload:
            frame = json.loads(payload)
            if frame["event"] != "join_room_success":
                print(f"join refused: {payload[:200]!r}", file=sys.stderr)
                return
            if not self.last:
                self.last = frame["data"]["seq"]
            if not self.first_join_s:
                self.first_join_s = time.monotonic() - self.join_sent
            self.owner.joined(self)
        elif b'"event":"resync_required"' in payload:
            self.resyncs += 1
            self.last = json.loads(payload)["data"]["seq"]


class Storm:
    """The clients of one client process."""

    def __init__(self, url: str, count: int, jitter: bool, plain: bool) -> None:
        self.jitter = jitter
        self.closing = False
        self.why: Counter[str] = Counter()  # failed attempts and drops, by reason
        self.clients = [StormClient(self, url, plain) for _ in range(count)]
        self.waiting: set[StormClient] = set(self.clients)
        self.on_all_joined: asyncio.Future[float] | None = None
        self.target = 0
        self.behind: set[StormClient] = set()
        self.on_caught: asyncio.Future[float] | None = None

    async def open(self) -> float:
        loop = asyncio.get_running_loop()
        self.on_all_joined = loop.create_future()
        sem = asyncio.Semaphore(500)

        async def one(client: StormClient) -> None:
            async with sem:
                await client.connect()

        await asyncio.gather(*(one(c) for c in self.clients))
        return await self.on_all_joined

    def arm(self) -> None:
        """From now on, count who has come back."""
        for client in self.clients:
            client.closed_at = client.back_at = 0.0
        self.waiting = set(self.clients)
        self.on_all_joined = asyncio.get_running_loop().create_future()

    def joined(self, client: StormClient) -> None:
        if client in self.waiting:
            client.back_at = time.monotonic()
        self.waiting.discard(client)
        if not self.waiting and self.on_all_joined and not self.on_all_joined.done():
            self.on_all_joined.set_result(time.monotonic())

    def expect(self, target: int) -> asyncio.Future[float]:
        """A future resolved when every client has seen seq `target`."""
        self.target = target
        self.behind = {c for c in self.clients if c.last < target}
        self.on_caught = asyncio.get_running_loop().create_future()
        if not self.behind:
            self.on_caught.set_result(time.monotonic())
        return self.on_caught

    def progressed(self, client: StormClient) -> None:
        if client.last >= self.target and client in self.behind:
            self.behind.discard(client)
            if not self.behind and self.on_caught and not self.on_caught.done():
                self.on_caught.set_result(time.monotonic())

    def report(self) -> dict[str, int]:
        return {
            "lost": sum(c.lost for c in self.clients),
            "dups": sum(c.dups for c in self.clients),
            "resyncs": sum(c.resyncs for c in self.clients),
            "attempts": sum(c.attempts for c in self.clients),
            "behind": len(self.behind),
            **{f"why: {reason}": n for reason, n in self.why.items()},
        }

    def times(self) -> tuple[list[float], list[float], list[float]]:
        return (
            [c.closed_at for c in self.clients],
            [c.back_at for c in self.clients],
            [c.first_join_s for c in self.clients],
        )

    async def close(self) -> None:
        self.closing = True
        conns = [c.conn for c in self.clients if c.conn is not None]
        await asyncio.gather(*(conn.close(timeout=5) for conn in conns))


async def client_process() -> None:
    """A client process: commands on stdin, answers on stdout (as bench/fanout.py)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer
    )

    def send(message: tuple[Any, ...]) -> None:
        sys.stdout.buffer.write(pack(message))
        sys.stdout.buffer.flush()

    storm: Storm | None = None
    pending: list[asyncio.Task[None]] = []
    while True:
        try:
            message = await unpack(reader)
        except asyncio.IncompleteReadError:
            break
        kind = message[0]
        if kind == "open":
            storm = Storm(*message[1:])
            send(("opened", await storm.open()))
        elif kind == "arm":
            assert storm is not None
            storm.arm()
            joined = storm.on_all_joined
            assert joined is not None

            async def report_back(future: asyncio.Future[float]) -> None:
                send(("back", await future))

            pending.append(asyncio.ensure_future(report_back(joined)))
            send(("armed",))
        elif kind == "expect":
            assert storm is not None
            caught = storm.expect(message[1])

            async def report_caught(future: asyncio.Future[float], tag: str) -> None:
                send((tag, await future))

            pending.append(asyncio.ensure_future(report_caught(caught, message[2])))
        elif kind == "report":
            assert storm is not None
            send(("report", storm.report(), storm.times()))
        elif kind == "close":
            if storm is not None:
                await storm.close()
            send(("closed",))
            break


class ClientProcesses:
    def __init__(self, processes: int) -> None:
        self.procs: list[asyncio.subprocess.Process] = []
        self.inboxes: list[asyncio.Queue[tuple[Any, ...]]] = []
        # Messages read while waiting for another kind, kept for their turn.
        self.stashes: list[list[tuple[Any, ...]]] = []
        self.readers: list[asyncio.Future[None]] = []
        self.count = processes

    async def start(self) -> None:
        for _ in range(self.count):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--client-process",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
            self.procs.append(proc)
            self.inboxes.append(inbox)
            self.stashes.append([])
            # Each process's answers into its inbox, as bench/fanout.py reads them.
            reader = ProcessClients.read(proc, inbox)
            self.readers.append(asyncio.ensure_future(reader))

    def send(self, message: tuple[Any, ...], k: int | None = None) -> None:
        for i, proc in enumerate(self.procs):
            if k is None or k == i:
                assert proc.stdin is not None
                proc.stdin.write(pack(message))

    async def expect(self, kind: str, timeout: float) -> list[tuple[Any, ...]]:
        async def one(k: int) -> tuple[Any, ...]:
            stash = self.stashes[k]
            for message in stash:
                if message[0] == kind:
                    stash.remove(message)
                    return message
            while True:
                message = await self.inboxes[k].get()
                if message[0] == kind:
                    return message
                if message[0] == "exited":
                    raise RuntimeError("a client process exited")
                stash.append(message)

        return list(
            await asyncio.wait_for(
                asyncio.gather(*(one(k) for k in range(self.count))), timeout
            )
        )

    def cpu(self) -> float:
        return proc_cpu([p.pid for p in self.procs])

    async def close(self) -> None:
        self.send(("close",))
        try:
            await self.expect("closed", 30)
        finally:
            for proc in self.procs:
                if proc.returncode is None:
                    proc.kill()
                await proc.wait()


def tree(pid: int) -> list[int]:
    """`pid` and its child processes (the workers of a supervisor)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [pid, *(int(p) for p in path.read_text().split())]
    except OSError:
        return [pid]


def tree_cpu(pid: int) -> float:
    try:
        return proc_cpu(tree(pid))
    except OSError:
        return 0.0


class PlainServer:
    """The plain `websockets` broadcast server of bench/fanout.py, restartable."""

    def __init__(self) -> None:
        self.port = tools.free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> PlainServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WEBSOCKETS_BASELINE, str(self.port), ""],
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == b"ready"
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            self.proc.send_signal(sig)
            self.proc.wait(30)
            self.proc = None


class Publisher:
    """Publishes `bench` events to `kitchen` at a rate, from its own process."""

    def __init__(self, env: dict[str, str], rate: float) -> None:
        self.env, self.rate = env, rate
        self.seq = 0
        self.sent = 0
        self.running = False
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            PUBLISHER,
            PAD,
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        assert (await self.proc.stdout.readline()).strip() == b"ready"
        self.running = True
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        started = time.monotonic()
        while self.running:
            self.sent += 1
            self.proc.stdin.write(f"{self.sent}\n".encode())
            self.seq = int(await self.proc.stdout.readline())
            await asyncio.sleep(
                max(0.0, started + self.sent / self.rate - time.monotonic())
            )

    async def stop(self) -> int:
        self.running = False
        if self.task is not None:
            await self.task
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        await self.proc.wait()
        return self.seq


async def storm(args: argparse.Namespace, name: str) -> dict[str, Any]:
    plain = name == "websockets"
    publisher: Publisher | None = None
    database: tools.Database | None = None
    server: tools.Server | PlainServer
    if plain:
        server = PlainServer().start()
        url = f"{server.ws}/?x=1"
    else:
        database = tools.Database()
        env = tools.server_env(
            database,
            os.environ.get("REDIS_URL") or None,
            DEBUG="0",
            SECRET_KEY="bench-" + os.urandom(8).hex(),
            ALLOWED_HOSTS="127.0.0.1",
            MONITOR_IN_PROCESS="0",
            WEB_CONCURRENCY=str(args.workers),
            **tools.ONE_ADDRESS_LOAD,
        )
        tools.manage(env, "migrate", "--noinput")
        tools.manage(env, "seed_demo")
        server = tools.Server(env).start()
        token = tools.login(server.base, "barista")
        url = f"{server.ws}/ws/orders/?token={token}"
        publisher = Publisher(env, args.rate)
    assert server.proc is not None
    clients = ClientProcesses(args.client_processes)
    await clients.start()
    share = [
        args.clients // args.client_processes
        + (1 if k < args.clients % args.client_processes else 0)
        for k in range(args.client_processes)
    ]
    result: dict[str, Any] = {"name": name}
    try:
        if publisher is not None and args.flow_while_joining:
            await publisher.start()
        cpu0 = tree_cpu(server.proc.pid)
        began = time.monotonic()
        for k, count in enumerate(share):
            clients.send(("open", url, count, not args.no_jitter, plain), k)
        opened = await clients.expect("opened", args.timeout)
        result["connect_s"] = max(m[1] for m in opened) - began
        result["connect_cpu_ms"] = (
            (tree_cpu(server.proc.pid) - cpu0) * 1000 / args.clients
        )
        if publisher is not None:
            if not publisher.running:
                await publisher.start()
            await asyncio.sleep(2)  # events flowing before the restart
        clients.send(("arm",))
        await clients.expect("armed", 30)

        # The restart: stop, then start again on the same port, while the
        # publisher goes on (its events wait in the database and Redis).
        sig = signal.SIGKILL if args.kill else signal.SIGTERM
        stopped_at = time.monotonic()
        await asyncio.to_thread(server.stop, sig)
        result["stopped_s"] = time.monotonic() - stopped_at
        await asyncio.to_thread(server.start)
        up_at = time.monotonic()
        assert server.proc is not None
        cpu1 = tree_cpu(server.proc.pid)
        result["down_s"] = up_at - stopped_at
        up_seq = publisher.seq if publisher is not None else 0
        if publisher is not None:
            clients.send(("expect", up_seq, "caught"))
        back = await clients.expect("back", args.timeout)
        result["back_s"] = max(m[1] for m in back) - stopped_at
        if publisher is not None:
            caught = await clients.expect("caught", args.timeout)
            result["caught_s"] = max(m[1] for m in caught) - stopped_at
            await asyncio.sleep(2)  # live events after the storm
            final = await publisher.stop()
            clients.send(("expect", final, "final"))
            try:
                await clients.expect("final", 30)
            except TimeoutError:
                pass
            result["events"] = final
        result["server_cpu_s"] = tree_cpu(server.proc.pid) - cpu1
        clients.send(("report",))
        reports = await clients.expect("report", 30)
        totals: Counter[str] = Counter()
        closed: list[float] = []
        backs: list[float] = []
        joins: list[float] = []
        for _, report, (closed_at, back_at, first_joins) in reports:
            totals.update(report)
            joins += [t for t in first_joins if t]
            closed += [t - stopped_at for t in closed_at if t]
            backs += sorted(t - stopped_at for t in back_at if t)
        result.update(totals)
        if joins:
            joins.sort()
            result["join_p50_ms"] = joins[len(joins) // 2] * 1000
            result["join_p99_ms"] = (
                joins[min(len(joins) - 1, len(joins) * 99 // 100)] * 1000
            )
        if closed:
            result["closed_first_s"], result["closed_last_s"] = min(closed), max(closed)
        if backs:
            backs.sort()
            result["back_p50_s"] = backs[len(backs) // 2]
            result["back_p99_s"] = backs[min(len(backs) - 1, len(backs) * 99 // 100)]
        result["client_cpu_s"] = clients.cpu()
    finally:
        if publisher is not None and publisher.running:
            await publisher.stop()
        await clients.close()
        server.stop()
        if database is not None:
            database.drop()
    return result


def show(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    how = "SIGKILL" if args.kill else "SIGTERM"
    jitter = "no jitter" if args.no_jitter else "jitter as the browser client"
    print(
        f"\n{args.clients} clients on {args.client_processes} client processes, "
        f"{how}, {jitter}, {args.rate:g} events/s"
        f"{' (also while first joining)' if args.flow_while_joining else ''}, "
        f"server workers {args.workers}"
    )
    fields = [
        ("connect_s", "connect+join all (s)", "{:.2f}"),
        ("connect_cpu_ms", "server CPU per connection (ms)", "{:.2f}"),
        ("join_p50_ms", "first join reply, p50 (ms)", "{:.0f}"),
        ("join_p99_ms", "first join reply, p99 (ms)", "{:.0f}"),
        ("stopped_s", "stop -> process gone (s)", "{:.2f}"),
        ("down_s", "stop -> started again (s)", "{:.2f}"),
        ("closed_first_s", "stop -> first socket closed (s)", "{:.2f}"),
        ("closed_last_s", "stop -> last socket closed (s)", "{:.2f}"),
        ("back_p50_s", "stop -> back, p50 (s)", "{:.2f}"),
        ("back_p99_s", "stop -> back, p99 (s)", "{:.2f}"),
        ("back_s", "stop -> all back (s)", "{:.2f}"),
        ("caught_s", "stop -> all caught up (s)", "{:.2f}"),
        ("server_cpu_s", "server CPU from start (s)", "{:.1f}"),
        ("client_cpu_s", "client CPU, all (s)", "{:.1f}"),
        ("events", "events published", "{}"),
        ("lost", "events lost", "{}"),
        ("dups", "events duplicated", "{}"),
        ("resyncs", "resyncs", "{}"),
        ("behind", "clients missing the last event", "{}"),
        ("attempts", "connect attempts", "{}"),
    ]
    for key in sorted({k for r in rows for k in r if k.startswith("why: ")}):
        fields.append((key, key[5:][:34], "{}"))
    print(f"{'':34}" + "".join(f"{r['name']:>14}" for r in rows))
    for key, label, fmt in fields:
        cells = [fmt.format(r[key]) if key in r else "-" for r in rows]
        print(f"{label:34}" + "".join(f"{c:>14}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--rate", type=float, default=20.0, help="events a second")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--kill", action="store_true", help="SIGKILL, not SIGTERM")
    parser.add_argument("--no-jitter", action="store_true")
    parser.add_argument("--only", default="websockets,tidings")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument(
        "--flow-while-joining",
        action="store_true",
        help="publish while the clients first connect and join, not only after",
    )
    parser.add_argument("--client-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_process:
        asyncio.run(client_process())
        return
    rows = [asyncio.run(storm(args, name)) for name in args.only.split(",")]
    show(rows, args)


if __name__ == "__main__":
    main()
