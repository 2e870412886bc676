"""The dashboard of a fleet (dashboard.mode = "fleet"): who is signed in, and the admin's view.

Every request is made by a `Principal`: a wearer, whose pages and API calls are all scoped to their
own id (no route takes a wearer id, so there is nothing to ask for someone else's data with), or an
admin, who sees the fleet's health and anonymous aggregates and no wearer's data at all. The admin
view names no wearer: health is counts and shares, and each aggregate says how many wearers it
covers and is withheld when they are fewer than `dashboard.min_wearers` (k-anonymity), so that no
figure describes one identifiable person. `sitmon fleet-status`, run on the server, is where an
operator looks up a named wearer's stream.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import func, select
from starlette.requests import Request

from dashboard import queries
from dashboard.context import Dashboard
from dashboard.security import SESSION_COOKIE
from monitor import tokens
from monitor.fleet.schema import fleet_inbox, fleet_streams
from monitor.messages import iso
from monitor.model import EventType
from monitor.schema import events, live_state
from monitor.tokens import Principal, dashboard_tokens

AGGREGATE_DAYS = 7
# Last-data ages the health table sorts wearers into, in seconds.
RECENCY = ((300.0, "in the last 5 minutes"), (3600.0, "5 minutes to an hour ago"), (86400.0, "1 to 24 hours ago"))
# A wearer whose day so far is more unknown than this has a data problem worth counting.
GAPPY_SHARE = 0.25


def principal(dash: Dashboard, request: Request) -> Principal | None:
    """The signed-in principal of a request: a bearer token first, else the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return tokens.by_token(dash.store.engine, header[7:])
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return tokens.by_session(dash.store.engine, cookie) if cookie else None


def require_admin(request: Request) -> None:
    who: Principal | None = getattr(request.state, "principal", None)
    if who is None or who.role != "admin":
        raise HTTPException(404, "Not Found")


class Aggregate(BaseModel):
    name: str
    label: str
    value: float | None
    unit: str
    wearers: int
    withheld: bool


class Count(BaseModel):
    label: str
    count: int


class GatewayModel(BaseModel):
    gateway: str
    batches_waiting: int
    last_received: str | None


class WorkerModel(BaseModel):
    worker: str
    streams: int
    last_update: str | None


class FleetModel(BaseModel):
    now: str
    min_wearers: int
    wearers_known: int
    wearer_tokens: int
    last_data: list[Count]
    unknown_share_today: float | None
    wearers_with_gaps_today: int
    gateways: list[GatewayModel]
    workers: list[WorkerModel]
    batches_waiting: int
    batteries_recorded: bool
    first: date
    last: date
    aggregates: list[Aggregate]


@dataclass(frozen=True, slots=True)
class _Known:
    wearer: str
    last_t: float


def _known(dash: Dashboard) -> list[_Known]:
    with dash.store.engine.connect() as conn:
        rows = conn.execute(select(live_state.c.wearer, live_state.c.t)).all()
    return [_Known(r._mapping["wearer"], float(r._mapping["t"])) for r in rows]


def _aggregate(name: str, label: str, values: list[float], unit: str, wearers: int, k: int,
               how: str = "median") -> Aggregate:
    withheld = wearers < k or not values
    value = None if withheld else round(statistics.median(values) if how == "median" else values[0], 3)
    return Aggregate(name=name, label=label, value=value, unit=unit, wearers=wearers, withheld=withheld)


def fleet_model(dash: Dashboard) -> FleetModel:
    now = dash.clock.now()
    tz = dash.tz
    k = dash.base.dashboard.min_wearers
    known = _known(dash)
    ages = [now - w.last_t for w in known]
    # Bands that do not overlap, so the counts add up to the wearers known.
    lower = [-float("inf")] + [limit for limit, _ in RECENCY]
    last_data = [Count(label=label, count=sum(1 for a in ages if low < a <= limit))
                 for low, (limit, label) in zip(lower, RECENCY, strict=False)]
    last_data.append(Count(label="longer ago", count=sum(1 for a in ages if a > RECENCY[-1][0])))
    today = queries.local_date(now, tz)
    first = today - timedelta(days=AGGREGATE_DAYS - 1)
    sitting: list[float] = []
    longest: list[float] = []
    over_30: list[float] = []
    breaks = sitting_total = 0.0
    contributing = 0
    unknown_today = tracked_today = 0.0
    gappy = 0
    for w in known:
        days = queries.history(dash.store, w.wearer, first, today, now, tz, dash.cache)
        tracked = [d for d in days if d.tracked_seconds > 0]
        if tracked:
            contributing += 1
        sitting += [d.sitting_seconds / 3600 for d in tracked]
        longest += [d.longest_streak_seconds / 60 for d in tracked]
        over_30 += [float(d.streaks_over_30) for d in tracked]
        breaks += sum(d.breaks for d in tracked)
        sitting_total += sum(d.sitting_seconds for d in tracked)
        day = days[-1]
        span = day.tracked_seconds + day.unknown_seconds
        if span > 0:
            unknown_today += day.unknown_seconds
            tracked_today += span
            gappy += day.unknown_seconds / span > GAPPY_SHARE
    answered, outcome_wearers = _answered(dash, first, today)
    gateways = _gateways(dash)
    per_hour = [breaks / (sitting_total / 3600)] if sitting_total > 0 else []
    aggregates = [
        _aggregate("sitting_hours_per_day", "Median sitting per tracked day", sitting, "hours", contributing, k),
        _aggregate("longest_streak_minutes", "Median longest sitting streak of a day", longest, "minutes",
                   contributing, k),
        _aggregate("streaks_over_30_per_day", "Median streaks over 30 minutes per day", over_30, "streaks",
                   contributing, k),
        _aggregate("breaks_per_sitting_hour", "Breaks per sitting hour, whole fleet", per_hour, "breaks",
                   contributing, k, how="total"),
        _aggregate("prompts_answered_share", "Share of move prompts answered with a break",
                   [answered] if answered is not None else [], "share", outcome_wearers, k, how="total"),
    ]
    return FleetModel(
        now=iso(now, tz), min_wearers=k, wearers_known=len(known), wearer_tokens=_wearer_tokens(dash),
        last_data=last_data, unknown_share_today=round(unknown_today / tracked_today, 3) if tracked_today else None,
        wearers_with_gaps_today=gappy, gateways=gateways, workers=_workers(dash),
        batches_waiting=sum(g.batches_waiting for g in gateways), batteries_recorded=False,
        first=first, last=today, aggregates=aggregates)


def _answered(dash: Dashboard, first: date, last: date) -> tuple[float | None, int]:
    """Share of settled prompts answered with a break, and over how many wearers, from one query."""
    start, _ = queries.date_bounds(first, dash.tz)
    _, end = queries.date_bounds(last, dash.tz)
    query = select(events.c.wearer, events.c.data).where(
        events.c.type == EventType.PROMPT_OUTCOME.value, events.c.t >= start, events.c.t < end)
    with dash.store.engine.connect() as conn:
        rows = conn.execute(query).all()
    if not rows:
        return None, 0
    answered = sum(1 for r in rows if dict(r.data).get("outcome") == "answered")
    return answered / len(rows), len({r.wearer for r in rows})


def _wearer_tokens(dash: Dashboard) -> int:
    with dash.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(dashboard_tokens)
                                .where(dashboard_tokens.c.role == "wearer")).scalar() or 0)


def _gateways(dash: Dashboard) -> list[GatewayModel]:
    # The inbox holds what the gateways sent in the last seconds; a gateway absent here has sent
    # nothing that is still waiting (idle, caught up, or down).
    query = (select(fleet_inbox.c.gateway, func.count(), func.max(fleet_inbox.c.received))
             .group_by(fleet_inbox.c.gateway).order_by(fleet_inbox.c.gateway))
    with dash.store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [GatewayModel(gateway=g, batches_waiting=int(n), last_received=iso(float(t), dash.tz) if t else None)
            for g, n, t in rows]


def _workers(dash: Dashboard) -> list[WorkerModel]:
    query = (select(fleet_streams.c.worker, func.count(), func.max(fleet_streams.c.updated))
             .group_by(fleet_streams.c.worker).order_by(fleet_streams.c.worker))
    with dash.store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [WorkerModel(worker=w, streams=int(n), last_update=iso(float(t), dash.tz) if t else None)
            for w, n, t in rows]


def fleet_router(dash: Dashboard) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/fleet", response_model=FleetModel, tags=["fleet"])
    def api_fleet(request: Request) -> FleetModel:
        """Fleet dashboards, admins only: fleet health and anonymous aggregates (withheld under k wearers)."""
        require_admin(request)
        return fleet_model(dash)

    return router
