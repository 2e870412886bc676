"""The tracker as a state machine: scripted seconds in, bouts and streak events out."""

from __future__ import annotations

from monitor.model import Activity, EventType, Posture, PostureState
from monitor.tracker import Tracker, TrackerOutput, TrackerRules, TrackerSnapshot

T0 = 1_800_000_000.0
SIT, STAND, MOVE, UNKNOWN = Activity.SIT, Activity.STAND, Activity.MOVE, Activity.UNKNOWN


def run(tracker: Tracker, plan: list[tuple[Activity, int]], start: float = T0) -> tuple[TrackerOutput, float]:
    out = TrackerOutput()
    t = start
    for activity, seconds in plan:
        for _ in range(seconds):
            if activity is not UNKNOWN:
                out.extend(tracker.feed(PostureState(t, activity, Posture.UNKNOWN, 0.9)))
            t += 1
    return out, t


def events_of(out: TrackerOutput, type_: EventType) -> list:
    return [e for e in out.events if e.type is type_]


def test_short_stand_does_not_end_the_streak():
    tracker = Tracker("w", TrackerRules())
    out, _ = run(tracker, [(SIT, 20 * 60), (STAND, 59), (SIT, 11 * 60)])
    assert not events_of(out, EventType.BREAK_TAKEN)
    assert tracker.snapshot.streak_start == T0


def test_sixty_second_break_ends_the_streak():
    out, _ = run(Tracker("w", TrackerRules()), [(SIT, 25 * 60), (MOVE, 60), (SIT, 25 * 60)])
    breaks = events_of(out, EventType.BREAK_TAKEN)
    assert len(breaks) == 1
    assert breaks[0].t - T0 == 25 * 60 + 60
    assert breaks[0].data["streak_seconds"] == 25 * 60
    assert breaks[0].data["break_started"] == T0 + 25 * 60
    assert [e.t - T0 for e in events_of(out, EventType.SITTING_STARTED)] == [0, 26 * 60]


def test_break_length_is_configurable():
    out, _ = run(Tracker("w", TrackerRules(break_seconds=120)), [(SIT, 600), (STAND, 90), (SIT, 60)])
    assert not events_of(out, EventType.BREAK_TAKEN)


def test_a_short_sensor_gap_is_neither_sitting_nor_a_break():
    tracker = Tracker("w", TrackerRules())
    out, _ = run(tracker, [(SIT, 10 * 60), (UNKNOWN, 5 * 60), (SIT, 16 * 60)])
    assert not events_of(out, EventType.BREAK_TAKEN)
    assert tracker.snapshot.streak_start == T0  # bridged: the streak goes on
    gaps = [b for b in out.bouts if b.activity is UNKNOWN]
    assert [(g.start - T0, g.end - T0) for g in gaps] == [(600.0, 900.0)]
    assert sum(b.seconds for b in out.bouts if b.activity is SIT) == 10 * 60  # the gap is not sitting


def test_a_long_sensor_gap_ends_the_streak_without_a_break():
    tracker = Tracker("w", TrackerRules(max_gap=30 * 60))
    out, _ = run(tracker, [(SIT, 10 * 60), (UNKNOWN, 31 * 60), (SIT, 60)])
    assert not events_of(out, EventType.BREAK_TAKEN)
    assert [e.t - T0 for e in events_of(out, EventType.SITTING_STARTED)] == [0, 41 * 60]


def test_bouts_tile_time_without_overlap():
    tracker = Tracker("w", TrackerRules())
    out, end = run(tracker, [(SIT, 100), (STAND, 20), (MOVE, 70), (SIT, 10)])
    out.extend(tracker.finish())
    spans = [(b.start - T0, b.end - T0, b.activity) for b in out.bouts]
    assert spans == [(0, 100, SIT), (100, 120, STAND), (120, 190, MOVE), (190, 200, SIT)]
    assert end - T0 == 200


def test_snapshot_round_trip_continues_the_streak():
    first = Tracker("w", TrackerRules())
    _, t = run(first, [(SIT, 35 * 60)])
    second = Tracker("w", TrackerRules(), TrackerSnapshot.from_json(first.snapshot.to_json()))
    out, _ = run(second, [(SIT, 60)], start=t)
    assert not events_of(out, EventType.SITTING_STARTED)
    assert second.snapshot.streak_start == T0


def test_identical_input_gives_identical_output():
    plan = [(SIT, 40 * 60), (MOVE, 120), (SIT, 35 * 60)]
    a, _ = run(Tracker("w", TrackerRules()), plan)
    b, _ = run(Tracker("w", TrackerRules()), plan)
    assert a.events == b.events and a.bouts == b.bouts


def test_late_seconds_are_ignored():
    tracker = Tracker("w", TrackerRules())
    run(tracker, [(SIT, 10)])
    assert tracker.feed(PostureState(T0 + 3, STAND, Posture.UNKNOWN, 1.0)) == TrackerOutput()
    assert tracker.snapshot.activity is SIT
