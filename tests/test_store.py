"""The store on a real SQLite file and on the local PostgreSQL: migrations, atomic steps, restart keeps
today's totals. Every test that takes `store` or `store_url` runs on both."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from pg_support import pg_schema
from sqlalchemy import inspect, text

from monitor import tokens
from monitor.adapters.retention import prune
from monitor.adapters.store import MIGRATIONS, Store
from monitor.model import Activity, Bout, Event, EventType, Posture, Revision, revised
from monitor.summary import day_totals
from monitor.tracker import TrackerSnapshot

T0 = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 's.sqlite3'}"
    else:
        with pg_schema() as url:
            yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


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


def test_every_head_applies_on_both_databases(store_url):
    store = Store.open(store_url)
    with store.engine.connect() as conn:
        versions = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    assert versions == set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    assert {"bouts", "events", "live_state"} <= set(inspect(store.engine).get_table_names())
    store.close()
    Store.open(store_url).close()  # migrating again is a no-op


def test_workers_migrating_at_once_do_not_collide_on_postgresql():
    # Central workers of a fleet start together against one empty database (SQLite has one process).
    with pg_schema() as url:
        _open_concurrently(url, 3)


def _open_concurrently(store_url: str, workers: int) -> None:
    _at_once(lambda: Store.open(store_url).close(), workers)


def _at_once(target: Callable[[], object], threads: int = 2) -> None:
    """Run `target` in `threads` threads released together; none may raise."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def run() -> None:
        try:
            start.wait(10)
            target()
        except BaseException as exc:
            errors.append(exc)

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(60)
    assert errors == []


def test_two_writers_saving_one_calibration_at_once_do_not_collide(store):
    # A central worker and an operator's `sitmon calibrate` may save the same wearable together.
    def save() -> None:
        for i in range(40):
            store.save_calibration("ann", "chest", T0 + i, {"writer": threading.get_ident(), "i": i})

    _at_once(save)
    assert store.calibration("ann", "chest")["i"] == 39


def test_two_processes_adding_one_token_at_once_do_not_collide(store):
    made: list[str] = []
    _at_once(lambda: made.extend(tokens.add(store.engine, "wearer", "ann", T0) for _ in range(40)))
    assert tokens.listed(store.engine) == [("wearer", "ann", T0)]
    # Exactly one of the tokens handed out still opens the dashboard: the last one written.
    assert sum(tokens.by_token(store.engine, t) is not None for t in made) == 1


def test_a_restart_keeps_todays_totals_and_the_streak(store_url):
    url = store_url
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
    assert store.record("w", [], [event], None) == ["same-id"]
    assert store.record("w", [], [event], None) == []
    assert store.events_between("w", T0 - 1, T0 + 1) == [event]


def test_the_live_state_is_replaced_not_added(store):
    for second in range(3):
        snapshot = TrackerSnapshot(last_t=T0 + second, activity=Activity.SIT, bout_start=T0, streak_start=T0)
        store.record("w", [], [], snapshot)
    assert store.snapshot("w") == snapshot


def test_queries_are_per_wearer_and_per_interval(store):
    store.record("a", [Bout(T0, T0 + 10, Activity.SIT, Posture.UNKNOWN)], [], None)
    store.record("b", [Bout(T0, T0 + 10, Activity.STAND, Posture.UNKNOWN)], [], None)
    assert [b.activity for b in store.bouts_between("a", T0, T0 + 5)] == [Activity.SIT]
    assert store.bouts_between("a", T0 + 10, T0 + 20) == []
    assert store.healthy()


def test_a_revision_replaces_the_bouts_of_its_span_and_cuts_those_across_its_edges(store):
    sit, stand = Activity.SIT, Activity.STAND
    up = Posture.UPRIGHT
    store.record("ann", [Bout(T0, T0 + 100, sit, up), Bout(T0 + 100, T0 + 200, stand, Posture.UNKNOWN),
                         Bout(T0 + 200, T0 + 300, sit, up)], [], None)
    store.record("bob", [Bout(T0, T0 + 300, sit, up)], [], None)
    again = Revision(T0 + 50, T0 + 250, (Bout(T0 + 50, T0 + 120, sit, Posture.SLUMPED),
                                          Bout(T0 + 120, T0 + 250, stand, Posture.UNKNOWN)))
    # A revision arrives with the step's new bouts: they are written first, then the span is rewritten.
    store.record("ann", [Bout(T0 + 300, T0 + 310, stand, Posture.UNKNOWN)], [], None, revisions=[again])
    assert store.bouts_between("ann", T0, T0 + 400) == [
        Bout(T0, T0 + 50, sit, up), Bout(T0 + 50, T0 + 120, sit, Posture.SLUMPED),
        Bout(T0 + 120, T0 + 250, stand, Posture.UNKNOWN), Bout(T0 + 250, T0 + 300, sit, up),
        Bout(T0 + 300, T0 + 310, stand, Posture.UNKNOWN)]
    assert store.bouts_between("bob", T0, T0 + 400) == [Bout(T0, T0 + 300, sit, up)]
    # A bout reaching over both edges keeps both ends; the same revision in memory agrees.
    inside = Revision(T0 + 20, T0 + 30, (Bout(T0 + 20, T0 + 30, stand, Posture.UNKNOWN),))
    store.record("ann", [], [], None, revisions=[inside])
    stored = store.bouts_between("ann", T0, T0 + 400)
    assert stored[:3] == [Bout(T0, T0 + 20, sit, up), Bout(T0 + 20, T0 + 30, stand, Posture.UNKNOWN),
                          Bout(T0 + 30, T0 + 50, sit, up)]
    assert stored == revised(revised(
        [Bout(T0, T0 + 100, sit, up), Bout(T0 + 100, T0 + 200, stand, Posture.UNKNOWN),
         Bout(T0 + 200, T0 + 300, sit, up), Bout(T0 + 300, T0 + 310, stand, Posture.UNKNOWN)], again), inside)


def test_a_revision_that_changes_the_day_is_noted_for_the_dashboard(store):
    sit, stand, up = Activity.SIT, Activity.STAND, Posture.UPRIGHT
    store.record("ann", [Bout(T0, T0 + 100, sit, up), Bout(T0 + 100, T0 + 200, stand, Posture.UNKNOWN)], [], None)
    store.record("bob", [Bout(T0, T0 + 200, sit, up)], [], None)
    # Judged the same again (only the posture differs): nothing to say.
    same = Revision(T0, T0 + 200, (Bout(T0, T0 + 100, sit, Posture.SLUMPED),
                                   Bout(T0 + 100, T0 + 200, stand, Posture.UNKNOWN)))
    store.record("ann", [], [], None, revisions=[same])
    assert store.revisions_between("ann", T0, T0 + 400) == []
    # The last 40 s of the sitting were standing, and a gap no bout covered is now sitting.
    again = Revision(T0 + 50, T0 + 260, (Bout(T0 + 50, T0 + 60, sit, up),
                                         Bout(T0 + 60, T0 + 200, stand, Posture.UNKNOWN),
                                         Bout(T0 + 200, T0 + 260, sit, up)))
    store.record("ann", [], [], None, revisions=[again])
    [note] = store.revisions_between("ann", T0, T0 + 400)
    # From the first to the last second changed, and the sitting in that stretch.
    assert (note.start, note.end, note.changed_seconds) == (T0 + 60, T0 + 260, 40 + 60)
    assert (note.sitting_before, note.sitting_after) == (40, 60)
    assert note.t == T0 + 260  # a step without a snapshot: the revision's end
    assert store.revisions_between("ann", T0 + 300, T0 + 400) == store.revisions_between("ann", T0, T0 + 60) == []
    assert store.revisions_between("bob", T0, T0 + 400) == []
    # Retention forgets the notes with the bouts they were about.
    prune(store, None, now=T0 + 3 * 86_400, keep_days=1, raw_keep_days=0)
    assert store.revisions_between("ann", T0, T0 + 400) == []
