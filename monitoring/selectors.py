"""Reads of monitoring: uptime, response times, the dashboard summary, the status page."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber, Substr, TruncDate
from django.utils import timezone

from monitoring import conf, events
from monitoring.models import (
    CheckResult,
    CheckRollup,
    Endpoint,
    Incident,
    NotificationChannel,
    NotificationDelivery,
    Status,
)
from realtime.selectors import current_seq

WINDOWS = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
OK = (Status.UP, Status.DEGRADED)


def endpoint_get(*, endpoint_id: int | str) -> Endpoint | None:
    try:
        return (
            Endpoint.objects.prefetch_related("notification_channels")
            .filter(pk=int(endpoint_id))
            .first()
        )
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


# -- batch reads: a fixed number of queries whatever the number of endpoints ----


def uptimes_batch(
    endpoint_ids: list[int], *, now: datetime, windows: dict[str, timedelta]
) -> dict[int, dict[str, float | None]]:
    """`uptime()` of many endpoints over several windows in two queries."""
    if not endpoint_ids:
        return {}
    oldest = now - max(windows.values())
    ok = Q(status__in=OK)
    raw_aggs: dict[str, Any] = {}
    rolled_aggs: dict[str, Any] = {}
    for key, span in windows.items():
        since = Q(checked_at__gte=now - span)
        raw_aggs[f"t_{key}"] = Count("id", filter=since)
        raw_aggs[f"o_{key}"] = Count("id", filter=since & ok)
        hour = Q(hour__gte=now - span)
        rolled_aggs[f"t_{key}"] = Sum("total", filter=hour)
        rolled_aggs[f"u_{key}"] = Sum("up", filter=hour)
        rolled_aggs[f"d_{key}"] = Sum("degraded", filter=hour)
    raw = {
        row["endpoint_id"]: row
        for row in CheckResult.objects.filter(
            endpoint_id__in=endpoint_ids, checked_at__gte=oldest, in_maintenance=False
        )
        .order_by()
        .values("endpoint_id")
        .annotate(**raw_aggs)
    }
    rolled = {
        row["endpoint_id"]: row
        for row in CheckRollup.objects.filter(
            endpoint_id__in=endpoint_ids, hour__gte=oldest
        )
        .order_by()
        .values("endpoint_id")
        .annotate(**rolled_aggs)
    }
    result: dict[int, dict[str, float | None]] = {}
    for pk in endpoint_ids:
        r, h = raw.get(pk, {}), rolled.get(pk, {})
        values: dict[str, float | None] = {}
        for key in windows:
            total = r.get(f"t_{key}", 0) + (h.get(f"t_{key}") or 0)
            good = (
                r.get(f"o_{key}", 0)
                + (h.get(f"u_{key}") or 0)
                + (h.get(f"d_{key}") or 0)
            )
            values[key] = round(100.0 * good / total, 3) if total else None
        result[pk] = values
    return result


def response_times_batch(
    endpoint_ids: list[int], *, since: datetime
) -> dict[int, dict[str, float | None]]:
    """`response_times()` of many endpoints in two queries (p95 by a window)."""
    answered = CheckResult.objects.filter(
        endpoint_id__in=endpoint_ids, checked_at__gte=since, response_time__isnull=False
    ).order_by()
    result: dict[int, dict[str, float | None]] = {
        pk: {"avg": None, "p95": None} for pk in endpoint_ids
    }
    if not endpoint_ids:
        return result
    for row in answered.values("endpoint_id").annotate(avg=Avg("response_time")):
        result[row["endpoint_id"]]["avg"] = round(row["avg"], 1)
    # Nearest rank: the ceil(0.95 n)-th smallest, ceil in integers: (95 n + 99) / 100.
    ranked = answered.annotate(
        rank=Window(
            RowNumber(), partition_by=[F("endpoint_id")], order_by="response_time"
        ),
        n=Window(Count("id"), partition_by=[F("endpoint_id")]),
    ).values_list("endpoint_id", "response_time", "rank", "n")
    for pk, value, rank, n in ranked.filter(rank__gte=(95 * F("n") + 99) / 100):
        if rank == (95 * n + 99) // 100:
            result[pk]["p95"] = value
    return result


# (endpoint id, status, response time, checked at) of one check.
RecentCheck = tuple[int, str, int | None, datetime]


def _recent_rows(
    endpoint_ids: list[int], *, limit: int, since: datetime | None
) -> list[RecentCheck]:
    query = CheckResult.objects.filter(endpoint_id__in=endpoint_ids)
    if since is not None:
        query = query.filter(checked_at__gte=since)
    return list(
        query.annotate(
            row=Window(
                RowNumber(),
                partition_by=[F("endpoint_id")],
                order_by=["-checked_at", "-id"],
            )
        )
        .filter(row__lte=limit)
        .order_by("endpoint_id", "-checked_at", "-id")
        .values_list("endpoint_id", "status", "response_time", "checked_at")
    )


def recent_checks_batch(
    endpoint_ids: list[int], *, limit: int = 30, now: datetime | None = None
) -> dict[int, list[RecentCheck]]:
    """The last `limit` checks of each endpoint, newest first, in at most two queries.

    The last day's checks first (few rows to number); the endpoints with fewer
    than `limit` there are read again over all their checks.
    """
    result: dict[int, list[RecentCheck]] = {pk: [] for pk in endpoint_ids}
    if not endpoint_ids:
        return result
    since = (now or timezone.now()) - timedelta(days=1)
    for check in _recent_rows(endpoint_ids, limit=limit, since=since):
        result[check[0]].append(check)
    short = [pk for pk, checks in result.items() if len(checks) < limit]
    if short:
        for pk in short:
            result[pk] = []
        for check in _recent_rows(short, limit=limit, since=None):
            result[check[0]].append(check)
    return result


def endpoint_summaries(
    endpoints: list[Endpoint], *, now: datetime
) -> list[dict[str, Any]]:
    """`endpoint_summary()` of every endpoint given, in a fixed number of queries."""
    ids = [e.pk for e in endpoints]
    uptimes = uptimes_batch(ids, now=now, windows=WINDOWS)
    times = response_times_batch(ids, since=now - WINDOWS["24h"])
    recent = recent_checks_batch(ids, now=now)
    summaries = []
    for endpoint in endpoints:
        data = events.endpoint_data(endpoint)
        data["stats"] = {
            "uptime": uptimes[endpoint.pk],
            "avgResponseTime": times[endpoint.pk]["avg"],
            "p95ResponseTime": times[endpoint.pk]["p95"],
        }
        data["recentChecks"] = [
            {"status": status, "responseTime": ms, "checkedAt": events.iso(at)}
            for _, status, ms, at in reversed(recent[endpoint.pk])
        ]
        summaries.append(data)
    return summaries


def summary(*, now: datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard shows (also its fallback when the socket is down)."""
    now = now or timezone.now()
    # Read first: replaying from here may repeat a change already in the state
    # below, but never miss one.
    seq = current_seq(events.ALL_ROOM)
    endpoints = endpoint_summaries(endpoints_all(), now=now)
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


STATUS_DAYS = 90
HISTORY_DAYS = 14


def _overall(states: set[str]) -> str:
    if Status.DOWN in states:
        return "MAJOR_OUTAGE" if states == {Status.DOWN} else "PARTIAL_OUTAGE"
    if Status.DEGRADED in states:
        return "DEGRADED"
    return "OPERATIONAL"


def _day_level(uptime_value: float | None, incidents: int) -> str:
    """The colour of a day's segment."""
    if uptime_value is None:
        return "down" if incidents else "nodata"
    if uptime_value >= 99.5 and not incidents:
        return "up"
    if uptime_value >= 95:
        return "degraded"
    return "down"


def _utc_day(field: str) -> Any:
    """The UTC date of a datetime column, computed by the database.

    SQLite stores UTC text, so the date is its first ten characters; Django's
    TruncDate would call Python once per row there.
    """
    if connection.vendor == "sqlite":
        return Substr(field, 1, 10)
    return TruncDate(field, tzinfo=UTC)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def daily_uptimes(
    endpoint_ids: list[int], *, first_day: date
) -> dict[int, dict[date, tuple[int, int]]]:
    """(checks, good checks) per endpoint and UTC day from `first_day`, in two queries."""
    since = datetime.combine(first_day, time.min, tzinfo=UTC)
    result: dict[int, dict[date, tuple[int, int]]] = {pk: {} for pk in endpoint_ids}
    if not endpoint_ids:
        return result
    raw = (
        CheckResult.objects.filter(
            endpoint_id__in=endpoint_ids, checked_at__gte=since, in_maintenance=False
        )
        .annotate(day=_utc_day("checked_at"))
        .order_by()
        .values("endpoint_id", "day")
        .annotate(total=Count("id"), good=Count("id", filter=Q(status__in=OK)))
    )
    for row in raw:
        result[row["endpoint_id"]][_as_date(row["day"])] = (row["total"], row["good"])
    rolled = (
        CheckRollup.objects.filter(endpoint_id__in=endpoint_ids, hour__gte=since)
        .annotate(day=_utc_day("hour"))
        .order_by()
        .values("endpoint_id", "day")
        .annotate(total=Sum("total"), up=Sum("up"), degraded=Sum("degraded"))
    )
    for row in rolled:
        day = _as_date(row["day"])
        total, good = result[row["endpoint_id"]].get(day, (0, 0))
        result[row["endpoint_id"]][day] = (
            total + (row["total"] or 0),
            good + (row["up"] or 0) + (row["degraded"] or 0),
        )
    return result


def _incident_days(
    incident: Incident, *, first_day: date, today: date
) -> Iterator[date]:
    """The UTC days an incident covers within the bar."""
    day = max(incident.started_at.astimezone(UTC).date(), first_day)
    last = (
        incident.resolved_at.astimezone(UTC).date() if incident.resolved_at else today
    )
    while day <= min(last, today):
        yield day
        day += timedelta(days=1)


def public_status(
    *,
    now: datetime | None = None,
    open_now: list[Incident] | None = None,
    days: int = STATUS_DAYS,
) -> dict[str, Any]:
    """The public status page: names and states only (no URLs, no errors).

    Per endpoint a bar of `days` UTC days (uptime and incidents of each), the
    incidents of the last HISTORY_DAYS with their notes, endpoints by group.
    A fixed number of queries whatever the number of endpoints.
    `open_now`: the open incidents, when the caller has read them already.
    """
    now = now or timezone.now()
    if open_now is None:
        open_now = open_incidents()
    active = sorted(
        Endpoint.objects.filter(is_active=True),
        key=lambda e: (e.group != "", e.group.lower(), e.name.lower(), e.pk),
    )
    ids = [e.pk for e in active]
    month = uptimes_batch(ids, now=now, windows={"30d": WINDOWS["30d"]})
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=days - 1)
    daily = daily_uptimes(ids, first_day=first_day)
    recent = list(
        Incident.objects.filter(endpoint__is_active=True, started_at__lte=now)
        .filter(
            Q(resolved_at__isnull=True)
            | Q(resolved_at__gte=datetime.combine(first_day, time.min, tzinfo=UTC))
        )
        .select_related("endpoint")
        .order_by("-started_at", "-id")
    )
    by_day: dict[int, dict[date, int]] = {}
    for incident in recent:
        for day in _incident_days(incident, first_day=first_day, today=today):
            per_day = by_day.setdefault(incident.endpoint_id, {})
            per_day[day] = per_day.get(day, 0) + 1
    dates = [first_day + timedelta(days=offset) for offset in range(days)]
    endpoints = []
    for e in active:
        pk = e.pk
        seen = daily[pk]
        covered = by_day.get(pk, {})
        uptimes: list[float | None] = []
        counts: list[int] = []
        levels: list[str] = []
        for day in dates:
            total, good = seen.get(day, (0, 0))
            value = round(100.0 * good / total, 3) if total else None
            count = covered.get(day, 0)
            uptimes.append(value)
            counts.append(count)
            levels.append(_day_level(value, count))
        endpoints.append(
            {
                "id": e.pk,
                "name": e.name,
                "group": e.group,
                "status": e.status,
                "uptime30d": month[e.pk]["30d"],
                "uptime90d": _mean_uptime(daily[e.pk]),
                "lastCheckedAt": events.iso(e.last_checked_at),
                # One entry per UTC day from `firstDay`, oldest first.
                "days": {"uptime": uptimes, "incidents": counts, "level": levels},
            }
        )
    history_since = now - timedelta(days=HISTORY_DAYS)
    return {
        "overall": _overall({e.status for e in active}),
        "endpoints": endpoints,
        "openIncidents": [
            {
                "id": i.pk,
                "endpointName": i.endpoint.name,
                "startedAt": events.iso(i.started_at),
            }
            for i in open_now
            if i.endpoint.is_active
        ],
        "incidentHistory": [
            {
                "id": i.pk,
                "endpointName": i.endpoint.name,
                "startedAt": events.iso(i.started_at),
                "resolvedAt": events.iso(i.resolved_at),
                "durationSeconds": i.duration_seconds(now),
                "notes": i.notes,
            }
            for i in recent
            if i.resolved_at is None or i.resolved_at >= history_since
        ],
        "days": days,
        "firstDay": first_day.isoformat(),
        "timestamp": events.iso(now),
    }


_shared_status: tuple[float, dict[str, Any], list[Incident]] | None = None
_shared_status_lock = threading.Lock()


def public_status_shared() -> tuple[dict[str, Any], list[Incident]]:
    """`public_status` and the open incidents, as the status page and its API serve them.

    The page is public and reloads itself every minute on every screen that
    shows it, and at 1,000 endpoints one read takes about 2 s; so within a
    process one read serves every request for MONITOR["STATUS_CACHE_SECONDS"]
    (10 s by default; 0: a read per request), and requests meanwhile wait
    for the read under way instead of starting their own. Callers must not
    change what they get.
    """
    global _shared_status
    ttl = conf.get("STATUS_CACHE_SECONDS")
    with _shared_status_lock:
        shared = _shared_status
        if shared is not None and monotonic() - shared[0] < ttl:
            return shared[1], shared[2]
        incidents = open_incidents()
        status = public_status(open_now=incidents)
        _shared_status = (monotonic(), status, incidents) if ttl > 0 else None
        return status, incidents


def forget_shared_status() -> None:
    global _shared_status
    _shared_status = None


def _mean_uptime(days: dict[date, tuple[int, int]]) -> float | None:
    total = sum(t for t, _ in days.values())
    good = sum(g for _, g in days.values())
    return round(100.0 * good / total, 3) if total else None


def badge(*, endpoint_id: int, now: datetime | None = None) -> dict[str, Any] | None:
    """Status and 30-day uptime of an endpoint shown on the status page, else None."""
    endpoint = Endpoint.objects.filter(pk=endpoint_id, is_active=True).first()
    if endpoint is None:
        return None
    now = now or timezone.now()
    month = uptimes_batch([endpoint.pk], now=now, windows={"30d": WINDOWS["30d"]})
    return {"status": endpoint.status, "uptime30d": month[endpoint.pk]["30d"]}


def endpoint_history_counts(endpoint: Endpoint) -> dict[str, int]:
    """What deleting an endpoint deletes with it."""
    return {
        "checks": endpoint.checks.count() + endpoint.rollups.count(),
        "incidents": endpoint.incidents.count(),
    }


def endpoints_all() -> list[Endpoint]:
    return list(Endpoint.objects.prefetch_related("notification_channels"))


def channels_all() -> list[NotificationChannel]:
    return list(NotificationChannel.objects.all())


def deliveries_recent(*, limit: int = 100) -> list[NotificationDelivery]:
    """The newest stored notifications with their channel."""
    return list(
        NotificationDelivery.objects.select_related("channel").order_by(
            "-created_at", "-id"
        )[:limit]
    )
