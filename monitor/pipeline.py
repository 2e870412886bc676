"""Wiring of the pure core for one wearer: samples -> posture states -> tracker -> bouts and events.

No IO: the daemon (live) and `replay` (a recording, as fast as possible) both drive this class, so
they produce the same events for the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.model import Placement, PostureState, SampleBlock
from monitor.posture import StreamClassifier
from monitor.tracker import Tracker, TrackerOutput, TrackerRules, TrackerSnapshot


@dataclass(slots=True)
class Step:
    states: list[PostureState] = field(default_factory=list)
    output: TrackerOutput = field(default_factory=TrackerOutput)


class Pipeline:
    def __init__(self, wearer: str, placement: Placement, rules: TrackerRules,
                 snapshot: TrackerSnapshot | None = None) -> None:
        self.classifier = StreamClassifier(placement)
        self.tracker = Tracker(wearer, rules, snapshot)

    def push(self, block: SampleBlock) -> Step:
        return self._feed(self.classifier.push(block))

    def tick(self, now: float) -> Step:
        return Step(output=self.tracker.tick(now))

    def finish(self) -> Step:
        step = self._feed(self.classifier.flush())
        step.output.extend(self.tracker.finish())
        return step

    def _feed(self, states: list[PostureState]) -> Step:
        step = Step(states=states)
        for state in states:
            step.output.extend(self.tracker.feed(state))
        return step
