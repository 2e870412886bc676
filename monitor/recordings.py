"""Readers for accelerometer recordings: the project's own CSV format and the two research datasets.

A reader returns the samples and, separately, the labels. Nothing downstream of a reader is ever
handed the labels: classification sees only `Recording.block`.

Formats
- `sitmon`: the project's CSV (docs/recording-format.md): `#` comment lines, then a header with
  `t,ax,ay,az` (seconds; g) and an optional `label` column.
- `casale`: UCI chest-mounted accelerometer, `seq,x,y,z,label` at 52 Hz, raw counts. The `seq`
  column is corrupt past row 100000, so time is the row index / 52 Hz.
- `wisdm`: WISDM 2019 phone accelerometer, `subject,activity,timestamp_ns,x,y,z;` in m/s^2.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from monitor.errors import RecordingError
from monitor.model import SampleBlock

STANDARD_GRAVITY = 9.80665
CASALE_RATE_HZ = 52.0


class RecordingFormat(StrEnum):
    SITMON = "sitmon"
    CASALE = "casale"
    WISDM = "wisdm"


class Units(StrEnum):
    G = "g"
    COUNTS = "counts"


@dataclass(frozen=True)
class Recording:
    block: SampleBlock
    units: Units
    labels: npt.NDArray[np.str_] | None


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open(encoding="utf-8", newline="")


def _read_lines(path: Path) -> list[str]:
    try:
        with _open_text(path) as fh:
            return fh.read().splitlines()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise RecordingError(f"{path}: cannot be read ({exc})") from exc


def read_casale(path: Path) -> Recording:
    rows = [line.split(",") for line in _read_lines(path) if line.strip()]
    try:
        values = np.array([[float(r[1]), float(r[2]), float(r[3])] for r in rows], dtype=np.float64)
        labels = np.array([r[4].strip() for r in rows], dtype=np.str_)
    except (IndexError, ValueError) as exc:
        raise RecordingError(f"{path}: not a Casale file (expected seq,x,y,z,label rows): {exc}") from exc
    t = np.arange(len(values), dtype=np.float64) / CASALE_RATE_HZ
    return Recording(SampleBlock(t, values.reshape(-1, 3)), Units.COUNTS, labels)


def read_wisdm(path: Path) -> Recording:
    ts: list[int] = []
    xyz: list[tuple[float, float, float]] = []
    labels: list[str] = []
    for number, raw in enumerate(_read_lines(path), start=1):
        line = raw.strip().rstrip(";")
        if not line:
            continue
        parts = line.split(",")
        try:
            ts.append(int(parts[2]))
            xyz.append((float(parts[3]), float(parts[4]), float(parts[5])))
            labels.append(parts[1].strip())
        except (IndexError, ValueError) as exc:
            raise RecordingError(f"{path}:{number}: not a WISDM row ({exc})") from exc
    if not ts:
        raise RecordingError(f"{path}: no samples")
    stamps = np.array(ts, dtype=np.int64)
    # Only differences of the device clock mean anything; keep ns precision before converting.
    t = (stamps - stamps[0]).astype(np.float64) / 1e9
    values = np.array(xyz, dtype=np.float64).reshape(-1, 3) / STANDARD_GRAVITY
    return Recording(SampleBlock(t, values), Units.G, np.array(labels, dtype=np.str_))


SITMON_PREAMBLE = "# sitmon recording v1\n"
SITMON_COLUMNS = ("t", "ax", "ay", "az")


def read_sitmon(path: Path) -> Recording:
    lines = [line for line in _read_lines(path) if line.strip() and not line.startswith("#")]
    if not lines:
        raise RecordingError(f"{path}: no header line")
    reader = csv.DictReader(lines)
    fields = reader.fieldnames or []
    missing = [name for name in SITMON_COLUMNS if name not in fields]
    if missing:
        raise RecordingError(f"{path}: header lacks column(s) {', '.join(missing)}")
    t: list[float] = []
    xyz: list[tuple[float, float, float]] = []
    labels: list[str] = []
    for number, row in enumerate(reader, start=2):
        try:
            t.append(float(row["t"]))
            xyz.append((float(row["ax"]), float(row["ay"]), float(row["az"])))
        except (TypeError, ValueError) as exc:
            raise RecordingError(f"{path}: data line {number}: {exc}") from exc
        labels.append(row.get("label") or "")
    if not t:
        raise RecordingError(f"{path}: no samples")
    times = np.array(t, dtype=np.float64)
    if np.any(np.diff(times) < 0):
        raise RecordingError(f"{path}: timestamps go backwards")
    has_labels = "label" in fields
    return Recording(
        SampleBlock(times, np.array(xyz, dtype=np.float64).reshape(-1, 3)),
        Units.G,
        np.array(labels, dtype=np.str_) if has_labels else None,
    )


READERS = {
    RecordingFormat.SITMON: read_sitmon,
    RecordingFormat.CASALE: read_casale,
    RecordingFormat.WISDM: read_wisdm,
}


def read_recording(path: Path, fmt: RecordingFormat) -> Recording:
    if not path.exists():
        raise RecordingError(f"{path}: file not found")
    return READERS[fmt](path)


def sitmon_rows(block: SampleBlock) -> list[list[str]]:
    """A block's rows as the sitmon CSV format writes them (time to 0.1 ms, axes to 10 µg)."""
    return [[f"{t:.4f}", f"{x:.5f}", f"{y:.5f}", f"{z:.5f}"]
            for t, (x, y, z) in zip(block.t.tolist(), block.xyz.tolist(), strict=True)]


def write_sitmon(path: Path, block: SampleBlock, labels: npt.NDArray[np.str_] | None = None,
                 comment: str = "") -> None:
    """Write a recording in the project's CSV format (docs/recording-format.md)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(SITMON_PREAMBLE)
        for line in comment.splitlines():
            fh.write(f"# {line}\n")
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([*SITMON_COLUMNS, *(["label"] if labels is not None else [])])
        for i, row in enumerate(sitmon_rows(block)):
            if labels is not None:
                row.append(str(labels[i]))
            writer.writerow(row)
