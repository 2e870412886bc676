"""Wiring of the pure core for one wearer: samples -> posture states -> tracker -> prompter.

No IO: the daemon (live) and `replay` (a recording, as fast as possible) both drive this class, so
they produce the same events for the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.model import Event, Placement, PostureState, SampleBlock
from monitor.posture import Calibration, StreamClassifier
from monitor.prompts import Prompter, PrompterSnapshot, PromptRules
from monitor.tracker import Tracker, TrackerOutput, TrackerRules, TrackerSnapshot


@dataclass(slots=True)
class Step:
    states: list[PostureState] = field(default_factory=list)
    output: TrackerOutput = field(default_factory=TrackerOutput)

    @property
    def events(self) -> list[Event]:
        return self.output.events


class Pipeline:
    def __init__(self, wearer: str, placement: Placement, rules: TrackerRules,
                 prompt_rules: PromptRules | None = None, snapshot: TrackerSnapshot | None = None,
                 prompter_snapshot: PrompterSnapshot | None = None,
                 calibration: Calibration | None = None) -> None:
        self.placement = placement
        self.classifier = StreamClassifier(placement, calibration=calibration)
        self.tracker = Tracker(wearer, rules, snapshot)
        self.prompter = Prompter(wearer, prompt_rules or PromptRules(), prompter_snapshot)

    def push(self, block: SampleBlock) -> Step:
        return self.feed_states(self.classifier.push(block))

    def recalibrate(self, calibration: Calibration) -> Step:
        """Switch to a new calibration; the seconds the old classifier still held are judged first."""
        step = self.feed_states(self.classifier.flush())
        self.classifier = StreamClassifier(self.placement, calibration=calibration)
        return step

    def tick(self, now: float) -> Step:
        return Step(output=TrackerOutput(events=self.prompter.tick(now, self.tracker.snapshot)))

    def finish(self) -> Step:
        step = self.feed_states(self.classifier.flush())
        step.output.extend(self.tracker.finish())
        return step

    def feed_states(self, states: list[PostureState]) -> Step:
        """Per-second judgements (from the classifier, or a test script) into tracker and prompter."""
        step = Step(states=states)
        for state in states:
            out = self.tracker.feed(state)
            out.events.extend(self.prompter.observe(state, self.tracker.snapshot, out))
            step.output.extend(out)
        return step
