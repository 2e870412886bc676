"""Busy periods from an iCalendar (RFC 5545) file: pure text in, intervals out.

Covers what calendar exports hold for meetings: VEVENTs with DTSTART/DTEND (or DURATION) in UTC,
with a TZID, or floating (taken in the wearer's zone); all-day events (VALUE=DATE) and events
marked TRANSP:TRANSPARENT or STATUS:CANCELLED are not busy. Recurrence rules are not expanded:
an event with an RRULE counts for its first occurrence only (exports from most clients list
expanded instances when asked for a date range).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DURATION = re.compile(r"^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass(frozen=True, slots=True)
class Busy:
    start: float
    end: float
    summary: str


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def _split(line: str) -> tuple[str, dict[str, str], str]:
    head, _, value = line.partition(":")
    name, *params = head.split(";")
    parsed = {}
    for param in params:
        key, _, val = param.partition("=")
        parsed[key.upper()] = val.strip('"')
    return name.upper(), parsed, value


def _moment(params: dict[str, str], value: str, tz: tzinfo) -> datetime | None:
    if params.get("VALUE") == "DATE" or len(value) == 8:
        return None  # an all-day event does not make anyone busy for the whole day
    try:
        naive = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")  # noqa: DTZ007 (zone set below)
    except ValueError:
        return None
    if value.endswith("Z"):
        return naive.replace(tzinfo=UTC)
    if "TZID" in params:
        try:
            return naive.replace(tzinfo=ZoneInfo(params["TZID"]))
        except (ZoneInfoNotFoundError, ValueError):
            return naive.replace(tzinfo=tz)
    return naive.replace(tzinfo=tz)


def _duration(value: str) -> timedelta | None:
    match = _DURATION.match(value.strip())
    if match is None:
        return None
    sign, weeks, days, hours, minutes, seconds = match.groups()
    delta = timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                      minutes=int(minutes or 0), seconds=int(seconds or 0))
    return -delta if sign == "-" else delta


def busy_periods(text: str, tz: tzinfo) -> list[Busy]:
    """Every busy interval in the calendar, sorted by start; malformed events are skipped."""
    periods: list[Busy] = []
    event: dict[str, tuple[dict[str, str], str]] | None = None
    for line in _unfold(text):
        name, params, value = _split(line)
        if name == "BEGIN" and value.upper() == "VEVENT":
            event = {}
        elif name == "END" and value.upper() == "VEVENT" and event is not None:
            busy = _to_busy(event, tz)
            if busy is not None:
                periods.append(busy)
            event = None
        elif event is not None:
            event.setdefault(name, (params, value))
    return sorted(periods, key=lambda b: (b.start, b.end))


def _to_busy(event: dict[str, tuple[dict[str, str], str]], tz: tzinfo) -> Busy | None:
    if event.get("TRANSP", ({}, ""))[1].upper() == "TRANSPARENT":
        return None
    if event.get("STATUS", ({}, ""))[1].upper() == "CANCELLED":
        return None
    if "DTSTART" not in event:
        return None
    start = _moment(*event["DTSTART"], tz)
    if start is None:
        return None
    if "DTEND" in event:
        end = _moment(*event["DTEND"], tz)
    elif "DURATION" in event:
        delta = _duration(event["DURATION"][1])
        end = start + delta if delta is not None else None
    else:
        end = None
    if end is None or end <= start:
        return None
    return Busy(start.timestamp(), end.timestamp(), event.get("SUMMARY", ({}, ""))[1])
