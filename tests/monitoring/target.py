"""A tiny HTTP target on 127.0.0.1 that a test switches between behaviours."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.tools import free_port

BODY_OK = b"hello from tidings target"
BODY_NO_KEYWORD = b"nothing to see"


class Target:
    """Modes: ok (200), error (500), slow (200 after `delay` s), nokeyword, closed,
    held (200 once `release` is set, at most 30 s later; `entered` is set first),
    endless (200: the ok body, then 64 KiB chunks without end, for up to 30 s),
    drip (200: the ok body a byte every 0.1 s, no length, for up to 30 s).
    `sent` counts the bytes of body written in the last answer."""

    def __init__(self, port: int | None = None, delay: float = 0.3) -> None:
        self.port = port or free_port()
        self.mode = "ok"
        self.delay = delay
        self.hits = 0
        self.sent = 0
        # When set, every answer is this JSON text (json checks).
        self.json_body: bytes | None = None
        self.entered = threading.Event()
        self.release = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    def start(self) -> Target:
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                target.hits += 1
                mode = target.mode
                if mode == "slow":
                    time.sleep(target.delay)
                elif mode == "held":
                    target.entered.set()
                    target.release.wait(30)
                if mode in ("endless", "drip"):
                    self.stream(mode)
                    return
                status = 500 if mode == "error" else 200
                body = BODY_NO_KEYWORD if mode == "nokeyword" else BODY_OK
                if target.json_body is not None:
                    body = target.json_body
                self.send_response(status)
                self.send_header(
                    "Content-Type",
                    "text/plain" if target.json_body is None else "application/json",
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def stream(self, mode: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Connection", "close")
                self.end_headers()
                target.sent = 0
                pieces = [BODY_OK] if mode == "endless" else list(BODY_OK)
                ends = time.monotonic() + 30
                while time.monotonic() < ends:
                    if pieces:
                        piece = pieces.pop(0)
                        data = piece if isinstance(piece, bytes) else bytes((piece,))
                    elif mode == "endless":
                        data = b"x" * 65536
                    else:
                        data = b"."
                    try:
                        self.wfile.write(data)
                        self.wfile.flush()
                    except OSError:
                        return  # the checker stopped reading and closed
                    target.sent += len(data)
                    if mode == "drip":
                        time.sleep(0.1)

            do_HEAD = do_GET
            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the checker gave up (timeout): nothing to answer

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # many checks connect at once

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def set(self, mode: str) -> None:
        """Switch behaviour; `closed` closes the port, any other mode reopens it."""
        if mode == "closed":
            self.stop()
        elif self.server is None:
            self.start()
        self.mode = mode
