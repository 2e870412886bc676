"""`sitmon scan` and `sitmon record`: find wearables and record their raw samples."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import click

from monitor.cli import CONFIG_OPTION, _settings, cli
from monitor.clock import Clock, SystemClock

BLUETOOTH_ADVICE = ("is a Bluetooth adapter present and powered, bluetoothd running, and may this user use "
                    "it (group bluetooth)? `sitmon doctor` checks")


@asynccontextmanager
async def _backends(emulated: bool, clock: Clock) -> AsyncIterator[tuple[Any, Any]]:
    """bleak's own backends, or an in-process world with one emulated wearable of every family."""
    if not emulated:
        yield None, None
        return
    try:
        from monitor.emulation import PERIPHERALS, EmulatedWorld
        from monitor.scripted_day import DEMO_DAY, ThighMotion
    except ImportError as exc:
        raise click.ClickException("emulated wearables need bumble: pip install 'sitmon[dev]'") from exc
    motion = ThighMotion(DEMO_DAY, start=clock.now())
    async with EmulatedWorld(clock, [cls(motion) for cls in PERIPHERALS.values()]) as world:
        yield world.scanner_backend, world.client_backend


def _radio_error(exc: Exception) -> click.ClickException:
    return click.ClickException(f"Bluetooth is not available ({exc}); {BLUETOOTH_ADVICE}")


@cli.command()
@click.option("--timeout", type=click.FloatRange(1, 120), default=5.0, show_default=True,
              help="Seconds to listen for advertisements.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per wearable found.")
@click.option("--no-battery", is_flag=True, help="Do not connect briefly to read each battery.")
@click.option("--emulated", is_flag=True, help="Scan an in-process world of emulated wearables (no radio).")
def scan(timeout: float, as_json: bool, no_battery: bool, emulated: bool) -> None:
    """List nearby wearables sitmon can read: model, address, signal strength and battery."""
    from monitor.adapters.ble import scan as scan_radio

    async def go() -> list[Any]:
        async with _backends(emulated, SystemClock()) as (scanner, client):
            return await scan_radio(timeout, scanner, client, read_battery=not no_battery)

    try:
        found = asyncio.run(go())
    except click.ClickException:
        raise
    except Exception as exc:  # bleak raises several types when BlueZ or D-Bus is missing
        raise _radio_error(exc) from exc
    if as_json:
        for wearable in found:
            click.echo(json.dumps(wearable.as_dict(), sort_keys=True))
        return
    if not found:
        click.echo("no supported wearable found; is it awake and not connected to another app?", err=True)
        sys.exit(1)
    click.echo(f"{'model':14} {'address':19} {'rssi':>5} {'battery':>8}  name")
    for w in found:
        battery = f"{w.battery_percent}%" if w.battery_percent is not None else "?"
        click.echo(f"{w.kind:14} {w.address:19} {w.rssi:5d} {battery:>8}  {w.name}")


@cli.command()
@click.option("--wearable", "name", required=True, help="Name of a configured wearable ([[wearables]] name).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="CSV to write (docs/recording-format.md).")
@click.option("--seconds", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="How long to record.")
@CONFIG_OPTION
def record(name: str, out: Path, seconds: float, config: Path | None) -> None:
    """Record a wearable's raw samples for replay, classification or calibration."""
    from monitor.adapters.ble import record as record_radio

    settings = _settings(config)
    wearable = next((w for w in settings.wearables if w.name == name), None)
    if wearable is None:
        names = ", ".join(w.name for w in settings.wearables)
        raise click.ClickException(f"no wearable named {name!r} in the settings (configured: {names})")
    if wearable.kind in ("emulated", "mqtt"):
        raise click.ClickException(f"wearable {name!r} is {wearable.kind!r}, not a Bluetooth sensor")
    try:
        rows = asyncio.run(record_radio(wearable, out, seconds, SystemClock(),
                                        progress=lambda n: click.echo(f"\r{n} samples", nl=False, err=True)))
    except Exception as exc:
        raise _radio_error(exc) from exc
    click.echo(f"\nwrote {rows} samples to {out}", err=True)
