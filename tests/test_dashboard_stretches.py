"""The stretch library and the day's suggestions: complete entries, choices that follow the data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from monitor import stretches as module
from monitor.model import Activity, Bout, Event, EventType, Posture
from monitor.stretches import STRETCHES, DaySignals, by_id, day_signals, suggest_for_prompt, suggest_routine

REQUIRED = {"half-kneeling-hip-flexor", "supported-release", "dead-bug", "standing-marching", "glute-bridge",
            "clamshell", "banded-side-walk", "seated-posture-reset"}
LONG_STREAKS = DaySignals(sitting_seconds=5 * 3600, longest_streak_seconds=80 * 60, streaks_over_30=4,
                          seated_seconds=5 * 3600, slumped_seconds=600, breaks=8, hours_tracked=7)
SLUMPED = DaySignals(sitting_seconds=4 * 3600, longest_streak_seconds=25 * 60, streaks_over_30=0,
                     seated_seconds=4 * 3600, slumped_seconds=2 * 3600, breaks=9, hours_tracked=6)
FEW_BREAKS = DaySignals(sitting_seconds=4 * 3600, longest_streak_seconds=29 * 60, streaks_over_30=0,
                        seated_seconds=4 * 3600, slumped_seconds=0, breaks=2, hours_tracked=5)


def test_library_holds_every_required_exercise_complete():
    ids = [s.id for s in STRETCHES]
    assert set(ids) >= REQUIRED and len(ids) == len(set(ids))
    for s in STRETCHES:
        assert s.name and s.purpose and len(s.steps) >= 2 and s.mistakes and s.cautions and s.tags, s.id
        assert str(s.dose)


def test_doses_read_as_hold_times_or_sets():
    assert str(by_id("half-kneeling-hip-flexor").dose) == "hold 30\u201345 s per side, 2 rounds"
    assert str(by_id("dead-bug").dose) == "2 sets of 10 per side"
    assert str(by_id("supported-release").dose) == "3 minutes"


def test_by_id_with_an_unknown_id_names_it():
    with pytest.raises(KeyError, match="no-such"):
        by_id("no-such")


def test_suggest_routine_after_long_streaks_releases_hips_and_marches():
    routine = suggest_routine(LONG_STREAKS, weekday=0)
    tags = set().union(*(s.tags for s in routine.stretches))
    assert {"hip-flexor", "release"} <= tags
    assert by_id("standing-marching") in routine.stretches
    assert "1 h 20 min" in routine.reason and "4 sitting streaks" in routine.reason


def test_suggest_routine_with_much_slumping_resets_posture_and_works_glutes():
    routine = suggest_routine(SLUMPED, weekday=2)
    assert routine.stretches[0].id == "seated-posture-reset"
    assert any("glute" in s.tags for s in routine.stretches)
    assert "50 %" in routine.reason


def test_suggest_routine_with_few_breaks_suggests_walks():
    routine = suggest_routine(FEW_BREAKS, weekday=4)
    assert routine.stretches[0].id == "short-walk"
    assert "2 breaks in 4 h 00 min" in routine.reason


def test_suggest_routine_varies_over_the_week_and_repeats_for_the_same_day():
    week = [suggest_routine(LONG_STREAKS, d).stretches for d in range(7)]
    assert len(set(week)) > 1
    assert suggest_routine(LONG_STREAKS, 3) == suggest_routine(LONG_STREAKS, 3)


def test_suggest_routine_on_an_empty_day_is_balanced_and_says_why():
    routine = suggest_routine(DaySignals(), 0)
    assert len(routine.stretches) == 3 and "not enough data" in routine.reason


def test_suggest_routine_with_two_needs_adds_the_second():
    both = DaySignals(sitting_seconds=5 * 3600, longest_streak_seconds=90 * 60, streaks_over_30=3,
                      seated_seconds=5 * 3600, slumped_seconds=3 * 3600, breaks=3, hours_tracked=6)
    routine = suggest_routine(both, 1)
    ids = [s.id for s in routine.stretches]
    assert "seated-posture-reset" in ids and "Added:" in routine.reason


def test_suggest_for_prompt_picks_desk_exercises_and_varies_with_the_seed():
    picks = [suggest_for_prompt(LONG_STREAKS, seed) for seed in range(6)]
    assert all(p.at_desk for p in picks)
    assert picks[0].id == "standing-hip-flexor" and len({p.id for p in picks}) > 2
    assert suggest_for_prompt(SLUMPED, 0).id == "seated-posture-reset"
    assert suggest_for_prompt(FEW_BREAKS, 0).id == "short-walk"
    assert suggest_for_prompt(DaySignals(), 7).at_desk


def test_day_signals_from_bouts_and_break_events():
    t0 = 1_000_000.0
    bouts = [Bout(t0, t0 + 2400, Activity.SIT, Posture.UPRIGHT), Bout(t0 + 2400, t0 + 2500, Activity.MOVE,
             Posture.UNKNOWN), Bout(t0 + 2500, t0 + 3100, Activity.SIT, Posture.SLUMPED),
             Bout(t0 + 3100, t0 + 3200, Activity.UNKNOWN, Posture.UNKNOWN)]
    events = [Event("b1", EventType.BREAK_TAKEN, t0 + 2460, "w", {"streak_seconds": 2400})]
    signals = day_signals(bouts, events, t0, t0 + 86400, current_streak_seconds=600)
    assert signals == DaySignals(sitting_seconds=3000, longest_streak_seconds=2400, streaks_over_30=1,
                                 slumped_seconds=600, seated_seconds=3000, breaks=1, hours_tracked=3100 / 3600)


def test_stretches_module_is_pure():
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "collections.abc", "dataclasses", "monitor.model"}
