"""A local HTTP receiver of notifications on 127.0.0.1 (webhook or Slack style).

`fail_first` answers 500 to that many posts before accepting; `hang` holds each
post until `release` is set (at most 30 s). Bodies are kept in `bodies`, and
`received` is set on each post.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.tools import free_port


class Receiver:
    def __init__(
        self, *, fail_first: int = 0, hang: bool = False, reply_bytes: int = 2
    ) -> None:
        self.port = free_port()
        self.reply_bytes = reply_bytes  # the answer's size (b"ok" by default)
        self.written = 0  # how much of it the sender took
        self.fail_first = fail_first
        self.hang = hang
        self.bodies: list[Any] = []
        self.statuses: list[int] = []
        self.received = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/T0KEN-SECRET-123"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                with receiver.lock:
                    receiver.bodies.append(body)
                    status = 500 if len(receiver.bodies) <= receiver.fail_first else 200
                    receiver.statuses.append(status)
                receiver.received.set()
                if receiver.hang:
                    receiver.release.wait(30)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(receiver.reply_bytes))
                    self.end_headers()
                    if receiver.reply_bytes == 2:
                        self.wfile.write(b"ok")
                        receiver.written = 2
                    chunk = b"x" * 65536
                    while receiver.reply_bytes > 2 and receiver.written < (
                        receiver.reply_bytes
                    ):
                        self.wfile.write(chunk)
                        receiver.written += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
