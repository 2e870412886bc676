"""The tracker as a state machine: scripted seconds in, bouts and events out."""

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


def test_first_prompt_falls_due_at_thirty_minutes_of_sitting():
    out, _ = run(Tracker("w", TrackerRules()), [(SIT, 31 * 60)])
    prompts = events_of(out, EventType.PROMPT)
    assert [p.t - T0 for p in prompts] == [1800.0]
    assert prompts[0].data["streak_seconds"] == 1800
    assert events_of(out, EventType.SITTING_STARTED)[0].t == T0


def test_prompt_repeats_while_still_sitting():
    out, _ = run(Tracker("w", TrackerRules(repeat=600)), [(SIT, 51 * 60)])
    assert [p.t - T0 for p in events_of(out, EventType.PROMPT)] == [1800.0, 2400.0, 3000.0]
    assert [p.data["number"] for p in events_of(out, EventType.PROMPT)] == [1, 2, 3]


def test_short_stand_does_not_reset_the_streak():
    out, _ = run(Tracker("w", TrackerRules()), [(SIT, 20 * 60), (STAND, 30), (SIT, 11 * 60)])
    assert not events_of(out, EventType.BREAK_TAKEN)
    assert [p.t - T0 for p in events_of(out, EventType.PROMPT)] == [1800.0]


def test_sixty_second_break_resets_the_streak_and_no_prompt_follows():
    out, _ = run(Tracker("w", TrackerRules()), [(SIT, 25 * 60), (MOVE, 60), (SIT, 25 * 60)])
    breaks = events_of(out, EventType.BREAK_TAKEN)
    assert len(breaks) == 1
    assert breaks[0].t - T0 == 25 * 60 + 60
    assert breaks[0].data["streak_seconds"] == 25 * 60
    assert not events_of(out, EventType.PROMPT)
    assert len(events_of(out, EventType.SITTING_STARTED)) == 2


def test_no_prompt_while_standing_it_waits_until_sitting_again():
    out, _ = run(Tracker("w", TrackerRules()), [(SIT, 29 * 60 + 50), (STAND, 40), (SIT, 60)])
    prompts = events_of(out, EventType.PROMPT)
    assert len(prompts) == 1
    assert prompts[0].t - T0 == 29 * 60 + 50 + 40


def test_a_sensor_gap_is_neither_sitting_nor_a_break():
    tracker = Tracker("w", TrackerRules())
    out, _ = run(tracker, [(SIT, 10 * 60), (UNKNOWN, 5 * 60), (SIT, 16 * 60)])
    assert not events_of(out, EventType.BREAK_TAKEN)
    assert [p.t - T0 for p in events_of(out, EventType.PROMPT)] == [1800.0]
    gaps = [b for b in out.bouts if b.activity is UNKNOWN]
    assert [(g.start - T0, g.end - T0) for g in gaps] == [(600.0, 900.0)]
    sitting = sum(b.seconds for b in out.bouts if b.activity is SIT)
    assert sitting == 10 * 60  # the second sitting bout is still open


def test_bouts_tile_time_without_overlap():
    tracker = Tracker("w", TrackerRules())
    out, end = run(tracker, [(SIT, 100), (STAND, 20), (MOVE, 70), (SIT, 10)])
    out.extend(tracker.finish())
    spans = [(b.start - T0, b.end - T0, b.activity) for b in out.bouts]
    assert spans == [(0, 100, SIT), (100, 120, STAND), (120, 190, MOVE), (190, 200, SIT)]
    assert end - T0 == 200


def test_snapshot_restores_the_streak_and_does_not_repeat_a_prompt():
    first = Tracker("w", TrackerRules())
    out1, t = run(first, [(SIT, 35 * 60)])
    snapshot = TrackerSnapshot.from_json(first.snapshot.to_json())
    second = Tracker("w", TrackerRules(), snapshot)
    out2, _ = run(second, [(SIT, 6 * 60)], start=t)
    assert [p.t - T0 for p in events_of(out1, EventType.PROMPT)] == [1800.0]
    assert [p.t - T0 for p in events_of(out2, EventType.PROMPT)] == [2400.0]
    assert not events_of(out2, EventType.SITTING_STARTED)
    ids = [e.id for e in out1.events + out2.events]
    assert len(ids) == len(set(ids))


def test_tick_without_data_up_to_the_due_instant_changes_nothing():
    tracker = Tracker("w", TrackerRules())
    run(tracker, [(SIT, 1000)])
    assert tracker.tick(T0 + 1800).events == []  # samples only reached T0 + 1000
    out, _ = run(tracker, [(SIT, 800)], start=T0 + 1000)
    assert [e.t - T0 for e in events_of(out, EventType.PROMPT)] == [1800.0]
    assert tracker.tick(T0 + 1900).events == []  # never twice


def test_identical_input_gives_identical_events():
    plan = [(SIT, 40 * 60), (MOVE, 120), (SIT, 35 * 60)]
    a, _ = run(Tracker("w", TrackerRules()), plan)
    b, _ = run(Tracker("w", TrackerRules()), plan)
    assert a.events == b.events and a.bouts == b.bouts


def test_late_seconds_are_ignored():
    tracker = Tracker("w", TrackerRules())
    run(tracker, [(SIT, 10)])
    assert tracker.feed(PostureState(T0 + 3, STAND, Posture.UNKNOWN, 1.0)) == TrackerOutput()
    assert tracker.snapshot.activity is SIT
