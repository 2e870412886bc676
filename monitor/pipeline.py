"""Wiring of the pure core for one wearer: samples -> posture states -> tracker -> prompter.

No IO: the daemon (live) and `replay` (a recording, as fast as possible) both drive this class, so
they produce the same events for the same samples.

A wearer may wear a second sensor, a "companion": a trunk sensor beside a thigh sensor or the other
way round. Each has its own classifier; their seconds are lined up and combined
(`monitor.posture.combine`: the leg decides sitting and standing, the trunk lying and slumping).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.model import Event, Placement, PostureState, Revision, SampleBlock
from monitor.posture import Calibration, StreamClassifier
from monitor.posture.combine import combine
from monitor.prompts import Prompter, PrompterSnapshot, PromptRules
from monitor.tracker import Tracker, TrackerOutput, TrackerRules, TrackerSnapshot

LEG_PLACEMENTS = frozenset({Placement.THIGH, Placement.POCKET})
LEG, TRUNK = 0, 1
# Longer than the gaps between two sensors' deliveries (a sped-up demo delivers 10-20 s at once), short
# enough that a sensor dropping out holds the other back only briefly.
ALIGN_WAIT_SECONDS = 30.0


def role_of(placement: Placement) -> int:
    return LEG if placement in LEG_PLACEMENTS else TRUNK


class SecondAligner:
    """Lines up the per-second states of a leg sensor and a trunk sensor, in time order.

    A second is judged once both sensors have given it, or once the other sensor is more than
    `wait` seconds behind (out of range, reconnecting): then the sensor that is there decides alone.
    A state arriving for a second already judged is dropped: the past is settled.
    """

    def __init__(self, wait: float = ALIGN_WAIT_SECONDS) -> None:
        self.wait = wait
        self._pending: dict[float, list[PostureState | None]] = {}
        self._newest: list[float | None] = [None, None]
        self._judged: float | None = None

    def push(self, role: int, states: list[PostureState]) -> list[PostureState]:
        for state in states:
            if self._judged is not None and state.t <= self._judged:
                continue
            self._pending.setdefault(state.t, [None, None])[role] = state
            newest = self._newest[role]
            self._newest[role] = state.t if newest is None else max(newest, state.t)
        return self._ready(final=False)

    def flush(self) -> list[PostureState]:
        return self._ready(final=True)

    def _ready(self, final: bool) -> list[PostureState]:
        known = [t for t in self._newest if t is not None]
        horizon = max(known) - self.wait if known else float("-inf")
        out: list[PostureState] = []
        for t in sorted(self._pending):
            leg, trunk = self._pending[t]
            if not (final or (leg is not None and trunk is not None) or t <= horizon):
                break  # later seconds wait for this one, so the tracker sees time in order
            out.append(combine(leg, trunk))
            del self._pending[t]
            self._judged = t
        return out


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
                 calibration: Calibration | None = None, companion: Placement | None = None,
                 companion_calibration: Calibration | None = None) -> None:
        self.placement = placement
        # Only a sensor that sees what the first cannot (leg beside trunk) is worth combining.
        self.companion_placement = companion if companion is not None and role_of(companion) != role_of(
            placement) else None
        self.classifier = StreamClassifier(placement, calibration=calibration, revise=self._revising)
        self.companion = (StreamClassifier(self.companion_placement, calibration=companion_calibration)
                          if self.companion_placement is not None else None)
        self._aligner = SecondAligner() if self.companion is not None else None
        self.tracker = Tracker(wearer, rules, snapshot)
        self.prompter = Prompter(wearer, prompt_rules or PromptRules(), prompter_snapshot)

    @property
    def _revising(self) -> bool:
        """A lone trunk sensor's re-learns rewrite the stored day; beside a leg sensor the leg decides
        sitting and standing, so there is nothing to revise."""
        return self.companion_placement is None and role_of(self.placement) == TRUNK

    def __setstate__(self, state: dict[str, object]) -> None:
        # A fleet checkpoint pickled before revisions existed starts revising on its next batch.
        self.__dict__.update(state)
        self.classifier.revise = self._revising

    def push(self, block: SampleBlock, companion: bool = False) -> Step:
        """Samples of the first sensor, or of the companion (ignored when there is none)."""
        if self._aligner is None or self.companion is None:
            return Step() if companion else self._revise(self.feed_states(self.classifier.push(block)))
        classifier = self.companion if companion else self.classifier
        placement = self.companion_placement if companion else self.placement
        assert placement is not None
        return self.feed_states(self._aligner.push(role_of(placement), classifier.push(block)))

    def recalibrate(self, calibration: Calibration, companion: bool = False) -> Step:
        """Switch a sensor to a new calibration; the seconds its old classifier still held go first."""
        if companion:
            if self.companion is None or self.companion_placement is None:
                return Step()
            step = self._through_aligner(self.companion_placement, self.companion.flush())
            self.companion = StreamClassifier(self.companion_placement, calibration=calibration)
            return step
        step = self._through_aligner(self.placement, self.classifier.flush())
        self._revise(step)
        self.classifier = StreamClassifier(self.placement, calibration=calibration, revise=self._revising)
        return step

    def _through_aligner(self, placement: Placement, states: list[PostureState]) -> Step:
        if self._aligner is None:
            return self.feed_states(states)
        return self.feed_states(self._aligner.push(role_of(placement), states))

    def tick(self, now: float) -> Step:
        return Step(output=TrackerOutput(events=self.prompter.tick(now, self.tracker.snapshot)))

    def finish(self) -> Step:
        states = self.classifier.flush()
        if self._aligner is not None and self.companion is not None and self.companion_placement is not None:
            states = self._aligner.push(role_of(self.placement), states)
            states += self._aligner.push(role_of(self.companion_placement), self.companion.flush())
            states += self._aligner.flush()
        step = self.feed_states(states)
        step.output.extend(self.tracker.finish())
        return self._revise(step)

    def _revise(self, step: Step) -> Step:
        """Add to `step` the classifier's newest revision of the seconds already made into bouts.

        Seconds from the open bout on are left to it (it closes with the live judgement, and is
        revised by a later re-learn); the events and prompts already given stand.
        """
        states = self.classifier.take_revision()
        snap = self.tracker.snapshot
        cut = snap.bout_start if snap.bout_start is not None else (
            snap.last_t + 1.0 if snap.last_t is not None else None)
        if cut is None:
            return step
        states = [s for s in states if s.t < cut]
        if states:
            bouts = Tracker.bouts_of(states, self.tracker.rules)
            step.output.revisions.append(Revision(states[0].t, states[-1].t + 1.0, tuple(bouts)))
        return step

    def feed_states(self, states: list[PostureState]) -> Step:
        """Per-second judgements (from the classifier, or a test script) into tracker and prompter."""
        step = Step(states=states)
        for state in states:
            out = self.tracker.feed(state)
            out.events.extend(self.prompter.observe(state, self.tracker.snapshot, out))
            step.output.extend(out)
        return step
