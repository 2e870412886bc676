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

# Instants in event data, sent as ISO 8601 like every other time on the wire.
TIME_KEYS = ("streak_started", "break_started", "until", "prompt_t")

# Prompts are what a consumer acts on, so the outbox keeps them longest when it must drop messages.
URGENT_EVENTS = frozenset({EventType.PROMPT, EventType.SLUMP_NUDGE})

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

    def command(self, name: str) -> str:
        return f"{self.root}/cmd/{name}"

    @property
    def commands(self) -> str:
        """The filter that matches every command topic."""
        return f"{self.root}/cmd/+"

    def response(self, name: str) -> str:
        return f"{self.root}/response/{name}"

    def samples(self, wearable: str) -> str:
        return f"{self.root}/samples/{wearable}"

    @property
    def all_samples(self) -> str:
        return f"{self.root}/samples/+"

    def wearable(self, name: str) -> str:
        return f"{self.root}/wearable/{name}"


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def availability_message(topics: Topics, online: bool) -> Message:
    return Message(topics.availability, (ONLINE if online else OFFLINE).encode(), 1, True)


def event_payload(event: Event, tz: tzinfo | None) -> dict[str, Any]:
    data = dict(event.data)
    for key in TIME_KEYS:
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
                  next_prompt_at: float | None, tz: tzinfo | None,
                  last_prompt_at: float | None = None) -> dict[str, Any]:
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
        # Retained with the state, so a consumer that restarts still knows when the last prompt was.
        "last_prompt_at": iso(last_prompt_at, tz) if last_prompt_at is not None else None,
        "today": {
            "sitting_seconds": round(totals.sitting_seconds),
            "standing_seconds": round(totals.standing_seconds),
            "moving_seconds": round(totals.moving_seconds),
            "breaks": totals.breaks,
            "prompts": totals.prompts,
            "longest_streak_seconds": round(totals.longest_streak_seconds),
            # Local midnight: the totals count from here (Home Assistant's last_reset for them).
            "day_start": iso(totals.day_start, tz),
        },
    }


def state_message(topics: Topics, payload: dict[str, Any]) -> Message:
    return Message(topics.state, _encode(payload), 1, True)


def command_response_payload(command: str, ok: bool, message: str, t: float, tz: tzinfo | None,
                             request_id: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"schema": SCHEMA_VERSION, "command": command, "ok": ok, "message": message,
                               "t": iso(t, tz)}
    if request_id is not None:
        payload["id"] = request_id
    return payload


def command_response_message(topics: Topics, payload: dict[str, Any]) -> Message:
    return Message(topics.response(str(payload["command"])), _encode(payload), 1, False)


def wearable_payload(name: str, kind: str, connected: bool, battery_percent: int | None, t: float,
                     tz: tzinfo | None) -> dict[str, Any]:
    return {"schema": SCHEMA_VERSION, "wearable": name, "kind": kind, "connected": connected,
            "battery_percent": battery_percent, "t": iso(t, tz)}


def wearable_message(topics: Topics, payload: dict[str, Any]) -> Message:
    """Retained, so Home Assistant's battery and connection entities show the last known value."""
    return Message(topics.wearable(str(payload["wearable"])), _encode(payload), 1, True)
