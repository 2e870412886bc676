"""`sitmon calibrate`: reference directions for one wearer and sensor, from two still holds.

The wearer stands upright for a few seconds, then sits upright (on the sit bones, back tall) for a
few seconds, while the sensor records. The holds can be two recordings, or two time windows of one
recording. The result is a small JSON file that `sitmon classify --calibration` (and the daemon)
passes to the classifier: the standing direction sharpens sit/stand for trunk sensors, and the
sitting direction is what slump is measured against.

Hook-up: importing this module registers the command on `monitor.cli.cli` (one line in cli.py:
`from monitor import cli_calibrate  # noqa: E402, F401`, as for the other command modules).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from monitor.cli import cli
from monitor.errors import RecordingError
from monitor.model import Placement, SampleBlock
from monitor.recordings import RecordingFormat, read_recording


def _window(block: SampleBlock, window: tuple[float, float] | None) -> SampleBlock:
    """Samples from `window` = (start, end) seconds after the recording's first sample."""
    if window is None:
        return block
    t0 = float(block.t[0]) if len(block) else 0.0
    keep = (block.t >= t0 + window[0]) & (block.t < t0 + window[1])
    return SampleBlock(block.t[keep], block.xyz[keep])


def _hold(file: Path | None, fmt: RecordingFormat, window: tuple[float, float] | None) -> SampleBlock | None:
    from monitor.posture.calibration import block_in_g

    if file is None:
        return None
    try:
        recording = read_recording(file, fmt)
    except RecordingError as exc:
        raise click.ClickException(str(exc)) from exc
    block = _window(recording.block, window)
    return SampleBlock(block.t, np.asarray(block_in_g(block), dtype=np.float64))


@click.command("calibrate")
@click.option("--placement", type=click.Choice([p.value for p in Placement]), required=True,
              help="Where the sensor is worn.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in RecordingFormat]),
              default=RecordingFormat.SITMON.value, show_default=True, help="Recording format.")
@click.option("--stand", "stand_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Recording of standing upright and still.")
@click.option("--stand-window", type=(float, float), default=None,
              help="START END seconds of the standing hold within --stand (default: all of it).")
@click.option("--sit", "sit_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Recording of sitting upright and still (may be the same file as --stand).")
@click.option("--sit-window", type=(float, float), default=None,
              help="START END seconds of the sitting hold within --sit (default: all of it).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Calibration JSON to write.")
def calibrate_command(placement: str, fmt: str, stand_file: Path | None,
                      stand_window: tuple[float, float] | None, sit_file: Path | None,
                      sit_window: tuple[float, float] | None, out: Path) -> None:
    """Calibrate from still holds: stand upright, then sit upright."""
    from monitor.posture import CalibrationError, calibrate

    if stand_file is None and sit_file is None:
        raise click.UsageError("give --stand, --sit, or both")
    form = RecordingFormat(fmt)
    try:
        stand = _hold(stand_file, form, stand_window)
        sit = _hold(sit_file, form, sit_window)
        calibration = calibrate(Placement(placement), stand=stand, sit=sit)
    except CalibrationError as exc:
        raise click.ClickException(str(exc)) from exc
    out.write_text(json.dumps(calibration.to_dict(), indent=2) + "\n", encoding="utf-8")
    parts = [name for name, value in (("upright", calibration.upright), ("sitting", calibration.sitting))
             if value is not None]
    click.echo(f"wrote {' and '.join(parts)} reference to {out}", err=True)


cli.add_command(calibrate_command)
