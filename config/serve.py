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
  has a line with its request id.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from typing import Any

import django


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
        help="WebSocket implementation (auto, websockets, websockets-sansio, wsproto)",
    )
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
        "ws": args.ws,
        "ws_max_size": conf["MAX_FRAME_BYTES"],
        "ws_per_message_deflate": args.ws_per_message_deflate,
        "timeout_graceful_shutdown": conf["SHUTDOWN_TIMEOUT"],
        # Django's LOGGING configures uvicorn's loggers (ACCESS_LOG sets the
        # access log's level): uvicorn itself leaves them alone.
        "access_log": True,
        "log_config": None,
    }


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
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

    Server(uvicorn.Config(**options)).run()


if __name__ == "__main__":
    main()
