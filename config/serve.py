"""Serve Tidings with uvicorn, its limits taken from the settings.

    python -m config.serve --host 127.0.0.1 --port 8001

What this adds to a bare `uvicorn config.asgi:application`:
- the WebSocket maximum message size is `WS_MAX_FRAME_BYTES`, so uvicorn
  refuses a larger frame as it arrives (close 1009) instead of buffering it
  whole before the application can look at its size;
- a graceful shutdown (SIGTERM) waits at most `SHUTDOWN_TIMEOUT` seconds
  for open connections, then closes them;
- uvicorn logs through the project's handler (secrets masked, `LOG_FORMAT`);
  the access log is off unless asked for, since every HTTP request already
  has a line with its request id;
- `--workers N` (`WEB_CONCURRENCY`, default 1) runs N server processes on the
  one port: each binds it with SO_REUSEPORT and the kernel spreads new
  connections over them, so one host uses all its cores with no proxy. The
  first process supervises: it restarts a worker that dies and passes SIGTERM
  and SIGINT on. More than one needs Redis (REDIS_URL): the in-memory channel
  layer does not reach across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import django


def lean_websocket_protocol() -> type:
    """uvicorn's websockets (sans-I/O) protocol, keeping less per open socket.

    Once the handshake is answered, the parsed request and response (their
    header maps and raw bytes, about 3.5 KB a socket) are never read again;
    uvicorn keeps them for the socket's life. This drops them, keeps received
    messages in an `Inbox` rather than an asyncio.Queue, and takes a replay's
    frames in one write (`send_texts`, found by the socket's writer on its
    `send`'s protocol) instead of a system call each, and writes a room's
    shared frame as it is (`write_frame`).
    """
    from uvicorn.protocols.utils import ClientDisconnected
    from uvicorn.protocols.websockets.websockets_sansio_impl import (
        WebSocketsSansIOProtocol,
    )
    from websockets.exceptions import InvalidState
    from websockets.protocol import OPEN

    class LeanWebSocketsProtocol(WebSocketsSansIOProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.queue = Inbox()  # type: ignore[assignment]

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.handshake_exc is not None and not self.handshake_complete:
                # websockets refused the handshake request itself (a request
                # line or headers too long: 414/431; no HTTP at all) and
                # queued its answer, which uvicorn never sends: the
                # connection would hang until the client gave up.
                self.transport.write(b"".join(self.conn.data_to_send()))
                self.handshake_complete = self.close_sent = True
                self.transport.close()

        def start_keepalive(self) -> None:  # right after the 101 is written
            super().start_keepalive()
            self.request = None
            self.response = None

        def write_frame(self, frame: bytes) -> bool:
            """Write a whole encoded text frame if it can go out as it is now.

            For the frame a room's sockets share (realtime.writer.shared_frame):
            only while the socket is open, the transport takes data and no
            extension (compression) rewrites frames. False: send it as
            `websocket.send` instead, which waits, encodes or refuses.
            """
            if (
                self.close_sent
                or self.disconnected
                or not self.writable.is_set()
                or self.conn.state is not OPEN
                or self.conn.extensions
            ):
                return False
            self.transport.write(frame)
            return True

        async def send_texts(self, texts: list[str]) -> None:
            """Several text frames in one write (a replay), else as `websocket.send`."""
            await self.writable.wait()
            if self.disconnected:
                raise ClientDisconnected()
            if not self.handshake_complete or self.close_sent or self.initial_response:
                for text in texts:
                    await self.send({"type": "websocket.send", "text": text})
                return
            try:
                for text in texts:
                    self.conn.send_text(text.encode())
            except InvalidState:
                raise ClientDisconnected() from None
            self.transport.write(b"".join(self.conn.data_to_send()))

    return LeanWebSocketsProtocol


class Inbox:
    """What uvicorn's protocol uses of its asyncio.Queue, on a deque.

    `put_nowait`, `get` (one reader: the application's `receive`) and
    `empty`. An asyncio.Queue with its three deques and an Event is about
    2.4 KB a socket; this is a tenth of that, and cheaper per frame.
    """

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: collections.deque[Any] = collections.deque()
        self.waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self.items.append(item)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Any:
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.popleft()

    def empty(self) -> bool:
        return not self.items


def uvicorn_options(argv: list[str] | None = None) -> dict[str, Any]:
    """uvicorn.Config keyword arguments for this command line and the settings."""
    parser = argparse.ArgumentParser(prog="python -m config.serve")
    parser.add_argument("--host", help="default: HOST, else 127.0.0.1")
    parser.add_argument("--port", type=int, help="default: PORT, else 8000")
    parser.add_argument(
        "--access-log", action=argparse.BooleanOptionalAction, default=False
    )
    # UVICORN_* variables are the ones uvicorn's own command line reads.
    parser.add_argument(
        "--ws-per-message-deflate",
        action=argparse.BooleanOptionalAction,
        default=os.environ.get("UVICORN_WS_PER_MESSAGE_DEFLATE", "").lower()
        in {"1", "true", "yes", "on"},
        help="permessage-deflate (off: see docs/deploy.md, section 6)",
    )
    parser.add_argument(
        "--ws",
        default=os.environ.get("UVICORN_WS", "auto"),
        help="WebSocket implementation (auto, websockets, websockets-sansio, "
        "wsproto); auto and websockets-sansio are the sans-I/O one, lean",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes on the one port (default: WEB_CONCURRENCY, else 1)",
    )
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.access_log:
        os.environ["ACCESS_LOG"] = "1"  # read by the LOGGING setting

    from django.conf import settings

    conf = settings.TIDINGS  # settings load here, after ACCESS_LOG is set
    return {
        "app": "config.asgi:application",
        "host": args.host or settings.SERVE_HOST,
        "port": args.port or settings.SERVE_PORT,
        "lifespan": "on",
        # A reconnect wave arrives at once: room for it in the accept queue
        # (the kernel caps it at net.core.somaxconn).
        "backlog": 4096,
        "ws": (
            lean_websocket_protocol()
            if args.ws in ("auto", "websockets-sansio")
            else args.ws
        ),
        "ws_max_size": conf["MAX_FRAME_BYTES"],
        "ws_per_message_deflate": args.ws_per_message_deflate,
        "timeout_graceful_shutdown": conf["SHUTDOWN_TIMEOUT"],
        # Django's LOGGING configures uvicorn's loggers (ACCESS_LOG sets the
        # access log's level): uvicorn itself leaves them alone.
        "access_log": True,
        "log_config": None,
    }


def worker_count(argv: list[str]) -> tuple[int, list[str]]:
    """`--workers`, else WEB_CONCURRENCY, else 1; and the arguments without it."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--reuse-port", action="store_true")
    args, rest = parser.parse_known_args(argv)
    if args.reuse_port:
        return 1, argv  # a worker of a supervisor
    count = args.workers
    if count is None:
        raw = os.environ.get("WEB_CONCURRENCY", "").strip()
        count = int(raw) if raw.isdigit() else 1
    return max(1, count), rest


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port that other processes may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(4096)
    sock.set_inheritable(True)
    return sock


def supervise(count: int, argv: list[str]) -> int:
    """Run `count` workers of this command (`argv`, without --workers) on one port.

    A worker that dies is started again.
    """
    log = logging.getLogger("tidings.serve")
    if count > 1 and not os.environ.get("REDIS_URL"):
        sys.exit(
            f"WEB_CONCURRENCY={count} needs REDIS_URL: the in-memory channel "
            "layer reaches only its own process. Set REDIS_URL or use 1 worker."
        )
    command = [sys.executable, "-m", "config.serve", *argv, "--reuse-port"]
    stopping = False
    workers: dict[int, subprocess.Popen[bytes]] = {}

    def start(index: int) -> None:
        env = dict(os.environ, TIDINGS_WORKER=str(index))
        if index > 0:
            # One in-process checker at most; the others only serve.
            env["MONITOR_IN_PROCESS"] = "0"
        workers[index] = subprocess.Popen(command, env=env)

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for proc in workers.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for index in range(count):
        start(index)
    restarts: dict[int, float] = {}
    while True:
        for index, proc in list(workers.items()):
            code = proc.poll()
            if code is None:
                continue
            if stopping:
                del workers[index]
                continue
            # Died on its own: start it again, at most once a second.
            log.error("worker %s exited with %s; restarting it", index, code)
            wait = restarts.get(index, 0) + 1 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            restarts[index] = time.monotonic()
            start(index)
        if not workers:
            return 0
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    argv = sys.argv[1:] if argv is None else argv
    count, rest = worker_count(argv)
    if count > 1:
        sys.exit(supervise(count, rest))
    reuse_port = "--reuse-port" in argv
    options = uvicorn_options(argv)
    django.setup()
    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            # Socket.IO sessions first: a poll waiting for data is answered at
            # once, instead of holding the shutdown up to the poll timeout.
            from config.asgi import application

            gateway = getattr(application, "socketio_server", None)
            if gateway is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(gateway.eio.disconnect(), 2)
            await super().shutdown(sockets)

    server = Server(uvicorn.Config(**options))
    if reuse_port:
        server.run(sockets=[reuse_port_socket(options["host"], options["port"])])
    else:
        server.run()


if __name__ == "__main__":
    main()
