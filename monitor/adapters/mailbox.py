"""The store as a mailbox between processes: `sitmon snooze` or the dashboard leave a command, the
daemon acts on it and writes its answer. Works with no broker and across restarts."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from monitor.config import Settings, parse_settings
from monitor.schema import commands, settings_overrides

COMMAND_NAMES = ("snooze", "pause", "resume", "calibrate")


@dataclass(frozen=True, slots=True)
class Command:
    id: int
    t: float
    name: str
    args: dict[str, Any]


def enqueue(engine: Engine, wearer: str, name: str, args: dict[str, Any], t: float | None = None) -> int:
    with engine.begin() as conn:
        result = conn.execute(insert(commands).values(
            wearer=wearer, t=time.time() if t is None else t, name=name, args=args))
        key = result.inserted_primary_key
        if key is None:
            raise RuntimeError("the store did not return the new command's id")
        return int(key[0])


def pending(engine: Engine, wearer: str) -> list[Command]:
    query = (select(commands.c.id, commands.c.t, commands.c.name, commands.c.args)
             .where(commands.c.wearer == wearer, commands.c.done_at.is_(None)).order_by(commands.c.id))
    with engine.connect() as conn:
        return [Command(int(r.id), float(r[1]), str(r.name), dict(r.args or {})) for r in conn.execute(query)]


def finish(engine: Engine, command_id: int, response: str, t: float | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(update(commands).where(commands.c.id == command_id).values(
            done_at=time.time() if t is None else t, response=response[:200]))


def answer(engine: Engine, command_id: int) -> str | None:
    """The daemon's answer, or None while the command waits."""
    with engine.connect() as conn:
        row = conn.execute(select(commands.c.done_at, commands.c.response)
                           .where(commands.c.id == command_id)).first()
    if row is None or row.done_at is None:
        return None
    return str(row.response or "done")


def overrides_version(engine: Engine) -> float:
    with engine.connect() as conn:
        return float(conn.execute(select(func.coalesce(func.max(settings_overrides.c.updated_at), 0.0))).scalar_one())


def overrides(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(settings_overrides.c.section, settings_overrides.c.settings)).all()
    return {str(r.section): dict(r.settings) for r in rows}


def effective_settings(base: Settings, sections: Mapping[str, Mapping[str, Any]]) -> Settings:
    """The base settings with the saved sections on top; ConfigError (every bad key) if invalid."""
    # Python mode keeps secrets as SecretStr, so they survive the round trip.
    data = base.model_dump(mode="python")
    for section, values in sections.items():
        current = data.get(section)
        data[section] = {**current, **values} if isinstance(current, dict) else dict(values)
    return parse_settings(data, environ={}, source="settings from the dashboard")
