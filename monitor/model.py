"""Value types shared by the pure core and the IO edge.

Time is always a float of seconds since the Unix epoch (UTC), supplied by the caller; nothing
here reads a clock.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

SCHEMA_VERSION = 1

FloatArray = npt.NDArray[np.float64]


class Activity(StrEnum):
    SIT = "sit"
    STAND = "stand"
    MOVE = "move"
    LIE = "lie"
    UNKNOWN = "unknown"


class Posture(StrEnum):
    UPRIGHT = "upright"
    SLUMPED = "slumped"
    UNKNOWN = "unknown"


class Placement(StrEnum):
    THIGH = "thigh"
    POCKET = "pocket"
    CHEST = "chest"
    BACK = "back"


@dataclass(frozen=True, slots=True)
class SampleBlock:
    """Accelerometer samples from one sensor: times in s, acceleration in g, shape (n, 3)."""

    t: FloatArray
    xyz: FloatArray

    def __post_init__(self) -> None:
        if self.t.ndim != 1 or self.xyz.shape != (self.t.shape[0], 3):
            raise ValueError(f"sample block shapes do not match: t {self.t.shape}, xyz {self.xyz.shape}")

    def __len__(self) -> int:
        return int(self.t.shape[0])


@dataclass(frozen=True, slots=True)
class PostureState:
    """The judgement for one second [t, t + 1)."""

    t: float
    activity: Activity
    posture: Posture
    confidence: float


@dataclass(frozen=True, slots=True)
class Bout:
    """A closed interval of one activity (and posture while sitting)."""

    start: float
    end: float
    activity: Activity
    posture: Posture

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Revision:
    """The bouts of [start, end) judged again: they replace whatever was stored for that span.

    A trunk sensor re-learns the wearer now and then; what it judged live before knew less, so the
    stored day is rewritten with the new judgement (events and prompts already given stand).
    """

    start: float
    end: float
    bouts: tuple[Bout, ...]


def revised(bouts: list[Bout], revision: Revision) -> list[Bout]:
    """`bouts` (in time order) with `revision` applied: the store does the same in SQL."""
    out: list[Bout] = []
    for b in bouts:
        if b.end <= revision.start or b.start >= revision.end:
            out.append(b)
            continue
        if b.start < revision.start:
            out.append(Bout(b.start, revision.start, b.activity, b.posture))
        if b.end > revision.end:
            out.append(Bout(revision.end, b.end, b.activity, b.posture))
    out.extend(revision.bouts)
    out.sort(key=lambda b: b.start)
    return out


@dataclass(frozen=True, slots=True)
class RevisionChange:
    """What a revision changed: [start, end) runs from the first to the last second it judged
    another activity (empty when it changed none), `changed_seconds` of them in all, and the
    seconds of sitting in that stretch before and after."""

    start: float
    end: float
    changed_seconds: float
    sitting_before: float
    sitting_after: float


def revision_change(old: list[Bout], revision: Revision) -> RevisionChange:
    """How `revision` changes the stored `old` bouts (a second no bout covered counts as changed
    once one does). Both lists are taken in time order, without overlaps."""
    lo, hi = revision.start, revision.end
    before = sorted((b for b in old if b.end > lo and b.start < hi), key=lambda b: b.start)
    after = sorted((b for b in revision.bouts if b.end > lo and b.start < hi), key=lambda b: b.start)
    edges = sorted({lo, hi, *(min(max(x, lo), hi) for b in (*before, *after) for x in (b.start, b.end))})
    changed = 0.0
    first, last = hi, lo
    i = j = 0
    for a, z in itertools.pairwise(edges):
        mid = (a + z) / 2
        while i < len(before) and before[i].end <= mid:
            i += 1
        while j < len(after) and after[j].end <= mid:
            j += 1
        was = before[i].activity if i < len(before) and before[i].start <= mid else None
        now = after[j].activity if j < len(after) and after[j].start <= mid else None
        if was is not now:
            changed += z - a
            first, last = min(first, a), max(last, z)
    if not changed:
        return RevisionChange(lo, lo, 0.0, 0.0, 0.0)

    def sitting(bouts: list[Bout]) -> float:
        return float(sum(max(0.0, min(b.end, last) - max(b.start, first))
                         for b in bouts if b.activity is Activity.SIT))

    return RevisionChange(first, last, changed, sitting(before), sitting(after))


class EventType(StrEnum):
    SITTING_STARTED = "sitting_started"
    BREAK_TAKEN = "break_taken"
    PROMPT = "prompt"
    PROMPT_OUTCOME = "prompt_outcome"
    SLUMP_NUDGE = "slump_nudge"
    SNOOZED = "snoozed"
    PAUSED = "paused"
    RESUMED = "resumed"


_EVENT_NAMESPACE = uuid.UUID("6f1c1d0e-55a4-4d0f-9a53-6b8f1c2b7a10")


def event_id(wearer: str, type_: EventType, t: float, seq: int) -> str:
    """Deterministic id so that replaying a recording yields byte-identical events."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{wearer}/{type_.value}/{t:.3f}/{seq}"))


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: EventType
    t: float
    wearer: str
    data: dict[str, Any] = field(default_factory=dict)
