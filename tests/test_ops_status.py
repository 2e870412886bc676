"""`sitmon status`, `sitmon doctor` and `/metrics` against a real running daemon."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support import free_port

SITMON = Path(sys.executable).parent / "sitmon"


def _sitmon(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SITMON), *args], capture_output=True, text=True, timeout=120, check=False, env=env)


def _config(tmp_path: Path, broker: tuple[str, int], port: int, extra: str = "") -> Path:
    config = tmp_path / "sitmon.toml"
    config.write_text(f"""
[wearer]
id = "ops{os.getpid()}"
[mqtt]
host = "{broker[0]}"
port = {broker[1]}
base_topic = "sitmon-test-ops{os.getpid()}"
[store]
path = "{tmp_path / 'state' / 'sitmon.sqlite3'}"
[dashboard]
port = {port}
[notify]
desktop = false
{extra}""")
    config.chmod(0o600)
    return config


@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(60)
    yield sock, str(path)
    sock.close()


def test_status_doctor_and_metrics_of_a_running_daemon(tmp_path, broker, notify_socket):
    sock, notify_path = notify_socket
    port = free_port()
    config = _config(tmp_path, broker, port)
    env = {**os.environ, "SITMON_CONFIG": str(config)}
    env.pop("STATE_DIRECTORY", None)

    stopped = _sitmon("status", env=env)
    assert stopped.returncode == 3 and "no status file" in stopped.stdout

    daemon = subprocess.Popen([str(SITMON), "run"], env={**env, "NOTIFY_SOCKET": notify_path},
                              stderr=subprocess.PIPE, text=True)
    try:
        while not sock.recv(4096).startswith(b"READY=1"):
            pass
        status = _sitmon("status", env=env)
        assert status.returncode == 0, status.stdout + status.stderr
        assert f"pid {daemon.pid}" in status.stdout
        assert "sensor thigh (emulated, thigh)" in status.stdout
        assert f"broker {broker[0]}:{broker[1]}" in status.stdout
        assert "outbox 0 waiting" in status.stdout

        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert "sitmon_daemon_running 1" in metrics.text
        assert "# TYPE sitmon_store_write_seconds histogram" in metrics.text

        doctor = _sitmon("doctor", env=env)
        assert doctor.returncode == 0, doctor.stdout
        assert f"[ok  ] daemon: running (pid {daemon.pid})" in doctor.stdout
        assert "[ok  ] broker:" in doctor.stdout and "[ok  ] store:" in doctor.stdout
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0
        daemon.stderr.close()  # type: ignore[union-attr]

    after = _sitmon("status", env=env)
    assert after.returncode == 3
    assert "the daemon stopped" in after.stdout and "(last known)" in after.stdout


def test_doctor_names_each_problem_with_its_fix(tmp_path, broker):
    secret = tmp_path / "mqtt-password"
    secret.write_text("pw\n")
    secret.chmod(0o644)
    closed = free_port()
    config = _config(tmp_path, ("127.0.0.1", closed), free_port(),
                     '[[wearables]]\nname = "thigh"\nkind = "sitmon"\naddress = "AA:BB:CC:DD:EE:FF"\n')
    config.write_text(config.read_text().replace("[store]", f'username = "u"\npassword_file = "{secret}"\n[store]'))
    env = {**os.environ, "SITMON_CONFIG": str(config)}
    doctor = _sitmon("doctor", env=env)
    assert doctor.returncode == 1
    out = doctor.stdout
    assert f"[FAIL] broker: nothing answers on 127.0.0.1:{closed}" in out
    assert f"[WARN] secrets: mqtt.password_file: {secret} can be read by every user" in out
    assert f"fix: `chmod 600 {secret}`" in out
    assert "[WARN] daemon:" in out

    config.write_text(config.read_text() + "\n[tracker]\nprompt_after_minutes = -1\n")
    broken = _sitmon("doctor", env=env)
    assert broken.returncode == 1
    assert "tracker.prompt_after_minutes" in broken.stdout and "fix:" in broken.stdout


def test_a_world_readable_config_with_an_inline_secret_is_warned_about(tmp_path, broker):
    url = "https://ntfy.example/sitmon-topic-k3y"
    config = _config(tmp_path, broker, free_port(), f'push_url = "{url}"\n')
    # The extra lines land in the [notify] table, the last one.
    config.chmod(0o644)
    env = {**os.environ, "SITMON_CONFIG": str(config)}
    check = _sitmon("check-config", env=env)
    assert check.returncode == 0
    assert f"warning: {config} holds secrets (notify.push_url) and every user can read it" in check.stderr
    assert url not in check.stderr
    config.chmod(0o600)
    assert "warning" not in _sitmon("check-config", env=env).stderr
