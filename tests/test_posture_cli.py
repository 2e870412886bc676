"""`sitmon calibrate` and `sitmon classify --posture --calibration` (files only under tmp_path)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from click.testing import CliRunner

import monitor.cli_calibrate  # noqa: F401  (registers the command)
from monitor.cli import cli
from monitor.model import SampleBlock
from monitor.recordings import write_sitmon


def session(path: Path) -> None:
    """10 s standing upright, 10 s sitting upright (leaning back 10 degrees), 60 s slouched."""
    rate = 50.0
    def lean(deg: float, seconds: float) -> np.ndarray:
        a = math.radians(deg)
        return np.tile([0.0, math.cos(a), math.sin(a)], (int(seconds * rate), 1))
    xyz = np.concatenate([lean(0, 10), lean(-10, 10), lean(25, 60)])
    xyz += np.random.default_rng(0).normal(0, 0.01, xyz.shape)
    write_sitmon(path, SampleBlock(np.arange(len(xyz)) / rate, xyz))


def test_calibrate_then_classify_with_posture(tmp_path: Path) -> None:
    rec, cal = tmp_path / "session.csv", tmp_path / "cal.json"
    session(rec)
    runner = CliRunner()
    result = runner.invoke(cli, ["calibrate", "--placement", "chest", "--stand", str(rec), "--stand-window",
                                 "1", "9", "--sit", str(rec), "--sit-window", "11", "19", "--out", str(cal)])
    assert result.exit_code == 0, result.output
    data = json.loads(cal.read_text())
    assert data["placement"] == "chest" and len(data["upright"]) == 3 and len(data["sitting"]) == 3
    out = tmp_path / "pred.csv"
    result = runner.invoke(cli, ["classify", str(rec), "--format", "sitmon", "--placement", "chest",
                                 "--out", str(out), "--posture", "--calibration", str(cal)])
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in out.read_text().splitlines()]
    assert rows[0] == ["second", "activity", "posture"]
    by_second = {int(r[0]): (r[1], r[2]) for r in rows[1:]}
    assert by_second[5] == ("stand", "unknown")
    assert by_second[15] == ("sit", "upright")
    assert by_second[60] == ("sit", "slumped")


def test_classify_can_add_a_confidence_column(tmp_path: Path) -> None:
    rec, out = tmp_path / "session.csv", tmp_path / "pred.csv"
    session(rec)
    result = CliRunner().invoke(cli, ["classify", str(rec), "--format", "sitmon", "--placement", "chest",
                                      "--out", str(out), "--posture", "--confidence"])
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in out.read_text().splitlines()]
    assert rows[0] == ["second", "activity", "posture", "confidence"]
    confidences = [float(r[3]) for r in rows[1:]]
    assert len(confidences) == 80 and all(0.0 <= c <= 1.0 for c in confidences)
    # Without any walking or calibration a chest sensor can only guess, and says so.
    assert max(confidences) <= 0.5


def test_calibrate_refuses_a_moving_hold(tmp_path: Path) -> None:
    rec = tmp_path / "moving.csv"
    t = np.arange(0, 10, 0.02)
    xyz = np.stack([0.4 * np.sin(2 * math.pi * 2 * t), np.ones_like(t), np.zeros_like(t)], axis=1)
    write_sitmon(rec, SampleBlock(t, xyz))
    result = CliRunner().invoke(cli, ["calibrate", "--placement", "chest", "--stand", str(rec),
                                      "--out", str(tmp_path / "c.json")])
    assert result.exit_code != 0
    assert "moved" in result.output
