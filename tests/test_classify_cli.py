"""`sitmon classify` keeps its contract on every shared recording, and never reads the labels."""

from __future__ import annotations

import csv
import gzip
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support import shared_data

from monitor.cli import cli
from monitor.recordings import RecordingFormat, read_recording

DATA = shared_data()
FILES = [(p, "casale", "chest") for p in sorted((DATA / "uci-chest-casale").glob("*.csv.gz"))] + [
    (p, "wisdm", "pocket") for p in sorted((DATA / "wisdm2019-phone-accel").glob("*.txt.gz"))]
ACTIVITIES = {"sit", "stand", "move", "lie", "unknown"}


def classify(path: Path, fmt: str, placement: str, out: Path) -> list[tuple[int, str]]:
    result = CliRunner().invoke(cli, ["classify", str(path), "--format", fmt, "--placement", placement,
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["second", "activity"]
    return [(int(s), a) for s, a in rows[1:]]


def test_the_shared_data_is_there():
    assert len(FILES) == 25, f"expected 10 Casale and 15 WISDM files under {DATA}"


@pytest.mark.parametrize(("path", "fmt", "placement"), FILES, ids=[p.name for p, _, _ in FILES])
def test_one_row_per_second_holding_samples(path, fmt, placement, tmp_path):
    rows = classify(path, fmt, placement, tmp_path / "pred.csv")
    block = read_recording(path, RecordingFormat(fmt)).block
    expected = set(np.floor(block.t - block.t[0]).astype(int).tolist())
    seconds = [s for s, _ in rows]
    assert len(seconds) == len(set(seconds)), "a second appears twice"
    assert set(seconds) == expected
    assert {a for _, a in rows} <= ACTIVITIES


def _scrambled_copy(path: Path, fmt: str, dest: Path, drop: bool) -> Path:
    rng = random.Random(5)
    with gzip.open(path, "rt") as fh:
        lines = fh.read().splitlines()
    out = []
    for line in lines:
        if fmt == "casale":
            parts = line.split(",")
            parts[4] = "" if drop else str(rng.randint(0, 7))
            out.append(",".join(parts))
        else:
            parts = line.rstrip(";").split(",")
            parts[1] = "Z" if drop else rng.choice("ABCDE")
            out.append(",".join(parts) + ";")
    with gzip.open(dest, "wt") as fh:
        fh.write("\n".join(out) + "\n")
    return dest


@pytest.mark.parametrize(("index", "fmt", "placement"), [(0, "casale", "chest"), (12, "wisdm", "pocket")])
@pytest.mark.parametrize("drop", [False, True], ids=["scrambled", "blank"])
def test_output_is_identical_when_labels_are_scrambled_or_blank(index, fmt, placement, drop, tmp_path):
    path = FILES[index][0]
    original = classify(path, fmt, placement, tmp_path / "a.csv")
    copy = _scrambled_copy(path, fmt, tmp_path / f"copy{''.join(path.suffixes)}", drop)
    assert classify(copy, fmt, placement, tmp_path / "b.csv") == original


def test_an_unreadable_recording_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("t,ax,ay\n0,1,2\n")
    result = CliRunner().invoke(cli, ["classify", str(bad), "--format", "sitmon", "--placement", "thigh",
                                      "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "header lacks column(s) az" in result.output
