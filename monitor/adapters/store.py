"""The store: SQLite (WAL) by default, PostgreSQL (or any SQLAlchemy URL) otherwise; schema kept by Alembic.

Writes that may race between processes (the central workers of a fleet, docs/fleet.md) use the
dialect's INSERT ... ON CONFLICT, which SQLite and PostgreSQL both have, rather than select-then-insert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from monitor.model import Activity, Bout, Event, EventType, Posture, Revision, revised, revision_change
from monitor.prompts import PrompterSnapshot
from monitor.schema import bouts, calibrations, events, live_state
from monitor.schema import revisions as revisions_table
from monitor.tracker import TrackerSnapshot

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any fixed number: PostgreSQL serialises concurrent migrations (several workers starting at once) on it.
_MIGRATION_LOCK = 0x5173_6D6F


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed bout or event survives a power cut, not only a crash of the process.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Released at commit; the second worker then finds the schema current and does nothing.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        cfg.attributes["connection"] = connection
        # "heads": parallel branches of migrations (each feature adds its own from 0001) all apply.
        command.upgrade(cfg, "heads")


def upsert(conn: Connection) -> Any:
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    if conn.dialect.name == "postgresql":
        return postgresql_insert
    if conn.dialect.name == "sqlite":
        return sqlite_insert
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {conn.dialect.name}")


def _event_row(e: Event) -> dict[str, Any]:
    return {"id": e.id, "wearer": e.wearer, "type": e.type.value, "t": e.t, "data": e.data}


def _bout_row(wearer: str, b: Bout) -> dict[str, Any]:
    return {"wearer": wearer, "start": b.start, "end": b.end, "activity": b.activity.value,
            "posture": b.posture.value}


@dataclass(frozen=True, slots=True)
class StoredRevision:
    """A revision that changed the stored day: made at `t`; [start, end) runs from the first to
    the last second it changed (see `monitor.model.RevisionChange`)."""

    t: float
    start: float
    end: float
    changed_seconds: float
    sitting_before: float
    sitting_after: float


def _revise_in(conn: Connection, wearer: str, revision: Revision, at: float) -> None:
    """Replace the stored bouts of the revision's span (bouts reaching beyond it are cut at its
    edges) and, if that changed anything, log it as made at `at`."""
    rows = conn.execute(select(bouts).where(bouts.c.wearer == wearer, bouts.c.end > revision.start,
                                            bouts.c.start < revision.end)).all()
    if rows:
        conn.execute(delete(bouts).where(bouts.c.id.in_([r.id for r in rows])))
    old = [Bout(r.start, r.end, Activity(r.activity), Posture(r.posture)) for r in rows]
    new_rows = [_bout_row(wearer, b) for b in revised(old, revision)]
    if new_rows:
        conn.execute(insert(bouts), new_rows)
    change = revision_change(old, revision)
    if change.changed_seconds > 0:
        conn.execute(insert(revisions_table).values(
            wearer=wearer, t=at, start=change.start, end=change.end, changed_seconds=change.changed_seconds,
            sitting_before=change.sitting_before, sitting_after=change.sitting_after))


def record_in(conn: Connection, wearer: str, new_bouts: Iterable[Bout], new_events: Iterable[Event],
              snapshot: TrackerSnapshot | None, prompter: PrompterSnapshot | None = None,
              revisions: Iterable[Revision] = ()) -> list[str]:
    """`Store.record` inside the caller's transaction (a central worker writes many wearers in one)."""
    bout_rows = [_bout_row(wearer, b) for b in new_bouts]
    if bout_rows:
        conn.execute(insert(bouts), bout_rows)
    # A revision is noted as made at the newest second the step carried (its own end without one).
    newest = snapshot.last_t + 1.0 if snapshot is not None and snapshot.last_t is not None else None
    for revision in revisions:
        _revise_in(conn, wearer, revision, revision.end if newest is None else max(newest, revision.end))
    stored: list[str] = []
    for row in (_event_row(e) for e in new_events):
        # An event already stored (same deterministic id) is not stored twice, even when another
        # process inserts it at the same moment: the conflict is resolved by the database.
        stmt = upsert(conn)(events).values(row).on_conflict_do_nothing(index_elements=["id"])
        if conn.execute(stmt.returning(events.c.id)).first() is not None:
            stored.append(row["id"])
    if snapshot is not None and snapshot.last_t is not None:
        state = {"tracker": snapshot.to_json(),
                 "prompter": prompter.to_json() if prompter is not None else None}
        values = {"wearer": wearer, "t": snapshot.last_t, "snapshot": state}
        stmt = upsert(conn)(live_state).values(values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["wearer"], set_=values))
    return stored


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def record(self, wearer: str, new_bouts: Iterable[Bout], new_events: Iterable[Event],
               snapshot: TrackerSnapshot | None, prompter: PrompterSnapshot | None = None,
               also: Callable[[Connection], None] | None = None,
               revisions: Iterable[Revision] = ()) -> list[str]:
        """Write one step atomically: its bouts, its events and the tracker and prompter snapshots after it.

        `also` writes more in the same transaction (the MQTT outbox queues the step's events there);
        `revisions` then rewrite spans of the stored bouts (see `monitor.model.Revision`).
        Returns the ids of the events stored now (an id stored before is skipped).
        """
        with self.engine.begin() as conn:
            stored = record_in(conn, wearer, new_bouts, new_events, snapshot, prompter, revisions)
            if also is not None:
                also(conn)
        return stored

    def _live(self, wearer: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(live_state.c.snapshot).where(live_state.c.wearer == wearer)).first()
        return dict(row[0]) if row else None

    def snapshot(self, wearer: str) -> TrackerSnapshot | None:
        live = self._live(wearer)
        return TrackerSnapshot.from_json(live["tracker"]) if live and live.get("tracker") else None

    def prompter_snapshot(self, wearer: str) -> PrompterSnapshot | None:
        live = self._live(wearer)
        return PrompterSnapshot.from_json(live["prompter"]) if live and live.get("prompter") else None

    def bouts_between(self, wearer: str, start: float, end: float) -> list[Bout]:
        query = (select(bouts).where(bouts.c.wearer == wearer, bouts.c.end > start, bouts.c.start < end)
                 .order_by(bouts.c.start))
        with self.engine.connect() as conn:
            return [Bout(r.start, r.end, Activity(r.activity), Posture(r.posture)) for r in conn.execute(query)]

    def revisions_between(self, wearer: str, start: float, end: float) -> list[StoredRevision]:
        """The revisions that changed something in [start, end), oldest first."""
        r = revisions_table.c
        query = (select(revisions_table).where(r.wearer == wearer, r.end > start, r.start < end)
                 .order_by(r.t, r.id))
        with self.engine.connect() as conn:
            return [StoredRevision(m["t"], m["start"], m["end"], m["changed_seconds"], m["sitting_before"],
                                   m["sitting_after"]) for m in conn.execute(query).mappings()]

    def events_between(self, wearer: str, start: float, end: float,
                       types: Iterable[EventType] | None = None) -> list[Event]:
        query = select(events).where(events.c.wearer == wearer, events.c.t >= start, events.c.t < end)
        if types is not None:
            query = query.where(events.c.type.in_([t.value for t in types]))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(events.c.t, events.c.id)).all()
        # Row.t is SQLAlchemy's tuple accessor, so read the column through the mapping.
        return [Event(m["id"], EventType(m["type"]), m["t"], m["wearer"], dict(m["data"]))
                for m in (r._mapping for r in rows)]

    def save_calibration(self, wearer: str, wearable: str, t: float, data: dict[str, Any]) -> None:
        # One statement, so that two writers saving the same wearable at once cannot collide.
        values = {"wearer": wearer, "wearable": wearable, "t": t, "data": data}
        with self.engine.begin() as conn:
            stmt = upsert(conn)(calibrations).values(values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["wearer", "wearable"],
                                                    set_={"t": t, "data": data}))

    def calibration(self, wearer: str, wearable: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(calibrations.c.data).where(
                calibrations.c.wearer == wearer, calibrations.c.wearable == wearable)).first()
        return dict(row[0]) if row else None

    def healthy(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            log.exception("store health check failed")
            return False
        return True
