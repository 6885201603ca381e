"""Reads of monitoring: uptime, response times, the dashboard summary, the status page."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone

from monitoring import events
from monitoring.models import CheckResult, CheckRollup, Endpoint, Incident, Status
from realtime.selectors import current_seq

WINDOWS = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
OK = (Status.UP, Status.DEGRADED)


def endpoint_get(*, endpoint_id: int | str) -> Endpoint | None:
    try:
        return Endpoint.objects.filter(pk=int(endpoint_id)).first()
    except (ValueError, TypeError):
        return None


def uptime(endpoint_id: int, *, since: datetime) -> float | None:
    """Percent of checks UP or DEGRADED since `since`, outside maintenance (raw + rollups)."""
    raw = CheckResult.objects.filter(
        endpoint_id=endpoint_id, checked_at__gte=since, in_maintenance=False
    ).aggregate(total=Count("id"), ok=Count("id", filter=Q(status__in=OK)))
    rolled = CheckRollup.objects.filter(
        endpoint_id=endpoint_id, hour__gte=since
    ).aggregate(total=Sum("total"), up=Sum("up"), degraded=Sum("degraded"))
    total = raw["total"] + (rolled["total"] or 0)
    if not total:
        return None
    ok = raw["ok"] + (rolled["up"] or 0) + (rolled["degraded"] or 0)
    return round(100.0 * ok / total, 3)


def response_times(endpoint_id: int, *, since: datetime) -> dict[str, float | None]:
    """Average and p95 of response times (ms) since `since`, computed in the database."""
    answered = CheckResult.objects.filter(
        endpoint_id=endpoint_id, checked_at__gte=since, response_time__isnull=False
    )
    stats = answered.aggregate(avg=Avg("response_time"), n=Count("id"))
    n = stats["n"]
    if not n:
        return {"avg": None, "p95": None}
    # Nearest-rank p95: the ceil(0.95 n)-th smallest value (ORDER BY ... OFFSET).
    offset = max(math.ceil(0.95 * n) - 1, 0)
    p95 = (
        answered.order_by("response_time")
        .values_list("response_time", flat=True)[offset : offset + 1]
        .first()
    )
    return {"avg": round(stats["avg"], 1), "p95": p95}


def endpoint_stats(endpoint_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    day = response_times(endpoint_id, since=now - WINDOWS["24h"])
    return {
        "uptime": {
            key: uptime(endpoint_id, since=now - span) for key, span in WINDOWS.items()
        },
        "avgResponseTime": day["avg"],
        "p95ResponseTime": day["p95"],
    }


def recent_checks(
    endpoint_id: int, *, limit: int = 30, before: datetime | None = None
) -> list[CheckResult]:
    """The endpoint's last checks (older than `before` if given), newest first."""
    query = CheckResult.objects.filter(endpoint_id=endpoint_id)
    if before is not None:
        query = query.filter(checked_at__lt=before)
    return list(query.order_by("-checked_at", "-id")[:limit])


def endpoint_summary(
    endpoint: Endpoint, *, now: datetime | None = None
) -> dict[str, Any]:
    """An endpoint with its numbers and its last checks (oldest first) for a card."""
    data = events.endpoint_data(endpoint)
    data["stats"] = endpoint_stats(endpoint.pk, now=now)
    data["recentChecks"] = [
        {
            "status": c.status,
            "responseTime": c.response_time,
            "checkedAt": events.iso(c.checked_at),
        }
        for c in reversed(recent_checks(endpoint.pk))
    ]
    return data


def open_incidents() -> list[Incident]:
    return list(
        Incident.objects.filter(resolved_at__isnull=True)
        .select_related("endpoint")
        .order_by("-started_at")
    )


def incidents(
    *, open_only: bool | None = None, endpoint_id: int | None = None
) -> QuerySet[Incident]:
    qs = Incident.objects.select_related("endpoint").order_by("-started_at", "-id")
    if open_only is True:
        qs = qs.filter(resolved_at__isnull=True)
    elif open_only is False:
        qs = qs.filter(resolved_at__isnull=False)
    if endpoint_id is not None:
        qs = qs.filter(endpoint_id=endpoint_id)
    return qs


def summary(*, now: datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard shows (also its fallback when the socket is down)."""
    now = now or timezone.now()
    # Read first: replaying from here may repeat a change already in the state
    # below, but never miss one.
    seq = current_seq(events.ALL_ROOM)
    endpoints = [endpoint_summary(e, now=now) for e in Endpoint.objects.all()]
    counts = {s: 0 for s in Status.values}
    for e in endpoints:
        counts[e["status"]] += 1
    return {
        "endpoints": endpoints,
        "counts": counts,
        "openIncidents": [events.incident_data(i) for i in open_incidents()],
        "timestamp": events.iso(now),
        "seq": seq,
    }


def public_status(
    *, now: datetime | None = None, open_now: list[Incident] | None = None
) -> dict[str, Any]:
    """The public status page: names and states only (no URLs, no errors).

    `open_now`: the open incidents, when the caller has read them already.
    """
    now = now or timezone.now()
    if open_now is None:
        open_now = open_incidents()
    active = list(Endpoint.objects.filter(is_active=True))
    states = {e.status for e in active}
    if Status.DOWN in states:
        overall = "MAJOR_OUTAGE" if states == {Status.DOWN} else "PARTIAL_OUTAGE"
    elif Status.DEGRADED in states:
        overall = "DEGRADED"
    else:
        overall = "OPERATIONAL"
    return {
        "overall": overall,
        "endpoints": [
            {
                "id": e.pk,
                "name": e.name,
                "status": e.status,
                "uptime30d": uptime(e.pk, since=now - WINDOWS["30d"]),
                "lastCheckedAt": events.iso(e.last_checked_at),
            }
            for e in active
        ],
        "openIncidents": [
            {
                "id": i.pk,
                "endpointName": i.endpoint.name,
                "startedAt": events.iso(i.started_at),
            }
            for i in open_now
        ],
        "timestamp": events.iso(now),
    }


def endpoints_all() -> list[Endpoint]:
    return list(Endpoint.objects.all())
