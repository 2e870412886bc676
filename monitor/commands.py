"""Commands arriving on `<base>/<wearer>/cmd/<name>` (pure): parse and validate, then act on a target.

A payload is empty or a JSON object (docs/mqtt.md, "Commands"); `snooze` and `pause` also take a
bare number of minutes. Anything else — an unknown command, bytes that are not UTF-8 JSON, a wrong
type, a value out of range, an unknown key — raises `CommandError` with the reason, before the
target is touched, so a bad command changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

COMMANDS = ("snooze", "pause", "resume", "calibrate")
MAX_PAYLOAD_BYTES = 1024
MAX_ID_LENGTH = 64
SNOOZE_DEFAULT_MINUTES = 15
SNOOZE_MAX_MINUTES = 240
PAUSE_MAX_MINUTES = 7 * 24 * 60


@runtime_checkable
class CommandTarget(Protocol):
    """What a command acts on (the daemon). Each method returns a short human-readable outcome."""

    def snooze(self, minutes: int) -> str: ...

    def pause(self, until: float | None) -> str: ...

    def resume(self) -> str: ...

    def calibrate(self, wearable: str | None) -> str: ...


@dataclass(frozen=True, slots=True)
class Snooze:
    minutes: int


@dataclass(frozen=True, slots=True)
class Pause:
    until: float | None  # None: until resumed


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class Calibrate:
    wearable: str | None  # None: every wearable that can be calibrated


Command = Snooze | Pause | Resume | Calibrate


@dataclass(frozen=True, slots=True)
class Request:
    name: str
    command: Command
    request_id: str | None


class CommandError(ValueError):
    def __init__(self, name: str, reason: str, request_id: str | None = None) -> None:
        super().__init__(f"command {name!r} refused: {reason}")
        self.name = name
        self.reason = reason
        self.request_id = request_id


def _int(name: str, args: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = args[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise CommandError(name, f"{key} must be a whole number (got {value!r})")
    if not low <= value <= high:
        raise CommandError(name, f"{key} must be between {low} and {high} (got {value!r})")
    return int(value)


def _instant(name: str, value: Any) -> float:
    if not isinstance(value, str):
        raise CommandError(name, f"until must be an ISO 8601 time with a UTC offset (got {value!r})")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(name, f"until is not an ISO 8601 time (got {value!r})") from None
    if moment.tzinfo is None:
        raise CommandError(name, f"until needs a UTC offset, e.g. 2026-11-25T14:00:00+01:00 (got {value!r})")
    return moment.timestamp()


def _arguments(name: str, payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise CommandError(name, f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
    text = payload.strip()
    if not text:
        return {}
    try:
        value = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CommandError(name, "payload is not JSON (send {} or a JSON object)") from None
    if name in ("snooze", "pause") and isinstance(value, int | float) and not isinstance(value, bool):
        return {"minutes": value}
    if not isinstance(value, dict):
        raise CommandError(name, f"payload must be a JSON object (got {type(value).__name__})")
    return value


def parse_command(name: str, payload: bytes, now: float, wearables: Collection[str]) -> Request:
    """Validate one command; `now` turns a relative pause into an instant, `wearables` are the configured names."""
    if name not in COMMANDS:
        raise CommandError(name, f"unknown command (known: {', '.join(COMMANDS)})")
    args = _arguments(name, payload)
    request_id = args.pop("id", None)
    if request_id is not None and (not isinstance(request_id, str) or not 0 < len(request_id) <= MAX_ID_LENGTH):
        raise CommandError(name, f"id must be a string of 1 to {MAX_ID_LENGTH} characters")
    allowed = {"snooze": {"minutes"}, "pause": {"minutes", "until"}, "resume": set(), "calibrate": {"wearable"}}
    unknown = sorted(set(args) - allowed[name])
    if unknown:
        raise CommandError(name, f"unknown argument {', '.join(unknown)}", request_id)
    try:
        command = _command(name, args, now, wearables)
    except CommandError as exc:
        raise CommandError(name, exc.reason, request_id) from None
    return Request(name, command, request_id)


def _command(name: str, args: dict[str, Any], now: float, wearables: Collection[str]) -> Command:
    if name == "snooze":
        minutes = _int(name, args, "minutes", 1, SNOOZE_MAX_MINUTES) if "minutes" in args else SNOOZE_DEFAULT_MINUTES
        return Snooze(minutes)
    if name == "pause":
        if "minutes" in args and "until" in args:
            raise CommandError(name, "give minutes or until, not both")
        if "minutes" in args:
            return Pause(now + 60 * _int(name, args, "minutes", 1, PAUSE_MAX_MINUTES))
        if "until" in args:
            until = _instant(name, args["until"])
            if until <= now:
                raise CommandError(name, "until is in the past")
            return Pause(until)
        return Pause(None)
    if name == "resume":
        return Resume()
    wearable = args.get("wearable")
    if wearable is not None and wearable not in wearables:
        raise CommandError(name, f"no wearable named {wearable!r} (configured: {', '.join(wearables)})")
    return Calibrate(wearable)


def execute(command: Command, target: CommandTarget) -> str:
    match command:
        case Snooze(minutes):
            return target.snooze(minutes)
        case Pause(until):
            return target.pause(until)
        case Resume():
            return target.resume()
        case Calibrate(wearable):
            return target.calibrate(wearable)
