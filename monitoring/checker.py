"""The checker: claims due endpoints, checks them over HTTP, records the outcomes.

A loop of steps that each return "found work?" (so a test can run one step).
A due endpoint is claimed with one conditional UPDATE that moves it ahead, so
several workers (processes or machines) never check one endpoint twice, on
SQLite and PostgreSQL alike. A check that crashes stays pushed ahead by its
claim instead of being retried in a tight loop. `stop()` (SIGTERM) stops
claiming and lets the checks in flight finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import httpx
from channels.db import database_sync_to_async
from django.db import close_old_connections
from django.utils import timezone

from monitoring import conf, notify, selectors, services
from monitoring.models import CheckResult, CheckType, Endpoint, NotificationDelivery
from monitoring.services import CheckOutcome, EndpointNotFound

logger = logging.getLogger(__name__)

MAX_BODY = 1_000_000
DRAIN_SECONDS = 5.0
# Start lags kept for `runmonitor`'s p50/p99: the most recent ones, not all.
LAGS_KEPT = 10_000
# Notifications sent at once by one worker (apart from the checks' slots).
SENDS = 10


def claim_due(*, now: datetime, limit: int) -> list[tuple[Endpoint, datetime]]:
    """Claim up to `limit` due endpoints; returns each with the time it was due."""
    close_old_connections()
    candidates = list(
        Endpoint.objects.filter(is_active=True, next_check_at__lte=now).order_by(
            "next_check_at"
        )[: limit * 2]
    )
    claimed: list[tuple[Endpoint, datetime]] = []
    for endpoint in candidates:
        if len(claimed) >= limit:
            break
        lease = now + timedelta(seconds=endpoint.interval_seconds)
        # Another worker that claimed it first already moved next_check_at past now.
        if Endpoint.objects.filter(
            pk=endpoint.pk, is_active=True, next_check_at__lte=now
        ).update(next_check_at=lease):
            claimed.append((endpoint, endpoint.next_check_at))
    return claimed


def tls_context() -> ssl.SSLContext:
    """The system's trust store, plus `MONITOR["TLS_CA_FILE"]` when set."""
    context = ssl.create_default_context()
    extra = conf.get("TLS_CA_FILE")
    if extra:
        context.load_verify_locations(cafile=extra)
    return context


def _elapsed(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def perform_tcp_check(endpoint: Endpoint) -> CheckOutcome:
    """UP when a TCP connection to tcp://host:port opens within the timeout."""
    parsed = urlparse(endpoint.url)
    started = time.perf_counter()
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(parsed.hostname, parsed.port),
            endpoint.timeout_seconds,
        )
    except TimeoutError:
        return CheckOutcome(error=f"Timed out after {endpoint.timeout_seconds:g} s")
    except OSError as exc:
        return CheckOutcome(error=_failure(exc))
    elapsed = _elapsed(started)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return CheckOutcome(response_time=elapsed)


async def perform_tls_check(endpoint: Endpoint) -> CheckOutcome:
    """A TLS handshake with certificate and host name verification; the expiry seen."""
    parsed = urlparse(endpoint.url)
    started = time.perf_counter()
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(
                parsed.hostname,
                parsed.port or 443,
                ssl=tls_context(),
                server_hostname=parsed.hostname,
            ),
            endpoint.timeout_seconds,
        )
    except TimeoutError:
        return CheckOutcome(error=f"Timed out after {endpoint.timeout_seconds:g} s")
    except ssl.SSLCertVerificationError as exc:
        return CheckOutcome(
            error=f"Certificate not valid: {exc.verify_message or exc.reason}"
        )
    except (OSError, ssl.SSLError) as exc:
        return CheckOutcome(error=_failure(exc))
    elapsed = _elapsed(started)
    cert = writer.get_extra_info("peercert") or {}
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    expires = None
    if cert.get("notAfter"):
        expires = datetime.fromtimestamp(
            ssl.cert_time_to_seconds(cert["notAfter"]), tz=UTC
        )
    return CheckOutcome(response_time=elapsed, tls_expires_at=expires)


async def perform_check(client: httpx.AsyncClient, endpoint: Endpoint) -> CheckOutcome:
    """One check of the endpoint's type; any failure to get an answer becomes `error`."""
    if endpoint.check_type == CheckType.TCP:
        return await perform_tcp_check(endpoint)
    if endpoint.check_type == CheckType.TLS:
        return await perform_tls_check(endpoint)
    return await perform_http_check(client, endpoint)


async def perform_http_check(
    client: httpx.AsyncClient, endpoint: Endpoint
) -> CheckOutcome:
    """One HTTP request (http and json checks), within the endpoint's timeout.

    The timeout bounds the whole check, answer and body, not each read (a
    body that trickles in forever would otherwise hold the check), and at
    most MAX_BODY bytes of the body are read: an endless or huge answer
    costs neither memory nor time. The response time includes that read.
    """
    started = time.perf_counter()
    timeout = endpoint.timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            async with client.stream(
                endpoint.method,
                endpoint.url,
                headers=endpoint.headers or None,
                content=endpoint.body.encode() if endpoint.body else None,
                timeout=timeout,
            ) as response:
                data = await _read_at_most(response, MAX_BODY)
    except (TimeoutError, httpx.TimeoutException):
        return CheckOutcome(error=f"Timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        return CheckOutcome(error=_failure(exc))
    elapsed = _elapsed(started)
    wants_body = endpoint.keyword_mode or endpoint.check_type == CheckType.JSON
    return CheckOutcome(
        status_code=response.status_code,
        response_time=elapsed,
        body=_text(data, response.charset_encoding) if wants_body else None,
    )


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    """The first `limit` bytes of the (decoded) body; the rest is never read."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _text(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return data.decode("utf-8", errors="replace")


def check_now(*, endpoint_id: int | str) -> CheckResult:
    """Check one endpoint right away (the check-now button), synchronously."""
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        raise EndpointNotFound(f"Endpoint {endpoint_id} not found")

    async def run() -> CheckOutcome:
        async with make_client() as client:
            return await perform_check(client, endpoint)

    now = timezone.now()
    outcome = asyncio.run(run())
    return services.check_record(endpoint_id=endpoint.pk, outcome=outcome, now=now)


def make_client(concurrency: int | None = None) -> httpx.AsyncClient:
    concurrency = concurrency or conf.get("CONCURRENCY")
    return httpx.AsyncClient(
        follow_redirects=True,
        headers={"User-Agent": conf.USER_AGENT},
        limits=httpx.Limits(
            max_connections=concurrency, max_keepalive_connections=concurrency
        ),
        verify=True,
    )


class Monitor:
    """One checker worker. `run()` loops over the steps until `stop()`."""

    def __init__(
        self,
        *,
        concurrency: int | None = None,
        clock: Callable[[], datetime] = timezone.now,
        poll_interval: float | None = None,
    ) -> None:
        self.concurrency = concurrency or conf.get("CONCURRENCY")
        self.clock = clock
        self.poll_interval = poll_interval or conf.get("POLL_INTERVAL")
        self.inflight: set[asyncio.Task[None]] = set()
        self.sending: set[asyncio.Task[None]] = set()
        self.client: httpx.AsyncClient | None = None
        self.notify_client: httpx.AsyncClient | None = None
        self.stopping: asyncio.Event | None = None
        self.last_rollup = 0.0
        # Seconds between when a check was due and when it started (for benchmarks).
        self.lags: deque[float] = deque(maxlen=LAGS_KEPT)
        self.checked = 0
        self.crashed = 0
        self.sent = 0

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            self.client = make_client(self.concurrency)
        return self.client

    async def step_checks(self) -> bool:
        """Claim what is due (up to the free slots) and start those checks."""
        free = self.concurrency - len(self.inflight)
        if free <= 0:
            return False
        claimed = await database_sync_to_async(claim_due)(now=self.clock(), limit=free)
        for endpoint, due in claimed:
            task = asyncio.ensure_future(self._check(endpoint, due))
            self.inflight.add(task)
            task.add_done_callback(self.inflight.discard)
        return bool(claimed)

    async def _check(self, endpoint: Endpoint, due: datetime) -> None:
        started = self.clock()
        self.lags.append(max((started - due).total_seconds(), 0.0))
        try:
            outcome = await perform_check(self._client(), endpoint)
            await database_sync_to_async(services.check_record)(
                endpoint_id=endpoint.pk, outcome=outcome, now=started
            )
            self.checked += 1
        except EndpointNotFound:
            pass  # deleted while being checked
        except Exception:
            # The claim already moved next_check_at one interval ahead.
            self.crashed += 1
            logger.exception("check of endpoint %s failed", endpoint.pk)

    async def step_deliveries(self) -> bool:
        """Claim due notifications and send each in its own task (never awaited here,
        so a receiver that hangs never delays a check)."""
        free = SENDS - len(self.sending)
        if free <= 0:
            return False
        now = self.clock()
        claimed = await database_sync_to_async(services.deliveries_claim)(
            now=now, limit=free
        )
        if claimed and self.notify_client is None:
            self.notify_client = notify.make_client()
        for delivery in claimed:
            task = asyncio.ensure_future(self._send(delivery))
            self.sending.add(task)
            task.add_done_callback(self.sending.discard)
        return bool(claimed)

    async def _send(self, delivery: NotificationDelivery) -> None:
        assert self.notify_client is not None
        try:
            await notify.deliver(self.notify_client, delivery, now=self.clock())
            self.sent += 1
        except Exception:
            # The claim moved the delivery ahead: it is tried again later.
            logger.exception("notification %s crashed", delivery.pk)

    async def step_rollup(self, *, every: float = 60.0) -> bool:
        """Fold old raw checks into hourly rows (at most once a minute when idle)."""
        if time.monotonic() - self.last_rollup < every:
            return False
        folded = await database_sync_to_async(services.checks_rollup)(now=self.clock())
        if not folded:
            self.last_rollup = time.monotonic()
        return bool(folded)

    async def drain(self) -> None:
        """Wait for the checks and the notifications in flight."""
        while self.inflight or self.sending:
            await asyncio.gather(
                *list(self.inflight), *list(self.sending), return_exceptions=True
            )

    async def run_once(self) -> bool:
        """One round: claim and check what is due, and wait for those checks."""
        found = await self.step_checks()
        await self.drain()
        return found

    def stop(self) -> None:
        if self.stopping is not None:
            self.stopping.set()

    async def run(self) -> None:
        self.stopping = asyncio.Event()
        try:
            while not self.stopping.is_set():
                found = False
                for step in (self.step_checks, self.step_deliveries, self.step_rollup):
                    try:
                        found = await step() or found
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        logger.exception("monitor step %s failed", step.__name__)
                if not found:
                    # Jitter: workers started together do not poll in lockstep.
                    delay = self.poll_interval * random.uniform(0.75, 1.25)
                    try:
                        await asyncio.wait_for(self.stopping.wait(), delay)
                    except TimeoutError:
                        pass
            await self.drain()
        finally:
            if self.client is not None:
                await self.client.aclose()
                self.client = None
            if self.notify_client is not None:
                await self.notify_client.aclose()
                self.notify_client = None


async def run_in_process() -> None:
    """The checker inside a server process (the embedded default)."""
    monitor = Monitor()
    try:
        await monitor.run()
    except asyncio.CancelledError:
        # Server shutdown: give the checks in flight a moment to record.
        monitor.stop()
        pending = list(monitor.inflight | monitor.sending)
        if pending:
            _, late = await asyncio.wait(pending, timeout=DRAIN_SECONDS)
            for task in late:
                task.cancel()
        raise
