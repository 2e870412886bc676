"""Combining a thigh and a trunk sensor; counting sit-to-stand transitions."""

from __future__ import annotations

import pytest

from monitor.model import Activity, Posture, PostureState
from monitor.posture import combine, combine_states, sit_to_stand

A, P = Activity, Posture


def st(t: float, a: Activity, p: Posture = P.UNKNOWN, c: float = 0.8) -> PostureState:
    return PostureState(t, a, p, c)


def test_thigh_decides_sit_and_stand_trunk_decides_lying_and_slump() -> None:
    assert combine(st(0, A.SIT), st(0, A.STAND, P.UNKNOWN)).activity is A.SIT
    assert combine(st(0, A.SIT), st(0, A.STAND)).posture is P.UPRIGHT
    assert combine(st(0, A.SIT), st(0, A.SIT, P.SLUMPED)).posture is P.SLUMPED
    assert combine(st(0, A.STAND), st(0, A.SIT, P.SLUMPED)).activity is A.STAND
    assert combine(st(0, A.STAND), st(0, A.SIT, P.SLUMPED)).posture is P.UNKNOWN
    assert combine(st(0, A.SIT), st(0, A.LIE)).activity is A.LIE
    assert combine(st(0, A.SIT, c=0.7), st(0, A.SIT)).confidence == pytest.approx(0.8)


def test_a_missing_or_unknown_sensor_leaves_the_other() -> None:
    trunk = st(0, A.SIT, P.SLUMPED)
    assert combine(None, trunk) == trunk
    assert combine(st(0, A.UNKNOWN, c=0.0), trunk) == trunk
    leg = st(0, A.MOVE)
    assert combine(leg, None) == leg
    assert combine(leg, st(0, A.UNKNOWN, c=0.0)) == leg
    # An unknown second from one sensor alone is still that second (the demo once stopped on it
    # when the thigh's last second at shutdown had too few samples and the trunk had not sent it).
    unknown = st(0, A.UNKNOWN, c=0.0)
    assert combine(unknown, None) == unknown
    assert combine(None, unknown) == unknown
    with pytest.raises(ValueError):
        combine(None, None)


def test_combine_states_aligns_by_second() -> None:
    leg = [st(0, A.SIT), st(1, A.SIT), st(3, A.STAND)]
    trunk = [st(1, A.SIT, P.SLUMPED), st(2, A.SIT, P.UPRIGHT), st(3, A.STAND)]
    out = combine_states(leg, trunk)
    assert [s.t for s in out] == [0, 1, 2, 3]
    assert [s.posture for s in out] == [P.UNKNOWN, P.SLUMPED, P.UPRIGHT, P.UNKNOWN]


def test_sit_to_stand_counts_each_getting_up_once() -> None:
    acts = [A.SIT] * 5 + [A.UNKNOWN] * 3 + [A.STAND] * 4 + [A.MOVE] * 3 + [A.SIT] * 4 + [A.LIE] * 2 + [A.MOVE]
    states = [st(i, a) for i, a in enumerate(acts)]
    assert sit_to_stand(states) == [8.0, 21.0]
    assert sit_to_stand([]) == []
