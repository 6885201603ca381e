"""REST order to kitchen sockets: `POST /api/orders/` until 1,000 baristas' screens have it.

Opens N native sockets joined to `kitchen` on one Tidings process, places
orders over REST at a fixed rate and reports, per delivered `order:created`,
the time from sending the request to receipt (p50/p95/p99/max), lost and
duplicated deliveries.

    python bench/rest_order.py --clients 1000 --rate 5 --seconds 10

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout import Clients, drive, n_of, native_client, print_table  # noqa: E402
from tests import tools  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=5, help="orders per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", ""))
    args = parser.parse_args()

    database = tools.Database()
    env = tools.server_env(
        database,
        args.redis or None,
        HEARTBEAT_INTERVAL="300",
        MONITOR_IN_PROCESS="0",
        **tools.ONE_ADDRESS_LOAD,
        UVICORN_WS_PER_MESSAGE_DEFLATE="false",
    )
    tools.manage(env, "migrate", "--noinput")
    tools.manage(env, "seed_demo")
    server = tools.Server(env).start()
    assert server.proc is not None
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            token = (
                await http.post(
                    "/api/auth/token/",
                    json={"username": "barista", "password": "barista"},
                )
            ).json()["access"]
            menu = (await http.get("/api/menus/")).json()
            item = next(
                i for c in menu["categories"] for i in c["items"] if not i["isSoldOut"]
            )
            body = {"items": [{"menuId": item["id"], "quantity": 1}], "payType": "CASH"}
            first = (await http.post("/api/orders/", json=body)).json()["dailyNum"]
            clients = Clients(
                args.clients,
                lambda: native_client(f"{server.ws}/ws/orders/?token={token}"),
                key=lambda raw: (
                    n_of(raw, '"dailyNum":') if "order:created" in str(raw) else None
                ),
            )
            await clients.open()

            async def place(n: int) -> None:
                # Orders are numbered in the order they are placed: n is the next dailyNum.
                response = await http.post("/api/orders/", json=body)
                assert response.status_code == 201, response.text

            run = await drive(
                "REST order -> kitchen sockets",
                clients,
                place,
                server.proc.pid,
                int(args.rate * args.seconds),
                args.rate,
                first + 1,
            )
            await clients.close()
        print(
            f"\n{args.clients} kitchen sockets, {args.rate:g} orders/s for {args.seconds:g} s,"
            f" one server process, {'Redis' if args.redis else 'in-memory'} layer"
        )
        print_table("REST order to kitchen", [run], run)
    finally:
        server.stop()
        database.drop()


if __name__ == "__main__":
    asyncio.run(main())
