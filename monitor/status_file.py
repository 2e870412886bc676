"""The running daemon's status, as a small JSON file in its state directory.

The daemon rewrites it every few seconds (atomically: a temporary file renamed over the old one), and
`sitmon status` reads it, so status works with the dashboard off and needs no socket. Next to it the
daemon keeps `metrics.prom`, its metrics in Prometheus text, for a dashboard running in its own
process (and for node_exporter's textfile collector).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.config import Settings

STATUS_NAME = "status.json"
METRICS_NAME = "metrics.prom"
WRITE_EVERY_SECONDS = 5.0
# A status older than this many write intervals means the daemon stopped writing (hung or gone).
STALE_AFTER_INTERVALS = 4


def state_dir(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """Where the daemon keeps its files: systemd's StateDirectory, else next to the SQLite file."""
    env = os.environ if environ is None else environ
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if not settings.store.url or settings.store.url.startswith("sqlite:///"):
        url = settings.store.sqlalchemy_url()
        return Path(url.removeprefix("sqlite:///")).expanduser().parent
    return Path(env.get("XDG_STATE_HOME", "~/.local/state")).expanduser() / "sitmon"


def write_atomically(path: Path, text: str, mode: int = 0o640) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_status(directory: Path, status: Mapping[str, Any], metrics_text: str | None = None) -> None:
    write_atomically(directory / STATUS_NAME, json.dumps(status, indent=1, sort_keys=True) + "\n")
    if metrics_text is not None:
        write_atomically(directory / METRICS_NAME, metrics_text)


@dataclass(frozen=True)
class StatusReading:
    status: dict[str, Any] | None
    problem: str | None  # why the daemon is not (known to be) running, with the fix


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to another user (the service user)
    return True


def read_status(directory: Path, now: float) -> StatusReading:
    """The daemon's last status and, when it cannot be trusted, why. `now` is wall time (epoch s)."""
    path = directory / STATUS_NAME
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return StatusReading(None, f"no status file at {path}: the daemon has not run with this state "
                                   "directory (start it with `sitmon run` or `systemctl start sitmon`)")
    except PermissionError:
        return StatusReading(None, f"{path} cannot be read by this user: run as the service user or "
                                   "add yourself to the sitmon group")
    except (OSError, ValueError) as exc:
        return StatusReading(None, f"{path} is not readable JSON ({exc}); the daemon rewrites it within "
                                   f"{WRITE_EVERY_SECONDS:.0f} s")
    if not isinstance(status, dict):
        return StatusReading(None, f"{path} does not hold a status object")
    if not status.get("running", False):
        return StatusReading(status, "the daemon stopped (it wrote a final status on exit)")
    pid = status.get("pid")
    if not isinstance(pid, int) or not pid_alive(pid):
        return StatusReading(status, f"the daemon (pid {pid}) is gone without a clean stop: see "
                                     "`journalctl -u sitmon` for why")
    age = now - float(status.get("written_at", 0))
    if age > STALE_AFTER_INTERVALS * float(status.get("interval", WRITE_EVERY_SECONDS)):
        return StatusReading(status, f"the daemon (pid {pid}) has not written its status for {age:.0f} s: "
                                     "it may be hung (the systemd watchdog restarts a hung daemon)")
    return StatusReading(status, None)
