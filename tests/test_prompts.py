"""Move prompts and slump nudges over scripted days, driven by the data's own clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.calendar_ics import Busy
from monitor.model import Activity, Event, EventType, Placement, Posture, PostureState
from monitor.pipeline import Pipeline
from monitor.prompts import PrompterSnapshot, PromptRules
from monitor.timewindows import parse_window
from monitor.tracker import TrackerRules, TrackerSnapshot

# Wednesday 2026-11-25 09:00 UTC
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC).timestamp()
SIT, STAND, MOVE, UNKNOWN = Activity.SIT, Activity.STAND, Activity.MOVE, Activity.UNKNOWN
UP, SLUMP = Posture.UPRIGHT, Posture.SLUMPED


class Day:
    """Tracker + prompter fed one second at a time; commands land at exact instants."""

    def __init__(self, rules: PromptRules | None = None, start: float = T0) -> None:
        self.pipeline = Pipeline("w", Placement.CHEST, TrackerRules(), rules or PromptRules())
        self.t = start
        self.events: list[Event] = []

    def run(self, activity: Activity, seconds: int, posture: Posture = UP) -> Day:
        for _ in range(seconds):
            if activity is not UNKNOWN:
                state = PostureState(self.t, activity, posture if activity is SIT else Posture.UNKNOWN, 0.9)
                self.events += self.pipeline.feed_states([state]).events
            self.t += 1
        return self

    def of(self, type_: EventType) -> list[Event]:
        return [e for e in self.events if e.type is type_]

    def prompt_minutes(self) -> list[float]:
        return [(e.t - T0) / 60 for e in self.of(EventType.PROMPT)]


def test_first_prompt_at_thirty_minutes_of_sitting():
    day = Day().run(SIT, 31 * 60)
    [prompt] = day.of(EventType.PROMPT)
    assert prompt.t - T0 == 1800  # exactly 30:00, within the required second
    assert prompt.data["streak_seconds"] == 1800 and prompt.data["number"] == 1
    assert prompt.data["movement"].startswith("Stand up and move for 2-3 minutes")
    assert prompt.data["stretch"]["id"]


def test_no_prompt_when_a_sixty_second_break_resets_the_streak():
    day = Day().run(SIT, 29 * 60).run(MOVE, 60).run(SIT, 29 * 60).run(STAND, 61).run(SIT, 10 * 60)
    assert day.of(EventType.PROMPT) == []
    assert len(day.of(EventType.BREAK_TAKEN)) == 2


def test_a_short_stand_does_not_reset_and_the_prompt_waits_until_seated_again():
    day = Day().run(SIT, 29 * 60 + 50).run(STAND, 40).run(SIT, 60)
    assert [e.t - T0 for e in day.of(EventType.PROMPT)] == [29 * 60 + 50 + 40]


def test_repeats_escalate_through_the_configured_channels():
    day = Day(PromptRules(repeat=600)).run(SIT, 61 * 60)
    prompts = day.of(EventType.PROMPT)
    assert day.prompt_minutes() == [30, 40, 50, 60]
    assert [p.data["channels"] for p in prompts] == [
        ["mqtt", "desktop"], ["mqtt", "desktop", "buzz"], ["mqtt", "desktop", "buzz", "push"],
        ["mqtt", "desktop", "buzz", "push"]]
    assert [p.data["number"] for p in prompts] == [1, 2, 3, 4]


def test_prompt_outcomes_answered_ignored_and_snoozed():
    rules = PromptRules(answer_window=300)
    day = Day(rules).run(SIT, 30 * 60 + 120).run(MOVE, 90).run(SIT, 40 * 60)
    outcomes = [(e.data["outcome"], (e.data["prompt_t"] - T0) / 60) for e in day.of(EventType.PROMPT_OUTCOME)]
    # Answered: walked 2 minutes after the prompt. The next streak's prompt at 32.5 + 30 is ignored.
    assert outcomes[0] == ("answered", 30.0)
    assert outcomes[1][0] == "ignored"
    snoozer = Day(rules).run(SIT, 30 * 60 + 5)
    snoozer.events += snoozer.pipeline.prompter.snooze(snoozer.t, 15)
    snoozer.run(SIT, 60)
    assert [e.data["outcome"] for e in snoozer.of(EventType.PROMPT_OUTCOME)] == ["snoozed"]


def test_snooze_holds_prompts_back_until_it_ends():
    day = Day(PromptRules(repeat=600)).run(SIT, 25 * 60)
    day.events += day.pipeline.prompter.snooze(day.t, 15)
    day.run(SIT, 20 * 60)
    # Due at 30:00 but snoozed until 40:00: it goes out then, marked as held by the snooze.
    assert day.prompt_minutes() == [40]
    assert day.of(EventType.PROMPT)[0].data["held_by"] == "snoozed"
    assert day.of(EventType.SNOOZED)[0].data["minutes"] == 15


def test_pause_and_resume():
    day = Day().run(SIT, 60)
    day.events += day.pipeline.prompter.pause(day.t)
    day.run(SIT, 40 * 60)
    assert day.of(EventType.PROMPT) == []
    day.events += day.pipeline.prompter.resume(day.t)
    day.run(SIT, 5)
    assert len(day.of(EventType.PROMPT)) == 1
    assert day.of(EventType.PROMPT)[0].data["held_by"] == "paused"
    assert [e.type for e in day.events if e.type in (EventType.PAUSED, EventType.RESUMED)] == [
        EventType.PAUSED, EventType.RESUMED]


def test_quiet_hours_hold_prompts_and_release_them_at_the_end():
    # Quiet from 09:20 to 09:45 local (Berlin = UTC+1 in November: 10:20-10:45).
    berlin = ZoneInfo("Europe/Berlin")
    rules = PromptRules(quiet_hours=(parse_window("10:20-10:45"),), tz=berlin)
    day = Day(rules).run(SIT, 50 * 60)
    assert day.prompt_minutes() == [45]
    assert day.of(EventType.PROMPT)[0].data["held_by"] == "quiet_hours"


def test_outside_working_hours_and_days_off_there_are_no_prompts():
    evening = Day(PromptRules(working_hours=(parse_window("08:00-09:15"),))).run(SIT, 60 * 60)
    assert evening.of(EventType.PROMPT) == []
    wednesday_off = Day(PromptRules(days_off=frozenset({2}))).run(SIT, 60 * 60)
    assert wednesday_off.of(EventType.PROMPT) == []


def test_a_busy_signal_defers_the_prompt_to_its_end():
    day = Day().run(SIT, 20 * 60)
    day.pipeline.prompter.set_busy(day.t, True)  # "in a call"
    day.run(SIT, 25 * 60)
    assert day.of(EventType.PROMPT) == []
    day.pipeline.prompter.set_busy(day.t, False)
    day.run(SIT, 10)
    [prompt] = day.of(EventType.PROMPT)
    assert prompt.t - T0 == 45 * 60 and prompt.data["held_by"] == "busy"
    assert prompt.data["held_since"] == T0 + 30 * 60


def test_a_calendar_meeting_defers_the_prompt_to_its_end():
    day = Day()
    day.pipeline.prompter.set_calendar([Busy(T0 + 25 * 60, T0 + 50 * 60, "Planning")])
    day.run(SIT, 55 * 60)
    assert day.prompt_minutes() == [50]
    assert day.of(EventType.PROMPT)[0].data["held_by"] == "calendar"


def test_slump_nudge_after_the_hold_and_at_most_every_interval():
    rules = PromptRules(slump_hold=60, slump_interval=600)
    day = Day(rules).run(SIT, 60, UP).run(SIT, 25 * 60, SLUMP)
    nudges = [(e.t - T0) for e in day.of(EventType.SLUMP_NUDGE)]
    assert nudges == [120, 720, 1320]  # slumped from 60 s: nudge at 60 s held, then every 10 min
    assert day.of(EventType.SLUMP_NUDGE)[0].data["slumped_seconds"] == 60


def test_slumping_that_straightens_up_in_time_gets_no_nudge():
    day = Day().run(SIT, 50, SLUMP).run(SIT, 5, UP).run(SIT, 50, SLUMP).run(SIT, 600, UP)
    assert day.of(EventType.SLUMP_NUDGE) == []


def test_no_slump_nudge_in_a_move_prompts_grace_period():
    rules = PromptRules(answer_window=300, slump_hold=60)
    day = Day(rules).run(SIT, 30 * 60, UP).run(SIT, 4 * 60, SLUMP)
    assert len(day.of(EventType.PROMPT)) == 1
    assert day.of(EventType.SLUMP_NUDGE) == []
    day.run(SIT, 120, SLUMP)
    assert [e.t - T0 for e in day.of(EventType.SLUMP_NUDGE)] == [35 * 60]


def test_restart_from_snapshots_issues_no_prompt_twice():
    first = Day(PromptRules(repeat=600)).run(SIT, 35 * 60)
    tracker = TrackerSnapshot.from_json(first.pipeline.tracker.snapshot.to_json())
    prompter = PrompterSnapshot.from_json(first.pipeline.prompter.snapshot.to_json())
    second = Day(PromptRules(repeat=600), start=first.t)
    second.pipeline = Pipeline("w", Placement.CHEST, TrackerRules(), PromptRules(repeat=600), tracker, prompter)
    second.run(SIT, 10 * 60)
    assert first.prompt_minutes() == [30]
    assert second.prompt_minutes() == [40]
    ids = [e.id for e in first.events + second.events]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("split", [1, 7, 60])
def test_the_same_day_gives_the_same_events_however_it_is_fed(split):
    def feed(chunk: int) -> list[Event]:
        pipeline = Pipeline("w", Placement.CHEST, TrackerRules(), PromptRules())
        plan = [(SIT, 2000, UP), (SIT, 300, SLUMP), (MOVE, 120, UP), (SIT, 2400, UP)]
        states, t = [], T0
        for activity, seconds, posture in plan:
            for _ in range(seconds):
                states.append(PostureState(t, activity, posture if activity is SIT else Posture.UNKNOWN, 0.9))
                t += 1
        events: list[Event] = []
        for i in range(0, len(states), chunk):
            events += pipeline.feed_states(states[i:i + chunk]).events
        return events

    assert feed(split) == feed(1000)
