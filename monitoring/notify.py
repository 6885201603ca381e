"""Sending stored notifications: one try of one delivery, per channel kind.

The monitor worker claims due deliveries (`services.deliveries_claim`), sends
each in its own task with a bounded time, and records the outcome
(`services.delivery_record`): sent, or retried later with a backoff. Nothing
here writes a channel URL to a log: webhook URLs carry tokens.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.mail import send_mail

from monitoring import conf, events, services
from monitoring.models import ChannelKind, NotificationDelivery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    response_code: int | None = None
    error: str = ""


def slack_body(payload: dict) -> dict:
    """The Slack incoming-webhook format (Mattermost, Rocket.Chat, Discord /slack)."""
    return {"text": f"{events.notification_text(payload)} <{payload['url']}|Open>"}


def email_body(payload: dict) -> str:
    lines = [events.notification_text(payload), ""]
    lines.append(f"Endpoint: {payload['endpointName']} ({payload['status']})")
    if payload.get("startedAt"):
        lines.append(f"Started: {payload['startedAt']} (UTC)")
    if payload.get("resolvedAt"):
        lines.append(f"Resolved: {payload['resolvedAt']} (UTC)")
    lines += ["", payload["url"]]
    return "\n".join(lines)


def _send_email(delivery: NotificationDelivery) -> SendResult:
    sent = send_mail(
        subject=f"[Tidings] {events.notification_text(delivery.payload)}"[:200],
        message=email_body(delivery.payload),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=list(delivery.channel.emails),
    )
    return SendResult(ok=bool(sent), error="" if sent else "Not sent")


async def send(client: httpx.AsyncClient, delivery: NotificationDelivery) -> SendResult:
    """One try; any failure becomes a result, never an exception."""
    channel = delivery.channel
    limit = float(conf.get("NOTIFY_TIMEOUT"))
    try:
        if channel.kind == ChannelKind.EMAIL:
            # The email backend has its own timeout (EMAIL_TIMEOUT); this bounds the rest.
            return await asyncio.wait_for(
                asyncio.to_thread(_send_email, delivery), limit + 5
            )
        body = (
            slack_body(delivery.payload)
            if channel.kind == ChannelKind.SLACK
            else delivery.payload
        )
        status = await asyncio.wait_for(
            _post(client, channel.url, body, limit), limit + 1
        )
    except (TimeoutError, httpx.TimeoutException):
        return SendResult(ok=False, error=f"Timed out after {limit:g} s")
    except Exception as exc:  # a receiver or mail server failure, whatever it is
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    ok = 200 <= status < 300
    return SendResult(ok=ok, response_code=status, error="" if ok else f"HTTP {status}")


async def _post(client: httpx.AsyncClient, url: str, body: Any, limit: float) -> int:
    """POST `body` as JSON; the answer's status. Its body is never read: a
    receiver cannot make the worker hold a reply of any size."""
    async with client.stream("POST", url, json=body, timeout=limit) as response:
        return response.status_code


async def deliver(
    client: httpx.AsyncClient, delivery: NotificationDelivery, *, now: datetime
) -> SendResult:
    """Send one claimed delivery and record the outcome."""
    result = await send(client, delivery)
    await database_sync_to_async(services.delivery_record)(
        delivery_id=delivery.pk,
        ok=result.ok,
        response_code=result.response_code,
        error=result.error,
        now=now,
    )
    if not result.ok:
        logger.warning(
            "notification %s to channel %s failed (try %s): %s",
            delivery.pk,
            delivery.channel_id,
            delivery.attempts,
            services.scrub(result.error, delivery.channel.url),
        )
    return result


def make_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=False, headers={"User-Agent": conf.USER_AGENT}, verify=True
    )
