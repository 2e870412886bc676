"""The JSON API under /api/v1: the day, history and exports, stretches, and the daemon's controls."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from dashboard import models, queries
from dashboard.context import Dashboard
from dashboard.control import CalibrationError, editable_fields, live_sections
from dashboard.models import (
    CalibrateRequest,
    DayModel,
    ErrorModel,
    EventModel,
    HealthModel,
    HistoryModel,
    RoutineModel,
    SettingsChanges,
    SnoozeRequest,
    StatusModel,
    StretchModel,
    TodayModel,
)
from monitor import __version__
from monitor.errors import ConfigError
from monitor.messages import iso
from monitor.model import EventType
from monitor.stretches import STRETCHES, by_id, suggest_routine

MAX_HISTORY_DAYS = 400
DEFAULT_HISTORY_DAYS = 28
ERRORS: dict[int | str, dict[str, object]] = {404: {"model": ErrorModel}, 422: {"model": ErrorModel}}
DateText = Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$", description="A calendar day, YYYY-MM-DD.")]


def _date(text: str) -> date:
    try:
        return models.parse_date(text)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


def history_range(dash: Dashboard, first: str | None, last: str | None) -> tuple[date, date]:
    """The requested days, checked: both ends real dates, in order, at most MAX_HISTORY_DAYS apart."""
    end = _date(last) if last else dash.today_date()
    start = _date(first) if first else end - timedelta(days=DEFAULT_HISTORY_DAYS - 1)
    if start > end:
        raise HTTPException(422, f"from ({start}) is after to ({end})")
    if (end - start).days >= MAX_HISTORY_DAYS:
        raise HTTPException(422, f"at most {MAX_HISTORY_DAYS} days at once")
    return start, end


def history_model(dash: Dashboard, wearer: str, first: date, last: date) -> HistoryModel:
    days = queries.history(dash.store, wearer, first, last, dash.clock.now(), dash.tz, dash.cache)
    goal = dash.goal_seconds()
    return HistoryModel(wearer=wearer, first=first, last=last, goal_seconds=round(goal),
                        days=[models.history_day(d, goal) for d in days], weeks=models.history_weeks(days, goal))


def history_csv(history: HistoryModel) -> str:
    out = io.StringIO()
    fields = list(models.HistoryDayModel.model_fields)
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for day in history.days:
        writer.writerow(day.model_dump(mode="json"))
    return out.getvalue()


def api_router(dash: Dashboard) -> APIRouter:
    router = APIRouter(prefix="/api/v1", responses=ERRORS)

    def no_fleet_controls(request: Request) -> None:
        """Controls and settings belong to the one daemon of a single wearer; a fleet's are the operator's."""
        dash.wearer_of(request)
        if dash.fleet:
            raise HTTPException(403, "not available on a fleet dashboard: the central service's operator "
                                     "sets prompts and settings")

    @router.get("/today", response_model=TodayModel, tags=["day"])
    def api_today(request: Request) -> TodayModel:
        """Today's totals, posture, the current streak, the prompts and their outcomes, and the controls' state."""
        wearer = dash.wearer_of(request)
        detail = queries.today(dash.store, wearer, dash.clock.now(), dash.tz)
        day = models.day_model(detail, wearer, dash.tz)
        return TodayModel(**day.model_dump(), status=models.status_model(dash.status_for(wearer), dash.tz))

    @router.get("/days/{day}", response_model=DayModel, tags=["day"])
    def api_day(request: Request, day: DateText) -> DayModel:
        """One calendar day in full, with its bouts for a timeline."""
        wearer = dash.wearer_of(request)
        detail = queries.day_detail(dash.store, wearer, _date(day), dash.clock.now(), dash.tz)
        return models.day_model(detail, wearer, dash.tz, with_bouts=True)

    @router.get("/events", response_model=list[EventModel], tags=["day"])
    def api_events(
        request: Request,
        type: EventType | None = Query(None, description="Only events of this type."),
        limit: int = Query(100, ge=1, le=1000, description="At most this many, newest last."),
    ) -> list[EventModel]:
        """Today's events (sitting started, breaks, prompts and their outcomes)."""
        start, end = queries.day_bounds(dash.clock.now(), dash.tz)
        events = dash.store.events_between(dash.wearer_of(request), start, end, [type] if type else None)
        return [EventModel(id=e.id, type=e.type.value, t=iso(e.t, dash.tz), data=e.data) for e in events[-limit:]]

    @router.get("/history", response_model=HistoryModel, tags=["history"])
    def api_history(
        request: Request,
        first: str | None = Query(None, alias="from", description="First day, YYYY-MM-DD (default: 27 days "
                                                                   "before `to`)."),
        last: str | None = Query(None, alias="to", description="Last day, YYYY-MM-DD (default: today)."),
    ) -> HistoryModel:
        """One summary per day and per week: sitting against the goal, long streaks, breaks per sitting hour."""
        return history_model(dash, dash.wearer_of(request), *history_range(dash, first, last))

    @router.get("/export", tags=["history"], response_class=Response,
                responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
    def api_export(
        request: Request,
        format: Literal["csv", "json"] = Query("csv", description="csv: one row per day; json: as /history."),
        first: str | None = Query(None, alias="from", description="First day, YYYY-MM-DD."),
        last: str | None = Query(None, alias="to", description="Last day, YYYY-MM-DD."),
    ) -> Response:
        """The history as a download."""
        wearer = dash.wearer_of(request)
        start, end = history_range(dash, first, last)
        history = history_model(dash, wearer, start, end)
        name = f"sitmon-{wearer}-{start}-{end}.{format}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if format == "csv":
            return Response(history_csv(history), media_type="text/csv; charset=utf-8", headers=headers)
        return Response(history.model_dump_json(indent=1), media_type="application/json", headers=headers)

    @router.get("/stretches", response_model=list[StretchModel], tags=["stretches"])
    def api_stretches() -> list[StretchModel]:
        """The stretch and exercise library."""
        return [models.stretch_model(s) for s in STRETCHES]

    @router.get("/stretches/{stretch_id}", response_model=StretchModel, tags=["stretches"])
    def api_stretch(stretch_id: Annotated[str, Path(max_length=64)]) -> StretchModel:
        try:
            return models.stretch_model(by_id(stretch_id))
        except KeyError:
            raise HTTPException(404, f"no stretch with id {stretch_id!r}") from None

    @router.get("/suggestion", response_model=RoutineModel, tags=["stretches"])
    def api_suggestion(
        request: Request,
        day: str | None = Query(None, alias="date", description="The day, YYYY-MM-DD (default: today)."),
    ) -> RoutineModel:
        """The routine suggested for the day, chosen from its data, with the reason."""
        when = _date(day) if day else dash.today_date()
        detail = queries.day_detail(dash.store, dash.wearer_of(request), when, dash.clock.now(), dash.tz)
        return models.routine_model(when, suggest_routine(detail.signals, when.weekday()))

    @router.get("/status", response_model=StatusModel, tags=["controls"])
    def api_status(request: Request) -> StatusModel:
        """Pause and snooze state and each wearable's connection, battery, last data and calibration."""
        return models.status_model(dash.status_for(dash.wearer_of(request)), dash.tz)

    @router.post("/snooze", response_model=StatusModel, tags=["controls"])
    def api_snooze(http: Request, request: SnoozeRequest) -> StatusModel:
        """Hold back move prompts for a while."""
        no_fleet_controls(http)
        return models.status_model(dash.control.snooze(request.minutes), dash.tz)

    @router.post("/pause", response_model=StatusModel, tags=["controls"])
    def api_pause(request: Request) -> StatusModel:
        """Stop prompting until resumed."""
        no_fleet_controls(request)
        return models.status_model(dash.control.pause(), dash.tz)

    @router.post("/resume", response_model=StatusModel, tags=["controls"])
    def api_resume(request: Request) -> StatusModel:
        """End a pause or a snooze."""
        no_fleet_controls(request)
        return models.status_model(dash.control.resume(), dash.tz)

    @router.post("/calibrate", response_model=StatusModel, tags=["controls"])
    def api_calibrate(http: Request, request: CalibrateRequest) -> StatusModel:
        """Start an upright-posture calibration: sit tall on your sit bones and stay still until it is done."""
        no_fleet_controls(http)
        try:
            return models.status_model(dash.control.start_calibration(request.wearable), dash.tz)
        except CalibrationError as exc:
            raise HTTPException(422, str(exc)) from None

    @router.get("/settings", response_model=SettingsChanges, tags=["settings"])
    def api_settings(request: Request) -> SettingsChanges:
        """The settings the dashboard can change, as in force now."""
        dash.wearer_of(request)
        return settings_view(dash)

    @router.put("/settings", response_model=SettingsChanges, tags=["settings"])
    def api_put_settings(request: Request, changes: SettingsChanges = Body(...)) -> SettingsChanges | JSONResponse:
        """Change settings; the running daemon applies them without a restart. All or nothing."""
        no_fleet_controls(request)
        try:
            dash.control.apply_settings(changes)
        except ConfigError as exc:
            return JSONResponse(ErrorModel(error="invalid settings", problems=exc.problems).model_dump(),
                                status_code=422)
        return settings_view(dash)

    @router.get("/health", response_model=HealthModel, tags=["health"])
    def api_health() -> HealthModel:
        ok = dash.store.healthy()
        return HealthModel(status="ok" if ok else "degraded", version=__version__, store=ok)

    return router


def settings_view(dash: Dashboard) -> SettingsChanges:
    current = dash.settings()
    dumped = current.model_dump(mode="json")
    return {name: {k: dumped[name][k] for k in editable_fields(model)}
            for name, model in live_sections(current).items()}
