"""Several sensors on one wearer, and sit-to-stand transitions.

A thigh (or pocket) sensor is the best judge of sitting versus standing: the thigh is horizontal
when seated and vertical when upright, a difference of about 90 degrees, whereas the trunk differs
by a few degrees between sitting upright and standing. A trunk sensor is the only judge of lying
(the thigh is horizontal both when sitting and lying on the back) and of slumping. `combine_states`
takes each sensor's per-second states and lets each decide what it sees best.

`sit_to_stand` counts transitions from sitting (or lying) to upright, activPAL-style, on the
smoothed per-second output: a fidget shorter than the smoother's window has already been removed.
"""

from __future__ import annotations

from collections.abc import Iterable

from monitor.model import Activity, Posture, PostureState

UPRIGHT_ACTIVITIES = (Activity.STAND, Activity.MOVE)


def combine(leg: PostureState | None, trunk: PostureState | None) -> PostureState:
    """One second from a thigh/pocket state and a trunk state for the same second (either may miss)."""
    if leg is None or leg.activity is Activity.UNKNOWN:
        if trunk is None:
            if leg is None:
                raise ValueError("combine needs at least one state")
            return leg  # the leg's unknown second, alone (a sensor's last second at shutdown)
        if leg is None or trunk.activity is not Activity.UNKNOWN:
            return trunk
        return leg
    if trunk is None or trunk.activity is Activity.UNKNOWN:
        return leg
    if leg.activity is Activity.SIT and trunk.activity is Activity.LIE:
        # Thigh horizontal and trunk horizontal: lying, which only the trunk can tell.
        return PostureState(leg.t, Activity.LIE, Posture.UNKNOWN, round(min(leg.confidence, trunk.confidence), 3))
    activity = leg.activity
    agree = trunk.activity is activity or (
        activity is Activity.STAND and trunk.activity is Activity.MOVE)
    confidence = round(min(1.0, leg.confidence + (0.1 if agree else 0.0)), 3)
    posture = Posture.UNKNOWN
    if activity is Activity.SIT:
        # The trunk's posture holds even where the trunk alone would have said stand: the thigh
        # settles sitting, so measure the slump; an uncertain trunk still gives upright or slumped.
        posture = trunk.posture if trunk.posture is not Posture.UNKNOWN else Posture.UPRIGHT
    return PostureState(leg.t, activity, posture, confidence)


def combine_states(leg: Iterable[PostureState], trunk: Iterable[PostureState]) -> list[PostureState]:
    """Merge two sensors' per-second states by second (state.t), in time order."""
    by_t: dict[float, list[PostureState | None]] = {}
    for s in leg:
        by_t.setdefault(s.t, [None, None])[0] = s
    for s in trunk:
        by_t.setdefault(s.t, [None, None])[1] = s
    return [combine(pair[0], pair[1]) for _, pair in sorted(by_t.items())]


def sit_to_stand(states: Iterable[PostureState]) -> list[float]:
    """Times (state.t) of each transition from sitting or lying to standing or moving.

    Unknown seconds and gaps do not break a bout: sitting, a dropped connection, then standing is
    still one transition (the wearer did get up), but nothing counts until both sides are seen.
    """
    times: list[float] = []
    last: Activity | None = None
    for s in states:
        if s.activity is Activity.UNKNOWN:
            continue
        if last in (Activity.SIT, Activity.LIE) and s.activity in UPRIGHT_ACTIVITIES:
            times.append(s.t)
        last = s.activity
    return times
