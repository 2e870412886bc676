"""`sitmon snooze`, `pause`, `resume` (through the store's mailbox to the running daemon) and `replay`."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import click

from monitor.adapters import mailbox
from monitor.adapters.store import Store
from monitor.cli import CONFIG_OPTION, _settings, cli
from monitor.errors import RecordingError
from monitor.messages import event_payload
from monitor.model import Placement
from monitor.recordings import RecordingFormat, read_recording

ANSWER_TIMEOUT_SECONDS = 10.0


def _send(config: Path | None, name: str, args: dict[str, Any]) -> None:
    settings = _settings(config)
    store = Store.open(settings.store.sqlalchemy_url())
    try:
        command_id = mailbox.enqueue(store.engine, settings.wearer.id, name, args)
        deadline = time.monotonic() + ANSWER_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            response = mailbox.answer(store.engine, command_id)
            if response is not None:
                click.echo(response)
                if response.startswith(("refused", "expired")):
                    sys.exit(1)
                return
            time.sleep(0.2)
    finally:
        store.close()
    click.echo(f"no running sitmon answered within {ANSWER_TIMEOUT_SECONDS:.0f} s (is the daemon running, "
               "with the same settings file?); nothing was changed", err=True)
    sys.exit(1)


@cli.command()
@click.argument("minutes", type=click.Choice(["15", "30", "60"]), default="30")
@CONFIG_OPTION
def snooze(minutes: str, config: Path | None) -> None:
    """Hold move prompts back for 15, 30 or 60 minutes."""
    _send(config, "snooze", {"minutes": int(minutes)})


@cli.command()
@click.option("--minutes", type=click.IntRange(1, 24 * 60), default=None,
              help="Resume by itself after this many minutes (default: until `sitmon resume`).")
@CONFIG_OPTION
def pause(minutes: int | None, config: Path | None) -> None:
    """Stop prompts and nudges until `sitmon resume`."""
    _send(config, "pause", {"minutes": minutes} if minutes else {})


@cli.command()
@CONFIG_OPTION
def resume(config: Path | None) -> None:
    """End a pause or a snooze."""
    _send(config, "resume", {})


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice([f.value for f in RecordingFormat]), required=True,
              help="Recording format (docs/recording-format.md for sitmon's own).")
@click.option("--placement", type=click.Choice([p.value for p in Placement]), required=True,
              help="Where the sensor was worn.")
@click.option("--events", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Write every event here, one JSON object per line (the MQTT event payloads).")
@CONFIG_OPTION
def replay(file: Path, fmt: str, placement: str, out: Path, config: Path | None) -> None:
    """Run the whole pipeline over a recording on its own clock, as fast as possible."""
    from monitor.replay import ReplaySummary, replay_events

    settings = _settings(config)
    tz = settings.tz()
    try:
        recording = read_recording(file, RecordingFormat(fmt))
    except RecordingError as exc:
        raise click.ClickException(str(exc)) from exc
    started = time.perf_counter()
    summary = ReplaySummary()
    with out.open("w", encoding="utf-8") as fh:
        for event in replay_events(recording.block, Placement(placement), settings, summary=summary):
            fh.write(json.dumps(event_payload(event, tz or UTC), sort_keys=True, separators=(",", ":")) + "\n")
    wall = time.perf_counter() - started
    click.echo(f"{file.name}: sitting {summary.sitting_seconds / 60:.1f} min, {summary.long_streaks} streak(s) "
               f"over 30 min, {summary.prompts} prompt(s), {summary.events} events in {wall:.2f} s", err=True)
