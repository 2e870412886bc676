"""Sensor time line -> host time line."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.devices.timeline import Timeline


def test_anchor_keeps_sensor_spacing():
    line = Timeline()
    first = line.place(np.array([10.0, 10.02]), arrival=1000.05)
    assert first.tolist() == pytest.approx([1000.03, 1000.05])
    second = line.place(np.array([10.04, 10.06]), arrival=1000.2)  # arrived late: spacing kept
    assert second.tolist() == pytest.approx([1000.07, 1000.09])


def test_early_samples_pull_the_offset_back():
    line = Timeline()
    line.place(np.array([0.0]), arrival=100.9)  # the first frame was delayed
    small_lead = line.place(np.array([1.0]), arrival=101.5)
    assert small_lead.tolist() == pytest.approx([101.9])  # 0.4 s ahead of arrival: spacing kept
    placed = line.place(np.array([2.0]), arrival=102.0)
    assert placed.tolist() == pytest.approx([102.0])
    assert line.reanchors == 1


def test_long_lag_reanchors_and_time_never_goes_back():
    line = Timeline(max_lag_s=1.0)
    line.place(np.array([0.0, 1.0]), arrival=101.0)
    placed = line.place(np.array([2.0]), arrival=110.0)
    assert placed.tolist() == pytest.approx([110.0])
    line.reset()
    back = line.place(np.array([0.0, 0.5]), arrival=109.0)  # new connection, arrival clock oddity
    assert np.all(np.diff(np.concatenate([[110.0], back])) > 0)
