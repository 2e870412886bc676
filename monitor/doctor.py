"""`sitmon doctor`: checks the things a months-long run depends on, and says how to fix each problem."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from monitor.adapters.broker import broker_reachable
from monitor.config import Settings, find_config, load_settings
from monitor.errors import ConfigError
from monitor.secrets import exposure_warnings, read_secret_file, secret_settings
from monitor.status_file import read_status, state_dir

LOW_DISK_BYTES = 200 * 1024 * 1024


class Level(Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str
    fix: str = ""


def check_config(config: Path | None) -> tuple[list[Check], Settings | None, Path | None]:
    path = find_config(config)
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        return [Check("settings", Level.FAIL, str(exc), "correct each key named above; "
                      "every key is documented in config/default.toml")], None, path
    checks = [Check("settings", Level.OK, f"valid ({path or 'defaults and environment'})")]
    for warning in exposure_warnings(settings, path):
        checks.append(Check("secrets", Level.WARN, warning.split(": run ")[0],
                            warning.split(": run ", 1)[1] if ": run " in warning else ""))
    for key, value in secret_settings(settings):
        if key.endswith("_file"):
            try:
                read_secret_file(key, Path(value))
            except ConfigError as exc:
                checks.append(Check("secrets", Level.FAIL, str(exc),
                                    "create the file (readable by the sitmon user only) or unset the setting"))
    return checks, settings, path


def check_store(settings: Settings) -> list[Check]:
    if settings.store.url and not settings.store.url.startswith("sqlite:///"):
        return [Check("store", Level.OK, "not SQLite: checked by the server that holds it")]
    db = Path(settings.store.sqlalchemy_url().removeprefix("sqlite:///"))
    directory = db.parent
    checks: list[Check] = []
    if not directory.exists():
        return [Check("store", Level.WARN, f"{directory} does not exist yet",
                      f"it is created on the first run; or create it: mkdir -p {directory}")]
    if not os.access(directory, os.W_OK | os.X_OK):
        checks.append(Check("permissions", Level.FAIL, f"{directory} is not writable by this user",
                            f"run as the service user, or `chown -R sitmon: {directory}`"))
    free = shutil.disk_usage(directory).free
    if free < LOW_DISK_BYTES:
        checks.append(Check("disk", Level.WARN, f"only {free // 2**20} MiB free in {directory}",
                            "free some space: the daemon holds its data in memory while the disk is full"))
    if not db.exists():
        return [*checks, Check("store", Level.WARN, f"no database at {db} yet", "it is created on the first run")]
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            result = [r[0] for r in conn.execute("PRAGMA quick_check")]
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [*checks, Check("store", Level.FAIL, f"{db} cannot be read ({exc})",
                               "check its owner and mode; restore a backup with `sitmon restore FILE`")]
    if result != ["ok"]:
        checks.append(Check("store", Level.FAIL, f"{db} is damaged: {'; '.join(result[:3])}",
                            "stop sitmon, `sitmon backup` what can be saved, then `sitmon restore` a good backup"))
    elif mode != "wal":
        checks.append(Check("store", Level.WARN, f"{db} is in {mode} journal mode, not WAL",
                            "start the daemon once: it switches the file to WAL"))
    else:
        checks.append(Check("store", Level.OK, f"{db} is sound (WAL)"))
    return checks


def check_broker(settings: Settings, reachable: Callable[[str, int], bool] = broker_reachable) -> list[Check]:
    mqtt = settings.mqtt
    if not mqtt.enabled:
        return [Check("broker", Level.OK, "MQTT is turned off")]
    if reachable(mqtt.host, mqtt.port):
        return [Check("broker", Level.OK, f"{mqtt.host}:{mqtt.port} answers")]
    return [Check("broker", Level.FAIL, f"nothing answers on {mqtt.host}:{mqtt.port}",
                  "start the broker (`systemctl start mosquitto`) or correct mqtt.host and mqtt.port; "
                  "the daemon keeps running and reconnects meanwhile")]


def check_bluetooth(settings: Settings, sysfs: Path = Path("/sys/class/bluetooth"),
                    system_bus: Path = Path("/run/dbus/system_bus_socket")) -> list[Check]:
    if all(w.kind == "emulated" for w in settings.wearables):
        return [Check("bluetooth", Level.OK, "not needed (emulated wearable only)")]
    adapters = sorted(p.name for p in sysfs.glob("hci*")) if sysfs.is_dir() else []
    checks = []
    if not adapters:
        checks.append(Check("bluetooth", Level.FAIL, "no Bluetooth adapter found",
                            "plug in an adapter, `rfkill unblock bluetooth`, and check `bluetoothctl list`"))
    else:
        checks.append(Check("bluetooth", Level.OK, f"adapter {', '.join(adapters)}"))
    if not system_bus.exists():
        checks.append(Check("bluetooth", Level.FAIL, "no D-Bus system bus, so BlueZ cannot be reached",
                            "install and start dbus and bluez (`systemctl start bluetooth`)"))
    return checks


def check_daemon(settings: Settings, environ: Mapping[str, str] | None = None) -> list[Check]:
    reading = read_status(state_dir(settings, environ), time.time())
    if reading.problem is None and reading.status is not None:
        return [Check("daemon", Level.OK, f"running (pid {reading.status.get('pid')})")]
    return [Check("daemon", Level.WARN, reading.problem or "not running",
                  "start it: `systemctl start sitmon` (or `sitmon run`)")]


def run_checks(config: Path | None) -> list[Check]:
    checks, settings, _path = check_config(config)
    if settings is None:
        return checks
    for more in (check_store, check_broker, check_bluetooth, check_daemon):
        checks += more(settings)
    return checks
