"""`sitmon install-service` into a temporary root: units, user, directories, settings, enablement."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SITMON = Path(sys.executable).parent / "sitmon"


def _sitmon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SITMON), *args], capture_output=True, text=True, timeout=120, check=False)


def test_system_install_into_a_root_then_uninstall(tmp_path):
    root = tmp_path / "root"
    result = _sitmon("install-service", f"--root={root}", f"--exe={SITMON}")
    assert result.returncode == 0, result.stderr

    units = root / "etc/systemd/system"
    daemon = (units / "sitmon.service").read_text()
    assert f"ExecStart={SITMON} run --config /etc/sitmon/sitmon.toml" in daemon
    assert f"ExecStart={SITMON} dashboard" in (units / "sitmon-dashboard.service").read_text()
    for name in ("sitmon.service", "sitmon-dashboard.service"):
        link = units / "multi-user.target.wants" / name
        assert link.is_symlink() and link.resolve() == (units / name).resolve()
        assert not Path(link.readlink()).is_absolute()
    passwd = (root / "etc/passwd").read_text()
    assert any(line.startswith("sitmon:") and line.endswith(":/var/lib/sitmon:/usr/sbin/nologin")
               for line in passwd.splitlines())
    config = root / "etc/sitmon/sitmon.toml"
    assert 'path = "/var/lib/sitmon/sitmon.sqlite3"' in config.read_text()
    assert config.stat().st_mode & 0o777 == 0o640
    assert (root / "var/lib/sitmon").stat().st_mode & 0o777 == 0o750

    # The starter settings are valid as written.
    check = _sitmon("check-config", f"--config={config}")
    assert check.returncode == 0, check.stderr

    # A second install keeps the settings the admin has edited.
    config.write_text(config.read_text() + "\n[tracker]\nprompt_after_minutes = 45.0\n")
    assert _sitmon("install-service", f"--root={root}", f"--exe={SITMON}").returncode == 0
    assert "prompt_after_minutes = 45.0" in config.read_text()

    result = _sitmon("uninstall-service", f"--root={root}")
    assert result.returncode == 0, result.stderr
    assert not (units / "sitmon.service").exists()
    assert not list(units.glob("*.wants/sitmon*"))
    assert config.exists() and "kept" in result.stdout


def test_user_install_into_a_home_enables_only_the_daemon(tmp_path):
    home = tmp_path / "home"
    result = _sitmon("install-service", "--user", f"--root={home}", f"--exe={SITMON}")
    assert result.returncode == 0, result.stderr
    units = home / ".config/systemd/user"
    assert (units / "default.target.wants/sitmon.service").is_symlink()
    assert not (units / "default.target.wants/sitmon-dashboard.service").exists()
    assert (units / "sitmon-dashboard.service").exists()
    config = home / ".config/sitmon/sitmon.toml"
    assert config.stat().st_mode & 0o777 == 0o600
    assert f'path = "{home}/.local/state/sitmon/sitmon.sqlite3"' in config.read_text()

    assert _sitmon("uninstall-service", "--user", f"--root={home}").returncode == 0
    assert not list(units.glob("**/sitmon*.service"))


def test_system_install_without_root_privileges_is_refused_clearly(tmp_path):
    result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(SITMON),
                             "install-service", f"--exe={SITMON}"], capture_output=True, text=True, timeout=120,
                            check=False, cwd=tmp_path, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert "needs root" in result.stderr
