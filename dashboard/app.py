"""The FastAPI application: `create_app` takes the store, settings and clock it should use."""

from __future__ import annotations

import math
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from dashboard import queries
from monitor import __version__
from monitor.adapters.store import Store
from monitor.clock import Clock, SystemClock
from monitor.config import Settings
from monitor.messages import iso
from monitor.model import EventType

HERE = Path(__file__).resolve().parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class TotalsModel(BaseModel):
    day_start: str
    day_end: str
    sitting_seconds: int
    standing_seconds: int
    moving_seconds: int
    lying_seconds: int
    unknown_seconds: int
    breaks: int
    prompts: int
    longest_streak_seconds: int


class CurrentModel(BaseModel):
    activity: str
    posture: str
    confidence: float
    sitting_since: str | None
    streak_seconds: int
    last_data_at: str | None


class PromptModel(BaseModel):
    id: str
    t: str
    streak_seconds: int
    number: int


class TodayModel(BaseModel):
    wearer: str
    now: str
    totals: TotalsModel
    current: CurrentModel
    prompts: list[PromptModel]


class EventModel(BaseModel):
    id: str
    type: str
    t: str
    data: dict[str, Any]


class HealthModel(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    store: bool


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _clock_time(t: float, tz: tzinfo | None) -> str:
    moment = datetime.fromtimestamp(t, tz) if tz is not None else datetime.fromtimestamp(t).astimezone()
    return moment.strftime("%H:%M")


def today_model(data: queries.Today, wearer: str, tz: tzinfo | None) -> TodayModel:
    t, snap = data.totals, data.snapshot
    return TodayModel(
        wearer=wearer,
        now=iso(data.now, tz),
        totals=TotalsModel(
            day_start=iso(t.day_start, tz), day_end=iso(t.day_end, tz),
            sitting_seconds=round(t.sitting_seconds), standing_seconds=round(t.standing_seconds),
            moving_seconds=round(t.moving_seconds), lying_seconds=round(t.lying_seconds),
            unknown_seconds=round(t.unknown_seconds), breaks=t.breaks, prompts=t.prompts,
            longest_streak_seconds=round(t.longest_streak_seconds),
        ),
        current=CurrentModel(
            activity=snap.activity.value if snap else "unknown",
            posture=snap.posture.value if snap else "unknown",
            confidence=snap.confidence if snap else 0.0,
            sitting_since=iso(snap.streak_start, tz) if snap and snap.streak_start is not None else None,
            streak_seconds=round(data.current_streak_seconds),
            last_data_at=iso(snap.last_t + 1.0, tz) if snap and snap.last_t is not None else None,
        ),
        prompts=[PromptModel(id=e.id, t=iso(e.t, tz), streak_seconds=int(e.data.get("streak_seconds", 0)),
                             number=int(e.data.get("number", 1))) for e in data.prompts],
    )


def create_app(store: Store, settings: Settings, clock: Clock | None = None) -> FastAPI:
    clock = clock or SystemClock()
    tz = settings.tz()
    wearer = settings.wearer.id
    app = FastAPI(title="sitmon", version=__version__, docs_url="/api/docs", redoc_url=None,
                  description="sitmon's read API: today's sitting totals, streaks, breaks and prompts.")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["duration"] = _duration
    templates.env.filters["clock"] = lambda t: _clock_time(float(t), tz)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def today_page(request: Request) -> HTMLResponse:
        data = queries.today(store, wearer, clock.now(), tz)
        start, end = data.totals.day_start, data.totals.day_end
        if data.bouts:
            first = min(b.start for b in data.bouts)
            last = max(*(b.end for b in data.bouts), data.now)
            start = max(start, math.floor(first / 3600) * 3600)
            end = min(end, math.ceil(last / 3600) * 3600)
        rows = queries.timeline(data.bouts, start, end)
        hours = [h for h in range(int(start), int(end) + 1, 3600)]
        return templates.TemplateResponse(request, "today.html", {
            "wearer": settings.wearer.name, "data": data, "model": today_model(data, wearer, tz),
            "timeline": rows, "hours": [(h, (h - start) / (end - start) * 100) for h in hours],
            "prompt_marks": [(p, (p.t - start) / (end - start) * 100) for p in data.prompts
                             if start <= p.t <= end],
        })

    @app.get("/api/v1/today", response_model=TodayModel, tags=["today"])
    def api_today() -> TodayModel:
        """Today's totals, the current streak and the prompts issued so far."""
        return today_model(queries.today(store, wearer, clock.now(), tz), wearer, tz)

    @app.get("/api/v1/events", response_model=list[EventModel], tags=["events"])
    def api_events(
        type: EventType | None = Query(None, description="Only events of this type."),
        limit: int = Query(100, ge=1, le=1000, description="At most this many, newest last."),
    ) -> list[EventModel]:
        """Today's events (sitting started, breaks, prompts)."""
        start, end = queries.day_bounds(clock.now(), tz)
        events = store.events_between(wearer, start, end, [type] if type else None)
        return [EventModel(id=e.id, type=e.type.value, t=iso(e.t, tz), data=e.data) for e in events[-limit:]]

    @app.get("/api/v1/health", response_model=HealthModel, tags=["health"])
    def api_health() -> HealthModel:
        ok = store.healthy()
        return HealthModel(status="ok" if ok else "degraded", version=__version__, store=ok)

    return app
