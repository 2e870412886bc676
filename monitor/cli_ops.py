"""Operating commands: status, doctor, export, backup and restore, prune, the systemd units, and the
dashboard on its own."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import signal
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import IO, Any

import click

from monitor.cli import CONFIG_OPTION, cli
from monitor.cli import _settings as _load
from monitor.config import Settings
from monitor.errors import SitmonError

EXIT_NOT_RUNNING = 3  # as `systemctl status` says "not running"


def _sqlite_path(settings: Settings) -> Path:
    url = settings.store.sqlalchemy_url()
    if not url.startswith("sqlite:///"):
        raise click.ClickException("backup and restore work on the SQLite store; for another database use its "
                                   "own tools (e.g. pg_dump)")
    return Path(url.removeprefix("sqlite:///"))


def _zone(settings: Settings) -> tzinfo:
    import tzlocal

    # The system's named zone, as the daemon's prompt rules use, not today's fixed offset: exported days
    # and times in the other half of the year would be an hour off.
    return settings.tz() or tzlocal.get_localzone()


def _clock(t: float | None, tz: tzinfo) -> str:
    return "-" if t is None else datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M:%S")


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


# --- status and doctor -----------------------------------------------------------------------------
@cli.command()
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the status file as JSON.")
def status(config: Path | None, as_json: bool) -> None:
    """Show the running daemon: sensors, streak, next prompt, broker, outbox. Exit 3 if not running."""
    from monitor.status_file import read_status, state_dir

    settings = _load(config)
    directory = state_dir(settings)
    reading = read_status(directory, time.time())
    if as_json:
        click.echo(json.dumps({"running": reading.problem is None, "problem": reading.problem,
                               "status": reading.status}, indent=1, sort_keys=True))
    else:
        if reading.problem is not None:
            click.echo(f"sitmon is not running: {reading.problem}")
        if reading.status is not None:
            _print_status(reading.status, _zone(settings), live=reading.problem is None)
    if reading.problem is not None:
        sys.exit(EXIT_NOT_RUNNING)


def _print_status(s: dict[str, Any], tz: tzinfo, live: bool) -> None:
    age = time.time() - float(s.get("written_at", 0))
    up = float(s.get("written_at", 0)) - float(s.get("started_at", 0))
    click.echo(f"sitmon {s.get('version')} pid {s.get('pid')}, up {_minutes(up)}"
               f"{'' if live else ' (last known)'}; status written {age:.0f} s ago")
    streak = s.get("streak_seconds") or 0
    since = f" since {_clock(s.get('sitting_since'), tz)}" if s.get("sitting_since") else ""
    click.echo(f"wearer {s.get('wearer')}: {s.get('activity')}, {s.get('posture')}; "
               f"sitting streak {_minutes(streak)}{since}")
    click.echo(f"  last data {_clock(s.get('last_data_at'), tz)}; next prompt {_clock(s.get('next_prompt_at'), tz)}")
    for sensor in s.get("sensors", []):
        state = {True: "connected", False: "disconnected", None: "connection not reported"}[sensor.get("connected")]
        click.echo(f"  sensor {sensor['name']} ({sensor['kind']}, {sensor['placement']}): {state}, "
                   f"{sensor['samples']} samples")
    broker = s.get("broker", {})
    if broker.get("enabled"):
        link = "connected" if broker.get("connected") else "NOT connected"
        click.echo(f"  broker {broker.get('host')}:{broker.get('port')} {link}")
    else:
        click.echo("  broker: MQTT turned off")
    outbox, store = s.get("outbox", {}), s.get("store", {})
    click.echo(f"  outbox {outbox.get('depth', 0)} waiting, {outbox.get('dropped', 0)} dropped")
    held = store.get("pending_steps", 0)
    click.echo(f"  store {'ok' if not held else f'{held} steps held in memory: ' + str(store.get('last_error'))}")


@cli.command()
@CONFIG_OPTION
def doctor(config: Path | None) -> None:
    """Check settings, secrets, store, broker, Bluetooth and the daemon; say how to fix each problem."""
    from monitor.doctor import Level, run_checks

    checks = run_checks(config)
    mark = {Level.OK: "ok  ", Level.WARN: "WARN", Level.FAIL: "FAIL"}
    for check in checks:
        click.echo(f"[{mark[check.level]}] {check.name}: {check.detail}")
        if check.fix and check.level is not Level.OK:
            click.echo(f"       fix: {check.fix}")
    failed = sum(c.level is Level.FAIL for c in checks)
    warned = sum(c.level is Level.WARN for c in checks)
    click.echo(f"{failed} problem(s), {warned} warning(s)")
    if failed:
        sys.exit(1)


# --- export, backup, restore, prune ----------------------------------------------------------------
def _day_start(day: date, tz: tzinfo) -> float:
    return datetime.combine(day, datetime.min.time(), tz).timestamp()


def _export_rows(settings: Settings, what: str, start: float, end: float, tz: tzinfo) -> Iterator[dict[str, Any]]:
    from monitor.adapters.store import Store

    store = Store.open(settings.store.sqlalchemy_url())
    try:
        wearer = settings.wearer.id
        if what == "bouts":
            for b in store.bouts_between(wearer, start, end):
                yield {"wearer": wearer, "start": datetime.fromtimestamp(b.start, tz).isoformat(),
                       "end": datetime.fromtimestamp(b.end, tz).isoformat(), "seconds": round(b.end - b.start, 3),
                       "activity": b.activity.value, "posture": b.posture.value}
        else:
            for e in store.events_between(wearer, start, end):
                yield {"id": e.id, "wearer": e.wearer, "type": e.type.value,
                       "t": datetime.fromtimestamp(e.t, tz).isoformat(), "data": e.data}
    finally:
        store.close()


@cli.command()
@CONFIG_OPTION
@click.option("--what", type=click.Choice(["bouts", "events"]), default="bouts", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--from", "day_from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (wearer's time zone); default: the beginning.")
@click.option("--to", "day_to", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day, included; default: today.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="File (default: stdout).")
def export(config: Path | None, what: str, fmt: str, day_from: datetime | None, day_to: datetime | None,
           out: Path | None) -> None:
    """Export bouts or events as CSV or JSON lines."""
    settings = _load(config)
    tz = _zone(settings)
    start = _day_start(day_from.date(), tz) if day_from else 0.0
    end = _day_start(day_to.date() + timedelta(days=1), tz) if day_to else float(2**40)
    if end <= start:
        raise click.BadParameter("--to is before --from")
    rows = _export_rows(settings, what, start, end, tz)
    fh: IO[str] = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    count = 0
    try:
        if fmt == "jsonl":
            for row in rows:
                fh.write(json.dumps(row, sort_keys=True) + "\n")
                count += 1
        else:
            first = next(rows, None)
            if first is not None:
                writer = csv.DictWriter(fh, fieldnames=list(first), lineterminator="\n")
                writer.writeheader()
                for row in (first, *rows):
                    writer.writerow({k: json.dumps(v) if isinstance(v, dict) else v for k, v in row.items()})
                    count += 1
    finally:
        if out:
            fh.close()
    click.echo(f"exported {count} {what}{f' to {out}' if out else ''}", err=True)


@cli.command()
@CONFIG_OPTION
@click.argument("dest", type=click.Path(path_type=Path))
def backup(config: Path | None, dest: Path) -> None:
    """Copy the database to DEST (a file, or a directory for a time-stamped file), safely while it runs."""
    from monitor.adapters.backup import BackupError
    from monitor.adapters.backup import backup as do_backup

    settings = _load(config)
    try:
        summary = do_backup(_sqlite_path(settings), dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up {summary.bouts} bouts and {summary.events} events to {summary.path} "
               f"({summary.bytes} bytes)")


@cli.command()
@CONFIG_OPTION
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Restore even though the daemon seems to be running.")
def restore(config: Path | None, source: Path, force: bool) -> None:
    """Replace the database with the backup SOURCE (the current one is kept next to it)."""
    from monitor.adapters.backup import BackupError
    from monitor.adapters.backup import restore as do_restore
    from monitor.status_file import read_status, state_dir

    settings = _load(config)
    reading = read_status(state_dir(settings), time.time())
    if reading.problem is None and not force:
        raise click.ClickException("the daemon is running: stop it first (`systemctl stop sitmon`), "
                                   "or pass --force")
    try:
        kept = do_restore(source, _sqlite_path(settings))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {source}" + (f"; the replaced database is kept as {kept}" if kept else ""))


@cli.command()
@CONFIG_OPTION
def prune(config: Path | None) -> None:
    """Apply the retention settings now (the daemon also does it once a day)."""
    from monitor.adapters.retention import prune as do_prune
    from monitor.adapters.store import Store
    from monitor.status_file import state_dir

    settings = _load(config)
    store = Store.open(settings.store.sqlalchemy_url())
    try:
        result = do_prune(store, state_dir(settings) / "recordings", time.time(),
                          settings.store.keep_days, settings.store.raw_keep_days)
    finally:
        store.close()
    click.echo(f"removed {result.bouts} bouts, {result.events} events, {result.recordings} raw recordings")


# --- systemd units ---------------------------------------------------------------------------------
def _sitmon_exe() -> Path:
    candidate = Path(sys.executable).parent / "sitmon"
    return candidate if candidate.exists() else Path(sys.argv[0]).resolve()


@cli.command("install-service")
@click.option("--user", "user_mode", is_flag=True, help="User units (systemctl --user) instead of system units.")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Install into this directory tree (for --user: this home) instead of the running system.")
@click.option("--exe", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The sitmon executable the units run (default: this one).")
@click.option("--no-start", is_flag=True, help="Enable the units but do not start them now.")
def install_service(user_mode: bool, root: Path | None, exe: Path | None, no_start: bool) -> None:
    """Install, enable and start the systemd units (and create the sitmon user and directories)."""
    from monitor.service_install import InstallError, install

    try:
        report = install(user_mode, root, (exe or _sitmon_exe()).absolute(), start=not no_start)
    except (InstallError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.done:
        click.echo(line)
    for line in report.next_steps:
        click.echo(f"next: {line}")


@cli.command("uninstall-service")
@click.option("--user", "user_mode", is_flag=True, help="The user units instead of the system units.")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Uninstall from this directory tree instead of the running system.")
def uninstall_service(user_mode: bool, root: Path | None) -> None:
    """Stop, disable and remove the units; settings and data are kept."""
    from monitor.service_install import InstallError, uninstall

    try:
        report = uninstall(user_mode, root)
    except (InstallError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.done:
        click.echo(line)
    for line in report.next_steps:
        click.echo(f"note: {line}")


# --- the dashboard on its own ----------------------------------------------------------------------
@cli.command()
@CONFIG_OPTION
@click.option("--host", default=None, help="Address to listen on (default: dashboard.host).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: dashboard.port).")
def dashboard(config: Path | None, host: str | None, port: int | None) -> None:
    """Serve the dashboard alone (its own systemd unit), reading the daemon's store."""
    from monitor.logging_setup import configure
    from monitor.secrets import secret_values

    settings = _load(config)
    configure(settings.log.level, secrets=secret_values(settings))
    try:
        asyncio.run(_serve_dashboard(settings, host or settings.dashboard.host, port or settings.dashboard.port))
    except SitmonError:
        raise
    except OSError as exc:
        raise click.ClickException(f"the dashboard cannot start: {exc}") from exc


def _own_signals_server(config: Any) -> Any:
    import uvicorn

    class OwnSignalsServer(uvicorn.Server):
        """uvicorn re-raises a caught SIGTERM once it has shut down, which would kill the process before
        it says STOPPING and exits 0; here the command handles the signals itself."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return OwnSignalsServer(config)


async def _serve_dashboard(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from dashboard.app import create_app
    from monitor.adapters.store import Store
    from monitor.metrics_route import metrics_router
    from monitor.systemd_notify import SystemdNotifier, ping_watchdog, watchdog_interval

    store = Store.open(settings.store.sqlalchemy_url())
    app = create_app(store, settings, extra_routers=[metrics_router(settings)])
    server = _own_signals_server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                                access_log=False, lifespan="off"))
    notifier = SystemdNotifier()
    helpers: list[asyncio.Task[None]] = []

    def stop() -> None:
        notifier.stopping()
        server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)

    async def ready() -> None:
        while not server.started:
            await asyncio.sleep(0.05)
        notifier.ready(f"dashboard on http://{host}:{port}/")
        click.echo(f"sitmon dashboard on http://{host}:{port}/", err=True)
        interval = watchdog_interval()
        if interval is not None:
            await ping_watchdog(notifier, interval)

    helpers.append(asyncio.create_task(ready()))
    try:
        await server.serve()
    finally:
        for task in helpers:
            task.cancel()
        store.close()
    if not server.started:
        raise click.ClickException(f"the dashboard could not listen on {host}:{port}")
