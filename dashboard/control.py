"""What the dashboard may ask of the running daemon, and a store-backed implementation of it.

`DaemonControl` is the seam: the daemon implements it in-process; `StoreControl` implements it with
the store as a mailbox (settings in `settings_overrides`, requests in `commands`), which serves a
dashboard running on its own and the tests. Methods are called from the web server's worker
threads, so an implementation living on an event loop must hand the work over to that loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, get_args

from pydantic import BaseModel
from sqlalchemy import delete, insert, select

from monitor.adapters import mailbox
from monitor.adapters.store import Store
from monitor.clock import Clock
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.schema import commands, settings_overrides

__all__ = ["LIVE_SECTIONS", "CalibrationError", "ControlStatus", "DaemonControl", "StoreControl",
           "WearableStatus", "effective_settings", "live_sections", "read_overrides"]

# Sections the daemon applies without a restart; the rest (store, MQTT, wearables) need one.
LIVE_SECTIONS = ("tracker", "schedule", "slump", "notify", "dashboard")
# Fields that name files on the daemon's machine, or decide where the dashboard listens, are set in
# the configuration file only: the web is the wrong place to point the daemon at a file. Who may see
# what (mode, min_wearers) is the operator's decision, never a form's.
_FILE_ONLY_FIELDS = frozenset({"host", "port", "enabled", "token_file", "mode", "min_wearers"})
MAX_SNOOZE_MINUTES = 24 * 60


class CalibrationError(ValueError):
    """A calibration that cannot start (unknown wearable, or one already running)."""


@dataclass(frozen=True, slots=True)
class WearableStatus:
    name: str
    kind: str
    placement: str
    connected: bool | None
    battery_percent: int | None
    last_data_at: float | None
    calibration_requested_at: float | None
    calibrated_at: float | None


@dataclass(frozen=True, slots=True)
class ControlStatus:
    paused: bool
    snoozed_until: float | None
    wearables: tuple[WearableStatus, ...]


class DaemonControl(Protocol):
    def status(self) -> ControlStatus:
        """Pause and snooze state, and each wearable's connection, battery, last data and calibration."""

    def snooze(self, minutes: float) -> ControlStatus:
        """Hold back move prompts for `minutes` from now (0 < minutes <= 1440)."""

    def pause(self) -> ControlStatus:
        """Stop prompting until `resume`."""

    def resume(self) -> ControlStatus:
        """End a pause or a snooze."""

    def start_calibration(self, wearable: str) -> ControlStatus:
        """Begin an upright-posture calibration of the named wearable; CalibrationError if it cannot."""

    def settings(self) -> Settings:
        """The settings in force: the configuration file with the dashboard's changes on top."""

    def apply_settings(self, changes: Mapping[str, Mapping[str, Any]]) -> Settings:
        """Validate and apply changes to live sections; ConfigError names every bad key, and then nothing changes."""


def _is_path(annotation: Any) -> bool:
    return annotation is Path or Path in get_args(annotation)


def live_sections(settings: Settings) -> dict[str, type[BaseModel]]:
    """The sections the dashboard may change, in the order of LIVE_SECTIONS."""
    fields = type(settings).model_fields
    return {name: fields[name].annotation for name in LIVE_SECTIONS  # type: ignore[misc]
            if name in fields and isinstance(fields[name].annotation, type)
            and issubclass(fields[name].annotation, BaseModel)}  # type: ignore[arg-type]


def editable_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items()
            if name not in _FILE_ONLY_FIELDS and not _is_path(info.annotation)]


# The daemon applies the same layering (monitor.adapters.mailbox); one definition serves both.
read_overrides = mailbox.overrides
effective_settings = mailbox.effective_settings


def _check_changes(settings: Settings, changes: Mapping[str, Mapping[str, Any]]) -> None:
    sections = live_sections(settings)
    problems: list[str] = []
    for section, values in changes.items():
        if section not in sections:
            problems.append(f"{section}: not a setting the dashboard can change")
            continue
        model = sections[section]
        allowed = editable_fields(model)
        for key in values:
            if key not in model.model_fields:
                problems.append(f"{section}.{key}: unknown setting")
            elif key not in allowed:
                problems.append(f"{section}.{key}: set in the configuration file only")
    if problems:
        raise ConfigError(problems, "settings from the dashboard")


@dataclass(frozen=True, slots=True)
class _Request:
    id: int
    t: float
    args: dict[str, Any]
    done_at: float | None


class StoreControl:
    """DaemonControl through the store: requests become rows the daemon picks up."""

    def __init__(self, store: Store, base: Settings, clock: Clock) -> None:
        self.store = store
        self.base = base
        self.clock = clock

    def _command(self, name: str, args: dict[str, Any]) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(insert(commands).values(wearer=self.base.wearer.id, t=self.clock.now(), name=name,
                                                 args=args))

    def _latest(self) -> dict[str, _Request]:
        """The newest request of each kind (calibrations per wearable); ids order them, as times may tie."""
        query = (select(commands.c.id, commands.c.name, commands.c.t, commands.c.args, commands.c.done_at)
                 .where(commands.c.wearer == self.base.wearer.id).order_by(commands.c.id))
        latest: dict[str, _Request] = {}
        with self.store.engine.connect() as conn:
            # Row.t is SQLAlchemy's tuple accessor, so read the columns through the mapping.
            for row in (r._mapping for r in conn.execute(query)):
                args = dict(row["args"])
                key = f"calibrate:{args.get('wearable')}" if row["name"] == "calibrate" else str(row["name"])
                latest[key] = _Request(int(row["id"]), float(row["t"]), args, row["done_at"])
        return latest

    def status(self) -> ControlStatus:
        now = self.clock.now()
        latest = self._latest()
        none = _Request(0, 0.0, {}, None)
        pause, resume, snooze = (latest.get(k, none) for k in ("pause", "resume", "snooze"))
        until = float(snooze.args.get("until", 0.0))
        snoozed_until = until if snooze.id > resume.id and until > now else None
        snapshot = self.store.snapshot(self.base.wearer.id)
        last_data = snapshot.last_t + 1.0 if snapshot is not None and snapshot.last_t is not None else None
        wearables = []
        for i, w in enumerate(self.settings().wearables):
            calibration = latest.get(f"calibrate:{w.name}")
            wearables.append(WearableStatus(
                name=w.name, kind=w.kind, placement=w.placement.value, connected=None, battery_percent=None,
                # The tracker's snapshot follows the first wearable, which decides sitting.
                last_data_at=last_data if i == 0 else None,
                calibration_requested_at=calibration.t if calibration else None,
                calibrated_at=calibration.done_at if calibration else None))
        return ControlStatus(paused=pause.id > resume.id, snoozed_until=snoozed_until, wearables=tuple(wearables))

    def snooze(self, minutes: float) -> ControlStatus:
        if not 0 < minutes <= MAX_SNOOZE_MINUTES:
            raise ValueError(f"snooze for more than 0 and at most {MAX_SNOOZE_MINUTES} minutes")
        self._command("snooze", {"minutes": minutes, "until": self.clock.now() + minutes * 60})
        return self.status()

    def pause(self) -> ControlStatus:
        self._command("pause", {})
        return self.status()

    def resume(self) -> ControlStatus:
        self._command("resume", {})
        return self.status()

    def start_calibration(self, wearable: str) -> ControlStatus:
        names = [w.name for w in self.base.wearables]
        if wearable not in names:
            raise CalibrationError(f"no wearable named {wearable!r} (configured: {', '.join(names)})")
        self._command("calibrate", {"wearable": wearable})
        return self.status()

    def settings(self) -> Settings:
        try:
            return effective_settings(self.base, read_overrides(self.store.engine))
        except ConfigError:
            # Overrides that no longer fit a changed configuration file must not lock the dashboard out.
            return self.base

    def apply_settings(self, changes: Mapping[str, Mapping[str, Any]]) -> Settings:
        current = self.settings()
        _check_changes(current, changes)
        overrides = read_overrides(self.store.engine)
        for section, values in changes.items():
            overrides[section] = {**overrides.get(section, {}), **values}
        result = effective_settings(self.base, overrides)
        now = self.clock.now()
        with self.store.engine.begin() as conn:
            for section in changes:
                stored = result.model_dump(mode="json")[section]
                conn.execute(delete(settings_overrides).where(settings_overrides.c.section == section))
                conn.execute(insert(settings_overrides).values(
                    section=section, settings={k: stored[k] for k in overrides[section]}, updated_at=now))
        return result
