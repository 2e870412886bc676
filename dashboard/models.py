"""The JSON API's shapes (the OpenAPI surface) and the conversions from query results to them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, Field

from dashboard import queries
from dashboard.control import MAX_SNOOZE_MINUTES, ControlStatus
from monitor.messages import iso
from monitor.stretches import Routine, Stretch


class ErrorModel(BaseModel):
    error: str
    problems: list[str] = []


class TotalsModel(BaseModel):
    day_start: str
    day_end: str
    sitting_seconds: int
    standing_seconds: int
    moving_seconds: int
    lying_seconds: int
    unknown_seconds: int
    upright_seconds: int
    slumped_seconds: int
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
    outcome: str | None = Field(description="answered, snoozed or ignored; null while none is recorded")


class WearableModel(BaseModel):
    name: str
    kind: str
    placement: str
    connected: bool | None
    battery_percent: int | None
    last_data_at: str | None
    calibration_requested_at: str | None
    calibrated_at: str | None


class StatusModel(BaseModel):
    paused: bool
    snoozed_until: str | None
    wearables: list[WearableModel]


class TimelineBoutModel(BaseModel):
    start: str
    end: str
    activity: str
    posture: str


class RevisionModel(BaseModel):
    """The stored day judged again (a chest or back sensor re-learned the wearer): made at `t`,
    over [start, end)."""

    t: str
    start: str
    end: str
    changed_seconds: int
    sitting_seconds_before: int
    sitting_seconds_after: int


class DayModel(BaseModel):
    wearer: str
    date: date
    now: str
    totals: TotalsModel
    current: CurrentModel
    prompts: list[PromptModel]
    bouts: list[TimelineBoutModel] = []
    revisions: list[RevisionModel] = []


class TodayModel(DayModel):
    status: StatusModel | None = None


class EventModel(BaseModel):
    id: str
    type: str
    t: str
    data: dict[str, Any]


class HealthModel(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    store: bool


class HistoryDayModel(BaseModel):
    date: date
    sitting_seconds: int
    standing_seconds: int
    moving_seconds: int
    lying_seconds: int
    unknown_seconds: int
    upright_seconds: int
    slumped_seconds: int
    breaks: int
    prompts: int
    longest_streak_seconds: int
    streaks_over_30: int
    streaks_over_60: int
    breaks_per_sitting_hour: float
    over_goal: bool


class HistoryWeekModel(BaseModel):
    week_start: date
    days_tracked: int
    sitting_seconds: int
    average_sitting_seconds: int
    breaks: int
    streaks_over_30: int
    streaks_over_60: int
    breaks_per_sitting_hour: float
    days_over_goal: int


class HistoryModel(BaseModel):
    wearer: str
    first: date
    last: date
    goal_seconds: int
    days: list[HistoryDayModel]
    weeks: list[HistoryWeekModel]


class DoseModel(BaseModel):
    text: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    per_side: bool
    minutes: float | None


class StretchModel(BaseModel):
    id: str
    name: str
    purpose: str
    steps: list[str]
    dose: DoseModel
    mistakes: list[str]
    cautions: list[str]
    tags: list[str]
    at_desk: bool


class RoutineModel(BaseModel):
    date: date
    focus: str
    reason: str
    stretches: list[StretchModel]


class SnoozeRequest(BaseModel):
    minutes: float = Field(gt=0, le=MAX_SNOOZE_MINUTES, description="How long to hold back move prompts.")


class CalibrateRequest(BaseModel):
    wearable: str = Field(min_length=1, max_length=64, description="The wearable's name from the settings.")


SettingsChanges = dict[str, dict[str, Any]]


def _iso(t: float | None, tz: tzinfo | None) -> str | None:
    return iso(t, tz) if t is not None else None


def status_model(status: ControlStatus, tz: tzinfo | None) -> StatusModel:
    return StatusModel(
        paused=status.paused, snoozed_until=_iso(status.snoozed_until, tz),
        wearables=[WearableModel(
            name=w.name, kind=w.kind, placement=w.placement, connected=w.connected,
            battery_percent=w.battery_percent, last_data_at=_iso(w.last_data_at, tz),
            calibration_requested_at=_iso(w.calibration_requested_at, tz),
            calibrated_at=_iso(w.calibrated_at, tz)) for w in status.wearables])


def day_model(data: queries.DayDetail, wearer: str, tz: tzinfo | None, with_bouts: bool = False) -> DayModel:
    t, snap = data.totals, data.snapshot
    return DayModel(
        wearer=wearer, date=data.day, now=iso(data.now, tz),
        totals=TotalsModel(
            day_start=iso(t.day_start, tz), day_end=iso(t.day_end, tz),
            sitting_seconds=round(t.sitting_seconds), standing_seconds=round(t.standing_seconds),
            moving_seconds=round(t.moving_seconds), lying_seconds=round(t.lying_seconds),
            unknown_seconds=round(t.unknown_seconds), upright_seconds=round(data.upright_seconds),
            slumped_seconds=round(data.slumped_seconds), breaks=t.breaks, prompts=t.prompts,
            longest_streak_seconds=round(t.longest_streak_seconds),
        ),
        current=CurrentModel(
            activity=snap.activity.value if snap else "unknown",
            posture=snap.posture.value if snap else "unknown",
            confidence=snap.confidence if snap else 0.0,
            sitting_since=_iso(snap.streak_start, tz) if snap else None,
            streak_seconds=round(data.current_streak_seconds),
            last_data_at=_iso(snap.last_t + 1.0, tz) if snap and snap.last_t is not None else None,
        ),
        prompts=[PromptModel(id=p.event.id, t=iso(p.event.t, tz),
                             streak_seconds=int(p.event.data.get("streak_seconds", 0)),
                             number=int(p.event.data.get("number", 1)), outcome=p.outcome)
                 for p in data.prompts],
        bouts=[TimelineBoutModel(start=iso(b.start, tz), end=iso(b.end, tz), activity=b.activity.value,
                                 posture=b.posture.value) for b in data.bouts] if with_bouts else [],
        revisions=[RevisionModel(t=iso(r.t, tz), start=iso(r.start, tz), end=iso(r.end, tz),
                                 changed_seconds=round(r.changed_seconds),
                                 sitting_seconds_before=round(r.sitting_before),
                                 sitting_seconds_after=round(r.sitting_after)) for r in data.revisions],
    )


def history_day(d: queries.DaySummary, goal_seconds: float) -> HistoryDayModel:
    return HistoryDayModel(
        date=d.day, sitting_seconds=round(d.sitting_seconds), standing_seconds=round(d.standing_seconds),
        moving_seconds=round(d.moving_seconds), lying_seconds=round(d.lying_seconds),
        unknown_seconds=round(d.unknown_seconds), upright_seconds=round(d.upright_seconds),
        slumped_seconds=round(d.slumped_seconds), breaks=d.breaks, prompts=d.prompts,
        longest_streak_seconds=round(d.longest_streak_seconds), streaks_over_30=d.streaks_over_30,
        streaks_over_60=d.streaks_over_60, breaks_per_sitting_hour=d.breaks_per_sitting_hour,
        over_goal=d.sitting_seconds > goal_seconds)


def history_weeks(days: list[queries.DaySummary], goal_seconds: float) -> list[HistoryWeekModel]:
    """Monday-based weeks; only days with data count towards the averages."""
    weeks: dict[date, list[queries.DaySummary]] = {}
    for d in days:
        weeks.setdefault(d.day - timedelta(days=d.day.weekday()), []).append(d)
    out = []
    for start, members in sorted(weeks.items()):
        tracked = [d for d in members if d.tracked_seconds > 0]
        sitting = sum(d.sitting_seconds for d in tracked)
        breaks = sum(d.breaks for d in tracked)
        out.append(HistoryWeekModel(
            week_start=start, days_tracked=len(tracked), sitting_seconds=round(sitting),
            average_sitting_seconds=round(sitting / len(tracked)) if tracked else 0, breaks=breaks,
            streaks_over_30=sum(d.streaks_over_30 for d in tracked),
            streaks_over_60=sum(d.streaks_over_60 for d in tracked),
            breaks_per_sitting_hour=round(breaks / (sitting / 3600), 2) if sitting > 0 else 0.0,
            days_over_goal=sum(1 for d in tracked if d.sitting_seconds > goal_seconds)))
    return out


def stretch_model(s: Stretch) -> StretchModel:
    return StretchModel(
        id=s.id, name=s.name, purpose=s.purpose, steps=list(s.steps),
        dose=DoseModel(text=str(s.dose), sets=s.dose.sets, reps=s.dose.reps, hold_seconds=s.dose.hold_seconds,
                       per_side=s.dose.per_side, minutes=s.dose.minutes),
        mistakes=list(s.mistakes), cautions=list(s.cautions), tags=sorted(s.tags), at_desk=s.at_desk)


def routine_model(day: date, routine: Routine) -> RoutineModel:
    return RoutineModel(date=day, focus=routine.focus, reason=routine.reason,
                        stretches=[stretch_model(s) for s in routine.stretches])


def parse_date(text: str) -> date:
    """A YYYY-MM-DD date; ValueError with a clear message otherwise."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, no instant
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2026-11-25") from None
