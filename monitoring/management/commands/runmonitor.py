"""Run a checker worker: `python manage.py runmonitor` (start as many as you like)."""

from __future__ import annotations

import asyncio
import signal
import statistics
from typing import Any

from django.core.management.base import BaseCommand

from monitoring.checker import Monitor


class Command(BaseCommand):
    help = "Check due endpoints until SIGTERM/SIGINT (in-flight checks finish first)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--concurrency", type=int, default=None)
        parser.add_argument("--poll-interval", type=float, default=None)
        parser.add_argument(
            "--duration",
            type=float,
            default=None,
            help="Stop after this many seconds (benchmarks).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        monitor = Monitor(
            concurrency=options["concurrency"], poll_interval=options["poll_interval"]
        )
        asyncio.run(self._main(monitor, options["duration"]))
        lags = sorted(monitor.lags)
        if lags:
            p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))]
            self.stdout.write(
                f"checked={monitor.checked} crashed={monitor.crashed} "
                f"lag_p50={statistics.median(lags):.3f} lag_p99={p99:.3f}"
            )
        else:
            self.stdout.write(f"checked=0 crashed={monitor.crashed}")

    async def _main(self, monitor: Monitor, duration: float | None) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, monitor.stop)
        if duration:
            loop.call_later(duration, monitor.stop)
        self.stderr.write("monitor worker started")
        await monitor.run()
