"""Replay a recording through the whole pure pipeline on the recording's own clock, as fast as it goes.

The events are exactly those the daemon would have published living through the recording (same
classifier, tracker and prompter; no scheduler, no IO in between), so a replay is the reference
for "what would sitmon have said".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

import numpy as np

from monitor.config import Settings
from monitor.daemon import prompt_rules_from, rules_from
from monitor.model import Activity, Bout, Event, EventType, Placement, SampleBlock, revised
from monitor.pipeline import Pipeline, Step

CHUNK_SECONDS = 60.0
LONG_STREAK_SECONDS = 30 * 60


def chronological(block: SampleBlock) -> SampleBlock:
    """Runs of a recording whose device clock restarted, put back in time order."""
    cuts = np.flatnonzero(np.diff(block.t) < 0) + 1
    if len(cuts) == 0:
        return block
    runs = sorted(np.split(np.arange(len(block)), cuts), key=lambda run: float(block.t[run[0]]))
    order = np.concatenate(runs)
    return SampleBlock(block.t[order], block.xyz[order])


@dataclass
class ReplaySummary:
    long_streaks: int = 0
    prompts: int = 0
    events: int = 0
    seconds: int = 0
    streaks: list[float] = field(default_factory=list)
    # The day as stored: bouts, with the re-learns' revisions applied.
    bouts: list[Bout] = field(default_factory=list)

    @property
    def sitting_seconds(self) -> float:
        return sum(b.seconds for b in self.bouts if b.activity is Activity.SIT)


def replay_events(block: SampleBlock, placement: Placement, settings: Settings, tz: tzinfo | None = None,
                  summary: ReplaySummary | None = None) -> Iterator[Event]:
    """Every event the pipeline emits for the recording, in order."""
    zone = tz or settings.tz() or UTC
    pipeline = Pipeline(settings.wearer.id, placement, rules_from(settings), prompt_rules_from(settings, zone))
    ordered = chronological(block)
    edges = np.searchsorted(ordered.t, np.arange(ordered.t[0], ordered.t[-1] + CHUNK_SECONDS, CHUNK_SECONDS))
    steps = (pipeline.push(SampleBlock(ordered.t[a:b], ordered.xyz[a:b]))
             for a, b in itertools.pairwise(edges) if b > a)
    for step in (*steps, pipeline.finish()):
        if summary is not None:
            _count(step, summary)
        yield from step.events
    if summary is not None:
        streak_start = pipeline.tracker.snapshot.streak_start
        last_t = pipeline.tracker.snapshot.last_t
        if streak_start is not None and last_t is not None:
            summary.streaks.append(last_t + 1.0 - streak_start)
        summary.long_streaks = sum(1 for s in summary.streaks if s >= LONG_STREAK_SECONDS)


def _count(step: Step, summary: ReplaySummary) -> None:
    summary.seconds += len(step.states)
    summary.bouts += step.output.bouts
    for revision in step.output.revisions:
        summary.bouts = revised(summary.bouts, revision)
    for event in step.events:
        summary.events += 1
        if event.type is EventType.PROMPT:
            summary.prompts += 1
        elif event.type is EventType.BREAK_TAKEN:
            summary.streaks.append(float(event.data.get("streak_seconds", 0.0)))
