"""The `sitmon` command line."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from monitor import __version__
from monitor.errors import ConfigError, RecordingError
from monitor.model import Placement
from monitor.recordings import RecordingFormat, read_recording

EXIT_CONFIG = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sitmon")
def cli() -> None:
    """sitmon: notices long sitting and slumping, prompts you to move, publishes it all over MQTT."""


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice([f.value for f in RecordingFormat]), required=True,
              help="Recording format.")
@click.option("--placement", type=click.Choice([p.value for p in Placement]), required=True,
              help="Where the sensor was worn.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="CSV to write: second,activity.")
def classify(file: Path, fmt: str, placement: str, out: Path) -> None:
    """Classify a recording: one row per second that holds samples."""
    from monitor.posture import classify_recording

    try:
        recording = read_recording(file, RecordingFormat(fmt))
    except RecordingError as exc:
        raise click.ClickException(str(exc)) from exc
    states = classify_recording(recording.block, Placement(placement))
    origin = float(recording.block.t[0])
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["second", "activity"])
        for state in states:
            writer.writerow([round(state.t - origin), state.activity.value])
    click.echo(f"wrote {len(states)} seconds to {out}", err=True)


def main() -> None:
    try:
        cli.main(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"sitmon: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
