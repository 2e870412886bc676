"""Installing the systemd units: copy them (pointing at this sitmon), create the service user and the
directories, write a starter settings file, and enable them; and the way back.

`root` installs into a directory tree instead of the running system (a chroot, an image being built,
a test): the same files and symlinks are made there, and nothing is started. For user units, `root`
stands for the home directory.
"""

from __future__ import annotations

import configparser
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

UNITS = Path(__file__).resolve().parent / "data" / "systemd"
PLACEHOLDER_EXE = "/usr/local/bin/sitmon"
SYSTEM_USER = "sitmon"
SYSUSERS_LINE = f'u {SYSTEM_USER} - "sitmon sitting monitor" /var/lib/sitmon /usr/sbin/nologin\n'
UNIT_NAMES = ("sitmon.service", "sitmon-dashboard.service")


class InstallError(Exception):
    """The installation cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Layout:
    user: bool
    root: Path
    live: bool  # acting on the running system (no --root given)
    unit_dir: Path
    config_dir: Path
    state_dir: Path
    sysusers: Path | None
    enabled: tuple[str, ...]  # units enabled by default

    @property
    def config_file(self) -> Path:
        return self.config_dir / "sitmon.toml"


def layout(user: bool, root: Path | None) -> Layout:
    if user:
        home = root if root is not None else Path.home()
        config_home = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config")) if root is None else home / ".config"
        state_home = Path(os.environ.get("XDG_STATE_HOME", home / ".local/state")) if root is None \
            else home / ".local/state"
        return Layout(True, home, root is None, config_home / "systemd/user", config_home / "sitmon",
                      state_home / "sitmon", None, ("sitmon.service",))
    base = root if root is not None else Path("/")
    return Layout(False, base, root is None, base / "etc/systemd/system", base / "etc/sitmon",
                  base / "var/lib/sitmon", base / "etc/sysusers.d/sitmon.conf", UNIT_NAMES)


def unit_text(name: str, user: bool, exe: Path) -> str:
    source = UNITS / ("user" if user else "") / name
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstallError(f"unit {source} is missing from this installation ({exc.strerror})") from None
    return text.replace(PLACEHOLDER_EXE, str(exe))


def wanted_by(text: str) -> list[str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser.get("Install", "WantedBy", fallback="").split()


def starter_config(lay: Layout) -> str:
    store = "/var/lib/sitmon/sitmon.sqlite3" if not lay.user else str(lay.state_dir / "sitmon.sqlite3")
    return (
        "# sitmon settings. Every key, with its default and meaning: config/default.toml in the sources.\n"
        "# Check with `sitmon check-config`, then `sitmon doctor`.\n\n"
        "# Your sensor: see config/thigh-sensor.example.toml. Until then the emulated wearable plays a day.\n"
        "# [[wearables]]\n# name = \"thigh\"\n# kind = \"sitmon\"\n# address = \"AA:BB:CC:DD:EE:FF\"\n\n"
        f"[store]\npath = \"{store}\"\n"
    )


@dataclass
class Report:
    done: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)


def _run(argv: list[str], report: Report) -> bool:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        report.next_steps.append(f"`{' '.join(argv)}` could not run ({exc}); run it yourself")
        return False
    if proc.returncode != 0:
        report.next_steps.append(f"`{' '.join(argv)}` failed: {proc.stderr.strip() or proc.returncode}")
        return False
    report.done.append(f"ran {' '.join(argv)}")
    return True


def _systemd_running(user: bool) -> bool:
    if not Path("/run/systemd/system").is_dir():
        return False
    return not user or bool(os.environ.get("XDG_RUNTIME_DIR"))


def _owner_ids(lay: Layout) -> tuple[int, int] | None:
    passwd = lay.root / "etc/passwd"
    for line in passwd.read_text(encoding="utf-8").splitlines() if passwd.is_file() else []:
        parts = line.split(":")
        if len(parts) > 3 and parts[0] == SYSTEM_USER:
            return int(parts[2]), int(parts[3])
    return None


def _create_user(lay: Layout, report: Report) -> None:
    assert lay.sysusers is not None
    lay.sysusers.parent.mkdir(parents=True, exist_ok=True)
    lay.sysusers.write_text(SYSUSERS_LINE, encoding="utf-8")
    report.done.append(f"wrote {lay.sysusers}")
    if shutil.which("systemd-sysusers"):
        argv = ["systemd-sysusers"] + ([] if lay.live else [f"--root={lay.root}"]) + [str(lay.sysusers)]
        _run(argv, report)
    elif lay.live:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            _run(["useradd", "--system", "--user-group", "--home-dir", "/var/lib/sitmon", "--shell",
                  "/usr/sbin/nologin", SYSTEM_USER], report)
    else:
        report.next_steps.append(f"create the user {SYSTEM_USER} in {lay.root} (no systemd-sysusers here)")


def install(user: bool, root: Path | None, exe: Path, start: bool = True) -> Report:
    if not user and root is None and os.geteuid() != 0:
        raise InstallError("a system install needs root: run with sudo, or use --user for your own session")
    lay = layout(user, root)
    report = Report()
    texts = {name: unit_text(name, user, exe) for name in UNIT_NAMES}
    if not user:
        _create_user(lay, report)
    for directory, mode in ((lay.unit_dir, 0o755), (lay.config_dir, 0o750), (lay.state_dir, 0o750)):
        directory.mkdir(parents=True, exist_ok=True)
        if directory != lay.unit_dir:
            directory.chmod(mode)
    for name, text in texts.items():
        (lay.unit_dir / name).write_text(text, encoding="utf-8")
        (lay.unit_dir / name).chmod(0o644)
        report.done.append(f"wrote {lay.unit_dir / name}")
    if not lay.config_file.exists():
        lay.config_file.write_text(starter_config(lay), encoding="utf-8")
        lay.config_file.chmod(0o640 if not user else 0o600)
        report.done.append(f"wrote {lay.config_file}")
    else:
        report.done.append(f"kept {lay.config_file}")
    ids = None if user else _owner_ids(lay)
    if ids is not None and os.geteuid() == 0:
        for path in (lay.config_dir, lay.config_file, lay.state_dir):
            os.chown(path, 0 if path != lay.state_dir else ids[0], ids[1])
    for name in lay.enabled:
        for target in wanted_by(texts[name]):
            wants = lay.unit_dir / f"{target}.wants"
            wants.mkdir(exist_ok=True)
            link = wants / name
            link.unlink(missing_ok=True)
            link.symlink_to(Path("..") / name)  # relative: still right once the tree is the root
            report.done.append(f"enabled {name} ({link})")
    scope = ["--user"] if user else []
    if lay.live and _systemd_running(user):
        _run(["systemctl", *scope, "daemon-reload"], report)
        if start:
            _run(["systemctl", *scope, "restart", *lay.enabled], report)
    elif lay.live:
        report.next_steps.append("systemd is not running here; once it is: "
                                 f"systemctl {' '.join(scope)} daemon-reload && "
                                 f"systemctl {' '.join(scope)} start {' '.join(lay.enabled)}".replace("  ", " "))
    report.next_steps.append(f"edit {lay.config_file} for your sensor, then check it: sitmon check-config "
                             f"--config {lay.config_file}")
    return report


def uninstall(user: bool, root: Path | None) -> Report:
    """Stop, disable and remove the units; settings and data stay (the report says where)."""
    if not user and root is None and os.geteuid() != 0:
        raise InstallError("a system uninstall needs root: run with sudo, or use --user")
    lay = layout(user, root)
    report = Report()
    scope = ["--user"] if user else []
    present = [n for n in UNIT_NAMES if (lay.unit_dir / n).exists()]
    if lay.live and _systemd_running(user) and present:
        _run(["systemctl", *scope, "disable", "--now", *present], report)
    for name in UNIT_NAMES:
        for link in lay.unit_dir.glob(f"*.wants/{name}"):
            link.unlink()
            report.done.append(f"disabled {name} ({link})")
        unit = lay.unit_dir / name
        if unit.exists():
            unit.unlink()
            report.done.append(f"removed {unit}")
    if lay.live and _systemd_running(user):
        _run(["systemctl", *scope, "daemon-reload"], report)
    report.next_steps.append(f"settings in {lay.config_dir} and data in {lay.state_dir} are kept; "
                             "delete them yourself if you want them gone")
    return report
