"""The emulated wearable's physics: realistic thigh samples, split-invariant, label-free."""

from __future__ import annotations

import asyncio
import dataclasses

import numpy as np

from monitor.adapters.emulator import EmulatedWearable
from monitor.clock import ManualClock
from monitor.model import Activity, Placement, SampleBlock
from monitor.posture import classify_recording
from monitor.scripted_day import DEMO_DAY, Segment, ThighMotion, script_seconds, seconds_of


def test_samples_do_not_depend_on_how_the_range_is_split():
    motion = ThighMotion(DEMO_DAY, start=1000.0)
    whole = motion.samples(1000.0, 1000.0 + 600)
    parts = [motion.samples(1000.0 + a, 1000.0 + min(a + 7.3, 600)) for a in np.arange(0, 600, 7.3)]
    assert np.array_equal(np.concatenate([p.t for p in parts]), whole.t)
    assert np.allclose(np.concatenate([p.xyz for p in parts]), whole.xyz)


def test_orientation_and_noise_look_like_a_thigh_sensor():
    motion = ThighMotion([Segment(Activity.STAND, 60), Segment(Activity.SIT, 60), Segment(Activity.MOVE, 60)], 0.0)
    stand, sit, move = (motion.samples(a, a + 60).xyz for a in (0.0, 60.0, 120.0))
    assert stand.mean(axis=0)[0] < -0.95  # thigh vertical: gravity's reaction on -x
    assert sit.mean(axis=0)[2] > 0.95  # thigh horizontal: on +z
    assert 0.005 < sit.std(axis=0).min() < 0.05  # sensor noise, no motion
    assert np.linalg.norm(move, axis=1).std() > 0.2  # gait


def test_samples_carry_no_labels():
    block = ThighMotion(DEMO_DAY, 0.0).samples(0, 10)
    assert [f.name for f in dataclasses.fields(SampleBlock)] == ["t", "xyz"]
    assert isinstance(block, SampleBlock)


def test_the_classifier_recovers_the_script_within_two_percent():
    motion = ThighMotion(DEMO_DAY, 0.0)
    states = classify_recording(motion.samples(0, motion.period), Placement.THIGH)
    for activity in (Activity.SIT, Activity.STAND, Activity.MOVE):
        got = sum(s.activity is activity for s in states)
        assert abs(got - seconds_of(DEMO_DAY, activity)) <= 0.02 * seconds_of(DEMO_DAY, activity) + 5
    assert len(states) == script_seconds(DEMO_DAY)


def test_the_emulated_wearable_streams_up_to_the_clock():
    clock = ManualClock(5000.0)
    wearable = EmulatedWearable("w", DEMO_DAY, clock, rate_hz=25)
    got: list[SampleBlock] = []

    class Sink:
        def samples(self, name: str, block: SampleBlock) -> None:
            got.append(block)
            clock.advance(3.0) if len(got) < 4 else None

    async def drive() -> None:
        clock.advance(3.0)
        task = asyncio.create_task(wearable.run(Sink()))
        while len(got) < 4:
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(drive())
    t = np.concatenate([b.t for b in got])
    assert t[0] == 5000.0 and np.all(np.diff(t) > 0)
    assert np.allclose(np.diff(t), 1 / 25)
