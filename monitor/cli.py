"""The `sitmon` command line."""

from __future__ import annotations

import asyncio
import csv
import sys
from datetime import datetime, time
from pathlib import Path
from typing import Any

import click

from monitor import __version__
from monitor.config import Settings, find_config, load_settings
from monitor.errors import ConfigError, RecordingError, SitmonError
from monitor.model import Placement
from monitor.recordings import RecordingFormat, read_recording

EXIT_CONFIG = 2
DEMO_DAY_STARTS = time(9, 0)
CONFIG_OPTION = click.option("--config", type=click.Path(path_type=Path, dir_okay=False),
                             help="Settings file (TOML).")


def _settings(config: Path | None) -> Settings:
    from monitor.secrets import warn_exposed

    path = find_config(config)
    return warn_exposed(load_settings(path), path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sitmon")
def cli() -> None:
    """sitmon: notices long sitting and slumping, prompts you to move, publishes it all over MQTT."""


@cli.command()
@CONFIG_OPTION
def run(config: Path | None) -> None:
    """Run the daemon with the configured wearables."""
    from monitor.clock import SystemClock
    from monitor.service import RunOptions, serve, setup_logging

    settings = _settings(config)
    setup_logging(settings.log.level)
    if settings.role.kind != "single":
        from monitor.fleet.run import run_role

        run_role(settings)
        return
    clock = SystemClock()
    sources = _sources(settings, clock)
    asyncio.run(serve(settings, clock, sources, RunOptions()))


def _sources(settings: Settings, clock: Any, script_start: float | None = None) -> list[Any]:
    from monitor.adapters.bluetooth_source import BluetoothWearables
    from monitor.adapters.emulator import EmulatedWearable
    from monitor.scripted_day import DEMO_DAY, motion_for

    sources: list[Any] = []
    radio: list[Any] = []
    for wearable in settings.wearables:
        if wearable.kind == "emulated":
            sources.append(EmulatedWearable(wearable.name, DEMO_DAY, clock, wearable.rate_hz,
                                            script_start=script_start, motion=motion_for(wearable.placement)))
        elif wearable.kind == "mqtt":
            continue  # its samples arrive through the MQTT link (monitor/adapters/mqtt_samples.py)
        else:
            radio.append(wearable)
    if radio:
        sources.append(BluetoothWearables(radio, clock))
    return sources


def _calibrate_demo_chest(settings: Settings, t: float) -> None:
    """Store the calibration the demo's wearer would make: stand upright, then sit upright."""
    from monitor.adapters.store import Store
    from monitor.model import Activity
    from monitor.posture import calibrate
    from monitor.scripted_day import DEMO_DAY, ChestMotion

    chest = ChestMotion(DEMO_DAY, start=t)
    calibration = calibrate(Placement.CHEST, stand=chest.still(Activity.STAND, t - 60, 10),
                            sit=chest.still(Activity.SIT, t - 40, 10))
    store = Store.open(settings.store.sqlalchemy_url())
    try:
        store.save_calibration(settings.wearer.id, "demo-chest", t, calibration.to_dict())
    finally:
        store.close()


DEMO_WEARABLES = ("emulated", "polar-h10", "polar-verity", "thingy52", "witmotion", "metawear", "sitmon")


def _emulated_radio(settings: Settings, clock: Any, script_start: float) -> list[Any]:
    """The demo day played by an emulated peripheral over an in-process Bluetooth link."""
    try:
        from monitor.emulation import emulated_peripheral
        from monitor.emulation.demo import EmulatedBluetoothWearables
    except ImportError as exc:
        raise click.ClickException("emulated Bluetooth wearables need bumble: pip install 'sitmon[dev]'") from exc
    from monitor.scripted_day import DEMO_DAY, ThighMotion

    wearable = settings.wearables[0]
    motion = ThighMotion(DEMO_DAY, start=script_start, rate_hz=wearable.rate_hz)
    peripheral = emulated_peripheral(wearable.kind, motion, rate_hz=wearable.rate_hz)
    # No address: the manager finds the peripheral by scanning for its family, as for a new sensor.
    return [EmulatedBluetoothWearables([wearable], clock, [peripheral])]


@cli.command()
@click.option("--speed", type=click.FloatRange(min=1, max=1000), default=60.0, show_default=True,
              help="How many times faster than real time the emulated day runs.")
@click.option("--duration", type=click.FloatRange(min=1), default=None,
              help="Stop by itself after this many (real) seconds.")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Dashboard port (default 8321).")
@CONFIG_OPTION
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Demo database (default: a fresh file in ~/.local/state/sitmon).")
@click.option("--resume", is_flag=True,
              help="Keep the database and continue the emulated day where the last demo stopped.")
@click.option("--wearable", type=click.Choice(DEMO_WEARABLES), default="emulated", show_default=True,
              help="Play the day through an emulated Bluetooth peripheral of this family, read with bleak "
                   "and the real connection manager (needs the dev extra: bumble).")
def demo(speed: float, duration: float | None, port: int | None, config: Path | None, db: Path | None,
         resume: bool, wearable: str) -> None:
    """Run everything with an emulated wearable and a sped-up day: no hardware, no broker needed."""
    from monitor.adapters.store import Store
    from monitor.clock import ScaledClock
    from monitor.config import WearableSettings
    from monitor.service import RunOptions, serve, setup_logging, summary_line

    base = _settings(config)
    db = db or Path("~/.local/state/sitmon/demo.sqlite3").expanduser()
    if not resume:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    dashboard = base.dashboard.model_copy(update={"port": port}) if port else base.dashboard
    settings = base.model_copy(update={
        "store": base.store.model_copy(update={"path": db, "url": ""}),
        "wearables": [WearableSettings.model_validate(
            {"name": "demo-thigh", "kind": wearable, "placement": Placement.THIGH}),
            # A chest strap beside the thigh sensor, so the demo shows slumping too.
            *([WearableSettings(name="demo-chest", kind="emulated", placement=Placement.CHEST)]
              if wearable == "emulated" else [])],
        "dashboard": dashboard,
    })
    setup_logging(settings.log.level)
    tz = settings.tz()
    today = datetime.now(tz).astimezone(tz).date() if tz else datetime.now().astimezone().date()
    start = datetime.combine(today, DEMO_DAY_STARTS, tz if tz else datetime.now().astimezone().tzinfo)
    origin = start.timestamp()
    if resume and db.exists():
        store = Store.open(settings.store.sqlalchemy_url())
        snapshot = store.snapshot(settings.wearer.id)
        store.close()
        if snapshot is not None and snapshot.last_t is not None and snapshot.last_t + 1 > origin:
            origin = snapshot.last_t + 1.0
    if wearable == "emulated" and not resume:
        _calibrate_demo_chest(settings, origin)
    clock = ScaledClock(origin=origin, speed=speed)
    sources = (_sources(settings, clock, script_start=start.timestamp()) if wearable == "emulated"
               else _emulated_radio(settings, clock, start.timestamp()))
    daemon = asyncio.run(serve(settings, clock, sources,
                               RunOptions(duration=duration, embedded_broker=True, banner=True)))
    summary = summary_line(daemon)
    click.echo("demo finished: " + ", ".join(f"{k}={v}" for k, v in summary.items()))


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice([f.value for f in RecordingFormat]), required=True,
              help="Recording format.")
@click.option("--placement", type=click.Choice([p.value for p in Placement]), required=True,
              help="Where the sensor was worn.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="CSV to write: second,activity (then posture and confidence when asked for).")
@click.option("--posture", is_flag=True, help="Add a posture column (upright, slumped, unknown).")
@click.option("--confidence", is_flag=True,
              help="Add a confidence column: how sure the judgement of the second is, 0 to 1.")
@click.option("--calibration", "calibration_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Calibration JSON written by `sitmon calibrate` (upright and sitting references).")
@click.option("--live", is_flag=True,
              help="Judge each second only from what came before it, as the daemon does live "
                   "(default for a trunk sensor: two passes over the whole recording).")
def classify(file: Path, fmt: str, placement: str, out: Path, posture: bool, confidence: bool,
             calibration_file: Path | None, live: bool) -> None:
    """Classify a recording: one row per second that holds samples."""
    import json

    from monitor.posture import Calibration, CalibrationError, classify_recording

    try:
        recording = read_recording(file, RecordingFormat(fmt))
    except RecordingError as exc:
        raise click.ClickException(str(exc)) from exc
    calibration = None
    if calibration_file is not None:
        try:
            calibration = Calibration.from_dict(json.loads(calibration_file.read_text(encoding="utf-8")))
        except (OSError, ValueError, CalibrationError) as exc:
            raise click.ClickException(f"{calibration_file}: {exc}") from exc
    try:
        states = classify_recording(recording.block, Placement(placement), calibration=calibration,
                                    review=False if live else None)
    except CalibrationError as exc:
        raise click.ClickException(f"{calibration_file}: {exc}") from exc
    origin = float(recording.block.t[0])
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["second", "activity", *(["posture"] if posture else []),
                         *(["confidence"] if confidence else [])])
        for state in states:
            row: list[int | str] = [round(state.t - origin), state.activity.value]
            if posture:
                row.append(state.posture.value)
            if confidence:
                row.append(f"{state.confidence:.3f}")
            writer.writerow(row)
    click.echo(f"wrote {len(states)} seconds to {out}", err=True)


@cli.command("check-config")
@CONFIG_OPTION
def check_config(config: Path | None) -> None:
    """Validate the settings and print where they came from."""
    path = find_config(config)
    _settings(config)
    click.echo(f"configuration OK ({path or 'defaults and environment'})")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except ConfigError as exc:
        click.echo(f"sitmon: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SitmonError as exc:
        click.echo(f"sitmon: {exc}", err=True)
        sys.exit(1)


# Command groups that live in their own modules register themselves on `cli` when imported.
from monitor import cli_prompts  # noqa: E402, F401
from monitor import cli_calibrate  # noqa: E402, F401
from monitor import cli_ops  # noqa: E402, F401
from monitor import cli_fleet  # noqa: E402, F401
from monitor import cli_tokens  # noqa: E402, F401
from monitor import cli_ble  # noqa: E402, F401
