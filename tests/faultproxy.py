"""A TCP proxy that can take a service away: for fault runs against PostgreSQL and Redis.

    proxy = FaultProxy(5432).start()      # 127.0.0.1:<proxy.port> -> 127.0.0.1:5432
    url = proxy.url("postgresql://postgres@127.0.0.1:5432/db")
    proxy.cut()                           # every connection closed, new ones refused
    proxy.restore()                       # accepting and forwarding again

The proxy runs its own event loop in a thread, so it keeps forwarding while
the caller blocks (starting servers, sleeping through an outage) and works
the same from sync and async code. Only 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlparse

HOST = "127.0.0.1"
CHUNK = 64 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class FaultProxy:
    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or _free_port()
        self.accepted = 0
        self.refused = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"faultproxy-{self.port}", daemon=True
        )
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- control, from any thread ------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> FaultProxy:
        self._thread.start()
        self._run(self._listen())
        return self

    def cut(self) -> int:
        """Close every proxied connection and refuse new ones; return how many were closed."""
        return int(self._run(self._cut()))

    def restore(self) -> None:
        """Accept and forward again, on the same port."""
        self._run(self._listen())

    @property
    def is_cut(self) -> bool:
        return self._server is None

    @property
    def open_connections(self) -> int:
        return len(self._pairs)

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            self._run(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._loop.is_running():
            self._loop.close()

    def url(self, service_url: str) -> str:
        """`service_url` with its host and port replaced by the proxy's."""
        parsed = urlparse(service_url)
        auth = ""
        if parsed.username:
            auth = parsed.username
            if parsed.password:
                auth += f":{parsed.password}"
            auth += "@"
        return parsed._replace(netloc=f"{auth}{HOST}:{self.port}").geturl()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the proxy, in its own loop -------------------------------------------------

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, HOST, self.port, reuse_address=True
            )

    async def _cut(self) -> int:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        pairs = list(self._pairs)
        self._pairs.clear()
        for client, upstream in pairs:
            for writer in (client, upstream):
                with contextlib.suppress(Exception):
                    writer.transport.abort()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)
        return len(pairs)

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self._server is None:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(HOST, self.target_port), 5
            )
        except (OSError, TimeoutError):
            self.refused += 1
            writer.transport.abort()
            return
        if self._server is None:  # cut while connecting
            writer.transport.abort()
            up_writer.transport.abort()
            return
        self.accepted += 1
        pair = (writer, up_writer)
        self._pairs.add(pair)
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer), self._pipe(up_reader, writer)
            )
        finally:
            self._pairs.discard(pair)
            for one in pair:
                with contextlib.suppress(Exception):
                    one.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            # Either side gone: the whole connection goes, like a real service.
            with contextlib.suppress(Exception):
                writer.close()
