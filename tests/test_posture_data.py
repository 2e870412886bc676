"""The classifier on the real dev recordings: label blindness, determinism, sanity.

Reads ../shared/data (skipped when the datasets are not there). Writes only to pytest's tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support import shared_data

import monitor.cli as cli_module
from monitor.model import Activity, Placement, SampleBlock
from monitor.posture import StreamClassifier, classify_recording
from monitor.recordings import Recording, read_casale, read_wisdm

DATA = shared_data()
CASALE = DATA / "uci-chest-casale" / "13.csv.gz"
WISDM = DATA / "wisdm2019-phone-accel" / "data_1600_accel_phone.txt.gz"

pytestmark = pytest.mark.skipif(not (CASALE.exists() and WISDM.exists()), reason="dev datasets not present")


@pytest.fixture(scope="module")
def casale() -> Recording:
    return read_casale(CASALE)


@pytest.fixture(scope="module")
def wisdm() -> Recording:
    return read_wisdm(WISDM)


def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, recording: Recording, fmt: str,
            placement: str, name: str) -> str:
    monkeypatch.setattr(cli_module, "read_recording", lambda path, form: recording)
    out = tmp_path / f"{name}.csv"
    result = CliRunner().invoke(cli_module.cli, ["classify", "in.csv", "--format", fmt, "--placement",
                                                 placement, "--out", str(out), "--posture"])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("which", "fmt", "placement"), [("casale", "casale", "chest"),
                                                         ("wisdm", "wisdm", "pocket")])
def test_cli_output_is_blind_to_labels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       request: pytest.FixtureRequest, which: str, fmt: str,
                                       placement: str) -> None:
    rec: Recording = request.getfixturevalue(which)
    assert rec.labels is not None
    rng = np.random.default_rng(0)
    scrambled = Recording(rec.block, rec.units, rng.permutation(rec.labels))
    renamed = Recording(rec.block, rec.units, np.full(len(rec.labels), "X"))
    unlabelled = Recording(rec.block, rec.units, None)
    outputs = {run_cli(monkeypatch, tmp_path, r, fmt, placement, str(i))
               for i, r in enumerate([rec, scrambled, renamed, unlabelled])}
    assert len(outputs) == 1
    lines = outputs.pop().splitlines()
    assert lines[0] == "second,activity,posture"
    seconds = [int(line.split(",")[0]) for line in lines[1:]]
    t = rec.block.t
    expected = np.unique(np.floor(t - t[0]).astype(np.int64))
    assert sorted(seconds) == expected.tolist()  # one row per second holding samples


def test_wisdm_clock_restarts_give_negative_seconds(wisdm: Recording) -> None:
    states = classify_recording(wisdm.block, Placement.POCKET)
    seconds = [round(s.t - float(wisdm.block.t[0])) for s in states]
    assert min(seconds) < 0  # segments recorded earlier on the device clock
    assert len(seconds) == len(set(seconds))


def test_casale_counts_are_scaled_and_walking_is_found(casale: Recording) -> None:
    states = classify_recording(casale.block, Placement.CHEST)
    assert casale.labels is not None
    walking = np.isin(casale.labels[::52], ["4"])[: len(states)]
    acts = np.array([s.activity.value for s in states])[: len(walking)]
    assert np.mean(acts[walking] == Activity.MOVE.value) > 0.85


def test_real_recording_split_into_random_blocks_matches_whole(casale: Recording) -> None:
    block = casale.block
    whole = classify_recording(block, Placement.CHEST, review=False)
    rng = np.random.default_rng(1)
    cuts = np.sort(rng.choice(np.arange(1, len(block)), size=3000, replace=False)).tolist()
    c = StreamClassifier(Placement.CHEST, origin=float(block.t[0]))
    streamed = []
    for lo, hi in zip([0, *cuts], [*cuts, len(block)], strict=True):
        streamed.extend(c.push(SampleBlock(block.t[lo:hi], block.xyz[lo:hi])))
    streamed.extend(c.flush())
    assert streamed == whole
    assert whole == classify_recording(block, Placement.CHEST, review=False)  # deterministic


def relaid(rec: Recording, order: list[int]) -> tuple[SampleBlock, np.ndarray]:
    """The recording's label segments in `order`, end to end on one 52 Hz clock, and for each
    new sample the index of the original sample it came from."""
    assert rec.labels is not None
    cuts = np.flatnonzero(rec.labels[1:] != rec.labels[:-1]) + 1
    bounds = [0, *cuts.tolist(), len(rec.labels)]
    source = np.concatenate([np.arange(bounds[i], bounds[i + 1]) for i in order])
    t = np.arange(len(source)) / 52.0
    return SampleBlock(t, rec.block.xyz[source]), source


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_reviewing_a_recording_hardly_depends_on_the_order_of_activities(casale: Recording, seed: int) -> None:
    assert casale.labels is not None
    n_segments = int(np.count_nonzero(casale.labels[1:] != casale.labels[:-1])) + 1
    order = np.random.default_rng(seed).permutation(n_segments).tolist()
    block, source = relaid(casale, order)
    original = classify_recording(casale.block, Placement.CHEST)
    moved = classify_recording(block, Placement.CHEST)
    by_second = {round(s.t - float(casale.block.t[0])): s.activity for s in original}
    # The second each relaid sample falls in, and the original second it came from.
    new_sec = np.floor(block.t).astype(np.int64)
    old_sec = np.floor(casale.block.t[source] - casale.block.t[0]).astype(np.int64)
    pairs = dict(zip(new_sec.tolist(), old_sec.tolist(), strict=True))  # a second's last sample
    same = [by_second.get(pairs[round(s.t)]) is s.activity for s in moved]
    # What is left: seconds at the joins (smoothing, a second holding two activities) and one
    # short posture near the sit/stand boundary in some orders.
    assert np.mean(same) > 0.94


def test_cli_live_flag_judges_as_the_daemon(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            casale: Recording) -> None:
    monkeypatch.setattr(cli_module, "read_recording", lambda path, form: casale)
    out = tmp_path / "live.csv"
    result = CliRunner().invoke(cli_module.cli, ["classify", "in.csv", "--format", "casale", "--placement",
                                                 "chest", "--out", str(out), "--live"])
    assert result.exit_code == 0, result.output
    rows = out.read_text(encoding="utf-8").splitlines()[1:]
    live = classify_recording(casale.block, Placement.CHEST, review=False)
    origin = float(casale.block.t[0])
    assert rows == [f"{round(s.t - origin)},{s.activity.value}" for s in live]
