"""Idle connections benchmark: 10,000 sockets on one Tidings process.

Opens N native sockets (default 10,000) joined to the `kiosk` room of one
server process on 127.0.0.1, reports the server's RSS per idle connection,
then publishes one event and reports how long it took to reach every socket
(and how many it reached). Runs with compression off and on.

    python bench/connections.py --clients 10000

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout import proc_rss  # noqa: E402
from tests import tools  # noqa: E402


async def run(clients: int, deflate: bool, ws_impl: str) -> dict[str, float]:
    database = tools.Database()
    env = tools.server_env(
        database,
        None,
        HEARTBEAT_INTERVAL="300",
        MONITOR_IN_PROCESS="0",
        **tools.ONE_ADDRESS_LOAD,
        UVICORN_WS_PER_MESSAGE_DEFLATE="true" if deflate else "false",
        UVICORN_WS=ws_impl,
    )
    tools.manage(env, "migrate", "--noinput")
    tools.manage(env, "seed_demo")
    server = tools.Server(env).start()
    assert server.proc is not None
    conns: list[websockets.ClientConnection] = []
    try:
        compression = "deflate" if deflate else None

        async def one() -> None:
            conn = await websockets.connect(
                f"{server.ws}/ws/orders/",
                open_timeout=120,
                compression=compression,
                max_queue=4,
            )
            await conn.recv()
            await conn.send(
                '{"event":"join_room","data":{"roomType":"kiosk"},"ref":"j"}'
            )
            await conn.recv()
            conns.append(conn)

        for _ in range(20):  # warm-up: imports, caches
            await one()
        rss0 = proc_rss(server.proc.pid)
        sem = asyncio.Semaphore(200)

        async def limited() -> None:
            async with sem:
                await one()

        started = time.perf_counter()
        await asyncio.gather(*(limited() for _ in range(clients)))
        connect_s = time.perf_counter() - started
        await asyncio.sleep(2)
        per_conn = (proc_rss(server.proc.pid) - rss0) / clients

        async def receive(conn: websockets.ClientConnection) -> float:
            while True:
                frame = json.loads(await asyncio.wait_for(conn.recv(), 60))
                if frame.get("event") == "announcement":
                    return time.perf_counter()

        token = tools.login(server.base, "admin")
        waiters = [asyncio.ensure_future(receive(c)) for c in conns]
        sent = time.perf_counter()
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{server.base}/api/realtime/announcements/",
                json={"message": "to everyone"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            response.raise_for_status()
        done = await asyncio.gather(*waiters, return_exceptions=True)
        times = [t for t in done if isinstance(t, float)]
        return {
            "clients": len(conns),
            "connect s": connect_s,
            "rss KiB/conn": per_conn / 1024,
            "reached": len(times),
            "all reached ms": (max(times) - sent) * 1000 if times else -1,
        }
    finally:
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
        server.stop()
        database.drop()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument(
        "--ws",
        default="websockets-sansio",
        help="uvicorn --ws implementation (websockets-sansio, wsproto)",
    )
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.clients + 100 > hard:
        sys.exit(f"open-file limit {hard} is too low for {args.clients} clients")
    print(
        "| compression | ws | clients | connect s | server RSS KiB/conn | reached | all reached ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for deflate in (False, True):
        row = await run(args.clients, deflate, args.ws)
        print(
            f"| {'on' if deflate else 'off'} | {args.ws} | {row['clients']:.0f} | "
            f"{row['connect s']:.1f} | {row['rss KiB/conn']:.1f} | {row['reached']:.0f} | "
            f"{row['all reached ms']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    asyncio.run(main())
