"""A lone trunk sensor's re-learns rewrite the stored day: through the pipeline, the daemon and its
store, and while the store refuses writes. Events and prompts already given stand."""

from __future__ import annotations

import pickle
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from pg_support import pg_schema
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError
from test_posture_classify import RATE, recording, segment, standing_first_day

from dashboard.app import create_app
from monitor.adapters.store import Store
from monitor.adapters.store_guard import GuardedWriter
from monitor.clock import ManualClock
from monitor.config import Settings, parse_settings
from monitor.daemon import Daemon
from monitor.fleet.central import CentralWorker, _inbox_row
from monitor.fleet.schema import fleet_inbox
from monitor.fleet.settings import FleetSettings
from monitor.fleet.wire import Batch, quantize
from monitor.model import Activity, Bout, Event, Placement, Posture, Revision, SampleBlock, revised
from monitor.pipeline import Pipeline
from monitor.posture import classify_recording
from monitor.tracker import Tracker, TrackerRules

STEP = 10.0


def standing_first_then_sitting() -> SampleBlock:
    """Standing (before any walk), sitting, a walk, then five more minutes of sitting: 720 s."""
    first = standing_first_day()
    g = (first.xyz - 2000.0) / 340.0
    seated = g[int(200 * RATE)]  # 200 s in: the sitting stretch
    sitting = segment(seated / np.linalg.norm(seated), 300, seed=24)
    return recording([first.xyz, 2000.0 + 340.0 * sitting], start=1_700_000_000.0)


def chunks(block: SampleBlock, seconds: float = STEP) -> list[SampleBlock]:
    n = int(seconds * RATE)
    return [SampleBlock(block.t[lo:lo + n], block.xyz[lo:lo + n]) for lo in range(0, len(block), n)]


def seconds_of(bouts: list[Bout], activity: Activity, start: float, end: float) -> float:
    return sum(max(0.0, min(b.end, end) - max(b.start, start)) for b in bouts if b.activity is activity)


def test_the_stored_day_is_judged_again_after_each_relearn() -> None:
    block = standing_first_then_sitting()
    t0 = float(block.t[0])
    rules = TrackerRules()
    pipeline = Pipeline("w", Placement.CHEST, rules)
    live: list[Bout] = []
    stored: list[Bout] = []
    events: list[Event] = []
    revisions: list[Revision] = []
    for part in chunks(block):
        out = pipeline.push(part).output
        live += out.bouts
        stored += out.bouts
        for revision in out.revisions:
            stored = revised(stored, revision)
        events += out.events
        revisions += out.revisions
    # Live, the standing before the first walk was taken for sitting; the re-learn after the walk
    # (at 600 s of data) judged it again, before the day was over.
    assert seconds_of(live, Activity.SIT, t0, t0 + 180) > 170
    assert seconds_of(stored, Activity.STAND, t0, t0 + 180) > 170
    # The re-learn at 300 s revised nothing: the live bout open since the first second held it all.
    assert [round(r.start - t0) for r in revisions] == [0]
    # A revision stops where the open bout starts: that bout closes with the live judgement.
    open_bout = pipeline.tracker.open_bout()
    assert open_bout is not None and revisions[-1].end <= open_bout.start
    out = pipeline.finish().output
    stored += out.bouts
    for revision in out.revisions:
        stored = revised(stored, revision)
    events += out.events
    # At the end the whole day is judged as `sitmon classify` reviews the recording.
    assert stored == Tracker.bouts_of(classify_recording(block, Placement.CHEST), rules)
    assert [(round(b.start - t0), round(b.end - t0), b.activity) for b in stored] == [
        (0, 180, Activity.STAND), (180, 360, Activity.SIT), (360, 420, Activity.MOVE), (420, 720, Activity.SIT)]
    # Events are what was said live, revised or not.
    plain = Pipeline("w", Placement.CHEST, rules)
    plain.classifier.revise = False
    said = [e for part in chunks(block) for e in plain.push(part).events] + plain.finish().events
    assert events == said


def test_beside_a_leg_sensor_nothing_is_revised() -> None:
    pipeline = Pipeline("w", Placement.CHEST, TrackerRules(), companion=Placement.THIGH)
    assert not pipeline.classifier.revise
    for part in chunks(standing_first_then_sitting()):
        assert pipeline.push(part).output.revisions == []


def test_a_pipeline_checkpointed_before_revisions_starts_revising() -> None:
    parts = chunks(standing_first_then_sitting())
    pipeline = Pipeline("w", Placement.CHEST, TrackerRules())
    for part in parts[:20]:
        pipeline.push(part)
    del pipeline.classifier.revise, pipeline.classifier._revision  # as the earlier version pickled it
    restored = pickle.loads(pickle.dumps(pipeline))
    assert restored.classifier.revise
    assert any(restored.push(part).output.revisions for part in parts[20:])


def settings_for(tmp_path: Path) -> Any:
    return parse_settings({
        "wearer": {"id": "w", "timezone": "UTC"},
        "wearables": [{"name": "chest", "kind": "emulated", "placement": "chest"}],
        "mqtt": {"enabled": False}, "dashboard": {"enabled": False}, "notify": {"desktop": False},
        "store": {"path": str(tmp_path / "d.sqlite3")},
    }, environ={})


def test_the_daemon_rewrites_the_stored_day_and_its_totals(tmp_path: Path) -> None:
    block = standing_first_then_sitting()
    t0 = float(block.t[0])
    settings = settings_for(tmp_path)
    store = Store.open(settings.store.sqlalchemy_url())
    clock = ManualClock(t0)
    daemon = Daemon(settings, clock, store, None)
    for part in chunks(block):
        clock.set(float(part.t[-1]) + 1.0 / RATE)
        daemon.samples("chest", part)
    bouts = store.bouts_between("w", t0, t0 + 720)
    assert seconds_of(bouts, Activity.STAND, t0, t0 + 180) > 170
    # Rewritten, the stored bouts still tile the time once: none overlap.
    assert all(a.end <= b.start for a, b in pairwise(bouts))
    assert daemon.today().standing_seconds > 170
    # Each revision that changed the day is noted, and the dashboard says so.
    notes = store.revisions_between("w", t0, t0 + 720)
    assert notes and all(n.changed_seconds > 0 for n in notes)
    assert notes[0].sitting_after < notes[0].sitting_before  # live took the standing for sitting
    client = TestClient(create_app(store, settings, clock))
    assert "Judged again" in client.get("/").text
    assert [r["changed_seconds"] for r in client.get("/api/v1/today").json()["revisions"]] == [
        round(n.changed_seconds) for n in notes]
    store.close()


class RefusingStore(Store):
    """The real store, refusing every write while `refuse` is set (as a full disk does)."""

    refuse = False

    def record(self, *args: Any, **kwargs: Any) -> list[str]:
        if self.refuse:
            raise OperationalError("INSERT", {}, Exception("database or disk is full"))
        return super().record(*args, **kwargs)


def test_revisions_wait_with_the_steps_while_the_store_refuses_writes(tmp_path: Path) -> None:
    store = RefusingStore.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    writer = GuardedWriter(store)
    sit, stand, up, unknown = Activity.SIT, Activity.STAND, Posture.UPRIGHT, Posture.UNKNOWN
    assert writer.record("w", [Bout(0, 100, sit, up)], [], None)
    store.refuse = True
    assert not writer.record("w", [Bout(100, 200, sit, up)], [], None,
                             revisions=[Revision(50, 150, (Bout(50, 150, stand, unknown),))])
    assert not writer.record("w", [Bout(200, 210, stand, unknown)], [], None)
    # Meanwhile the day's totals count the held steps as they will be stored.
    expected = [Bout(0, 50, sit, up), Bout(50, 150, stand, unknown), Bout(150, 200, sit, up),
                Bout(200, 210, stand, unknown)]
    assert writer.with_held(store.bouts_between("w", 0, 300), 0, 300) == expected
    store.refuse = False
    assert writer.record("w", [], [], None)
    assert store.bouts_between("w", 0, 300) == expected
    assert writer.pending_revisions == []
    store.close()


def test_a_central_worker_stores_the_revisions_in_postgresql(broker: tuple[str, int], base_topic: str) -> None:
    block = standing_first_then_sitting()
    t0 = float(block.t[0])
    g = (block.xyz - 2000.0) / 340.0  # the wire carries milli-g
    n = int(STEP * RATE)
    batches = [Batch("ann", "chest", Placement.CHEST, "gw", lo, float(block.t[lo]), RATE, quantize(g[lo:lo + n]))
               for lo in range(0, len(block), n)]
    host, port = broker
    with pg_schema() as url:
        store = Store.open(url)
        settings = Settings.model_validate({
            "wearer": {"timezone": "UTC"}, "store": {"url": url},
            "mqtt": {"host": host, "port": port, "base_topic": base_topic, "protocol": "5"}})
        fleet = FleetSettings()
        worker = CentralWorker(settings, fleet, store, "c1", clock=ManualClock(t0 + 720))
        worker.start()
        try:
            # As gateways would have delivered them (the inbox is where the worker reads from).
            with store.engine.begin() as conn:
                conn.execute(insert(fleet_inbox), [_inbox_row(b, fleet.partitions, t0 + 720) for b in batches])
            assert worker.wait(lambda: worker.stats.batches_processed == len(batches), timeout=60)
        finally:
            worker.stop()
        bouts = store.bouts_between("ann", t0, t0 + 720)
        assert seconds_of(bouts, Activity.STAND, t0, t0 + 180) > 170
        assert all(a.end <= b.start for a, b in pairwise(bouts))
        store.close()
