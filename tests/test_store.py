"""The store on a real SQLite file: migrations, WAL, atomic steps, restart keeps today's totals."""

from __future__ import annotations

import sqlite3

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from monitor.adapters.store import MIGRATIONS, Store
from monitor.model import Activity, Bout, Event, EventType, Posture
from monitor.summary import day_totals
from monitor.tracker import TrackerSnapshot

T0 = 1_800_000_000.0


def test_migrations_create_the_tables_in_wal_mode(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = Store.open(f"sqlite:///{path}")
    assert {"bouts", "events", "live_state", "alembic_version"} <= set(inspect(store.engine).get_table_names())
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # Every feature's revision branches from 0001, so the store sits at all heads at once.
        versions = {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}
    assert versions == set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    Store.open(f"sqlite:///{path}").close()  # migrating again is a no-op


def test_a_restart_keeps_todays_totals_and_the_streak(tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    store = Store.open(url)
    bouts = [Bout(T0, T0 + 600, Activity.SIT, Posture.UNKNOWN),
             Bout(T0 + 600, T0 + 700, Activity.MOVE, Posture.UNKNOWN)]
    event = Event("e1", EventType.BREAK_TAKEN, T0 + 660, "w", {"streak_seconds": 600})
    snapshot = TrackerSnapshot(last_t=T0 + 899, activity=Activity.SIT, bout_start=T0 + 700, streak_start=T0 + 700)
    store.record("w", bouts, [event], snapshot)
    store.close()

    reopened = Store.open(url)
    got = reopened.bouts_between("w", T0 - 10, T0 + 10_000)
    assert got == bouts
    assert reopened.snapshot("w") == snapshot
    totals = day_totals(got, reopened.events_between("w", T0, T0 + 10_000), T0, T0 + 86_400)
    assert (totals.sitting_seconds, totals.breaks, totals.longest_streak_seconds) == (600, 1, 600)
    reopened.close()


def test_an_event_is_stored_once_even_if_recorded_twice(store):
    event = Event("same-id", EventType.PROMPT, T0, "w", {"number": 1})
    store.record("w", [], [event], None)
    store.record("w", [], [event], None)
    assert store.events_between("w", T0 - 1, T0 + 1) == [event]


def test_queries_are_per_wearer_and_per_interval(store):
    store.record("a", [Bout(T0, T0 + 10, Activity.SIT, Posture.UNKNOWN)], [], None)
    store.record("b", [Bout(T0, T0 + 10, Activity.STAND, Posture.UNKNOWN)], [], None)
    assert [b.activity for b in store.bouts_between("a", T0, T0 + 5)] == [Activity.SIT]
    assert store.bouts_between("a", T0 + 10, T0 + 20) == []
    assert store.healthy()
