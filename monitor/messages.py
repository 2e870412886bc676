"""MQTT topics and payloads (pure): what sitmon says on the wire. Documented in docs/mqtt.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from monitor.model import SCHEMA_VERSION, Event, EventType
from monitor.summary import DayTotals
from monitor.tracker import TrackerSnapshot

ONLINE = "online"
OFFLINE = "offline"

PROMPT_TEXT = "You have been sitting for {minutes} minutes. Stand up and move for 2-3 minutes."


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    qos: int
    retain: bool


def iso(t: float, tz: tzinfo | None) -> str:
    """ISO-8601 with the UTC offset, in the wearer's zone (the system's when None)."""
    moment = datetime.fromtimestamp(t, tz) if tz is not None else datetime.fromtimestamp(t).astimezone()
    return moment.isoformat(timespec="seconds")


class Topics:
    def __init__(self, base: str, wearer: str) -> None:
        self.root = f"{base.strip('/')}/{wearer}"

    @property
    def availability(self) -> str:
        return f"{self.root}/availability"

    @property
    def state(self) -> str:
        return f"{self.root}/state"

    def event(self, type_: EventType) -> str:
        return f"{self.root}/event/{type_.value}"


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def availability_message(topics: Topics, online: bool) -> Message:
    return Message(topics.availability, (ONLINE if online else OFFLINE).encode(), 1, True)


def event_payload(event: Event, tz: tzinfo | None) -> dict[str, Any]:
    data = dict(event.data)
    for key in ("streak_started", "break_started"):
        if isinstance(data.get(key), int | float):
            data[key] = iso(float(data[key]), tz)
    if event.type is EventType.PROMPT:
        minutes = round(float(event.data.get("streak_seconds", 0)) / 60)
        data["message"] = PROMPT_TEXT.format(minutes=minutes)
    return {"schema": SCHEMA_VERSION, "id": event.id, "type": event.type.value, "wearer": event.wearer,
            "t": iso(event.t, tz), "data": data}


def event_message(topics: Topics, event: Event, tz: tzinfo | None) -> Message:
    return Message(topics.event(event.type), _encode(event_payload(event, tz)), 1, False)


def state_payload(wearer: str, now: float, snap: TrackerSnapshot, totals: DayTotals,
                  next_prompt_at: float | None, tz: tzinfo | None) -> dict[str, Any]:
    streak = 0.0 if snap.streak_start is None else max(0.0, now - snap.streak_start)
    return {
        "schema": SCHEMA_VERSION,
        "wearer": wearer,
        "t": iso(now, tz),
        "activity": snap.activity.value,
        "posture": snap.posture.value,
        "confidence": snap.confidence,
        "sitting": snap.activity.value == "sit",
        "sitting_since": iso(snap.streak_start, tz) if snap.streak_start is not None else None,
        "streak_seconds": round(streak),
        "next_prompt_at": iso(next_prompt_at, tz) if next_prompt_at is not None else None,
        "today": {
            "sitting_seconds": round(totals.sitting_seconds),
            "standing_seconds": round(totals.standing_seconds),
            "moving_seconds": round(totals.moving_seconds),
            "breaks": totals.breaks,
            "prompts": totals.prompts,
            "longest_streak_seconds": round(totals.longest_streak_seconds),
        },
    }


def state_message(topics: Topics, payload: dict[str, Any]) -> Message:
    return Message(topics.state, _encode(payload), 1, True)
