"""sd_notify over a socket of the test's own: READY, the watchdog pings from the loop, STOPPING."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import free_port

from monitor import systemd_notify as module


@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    yield sock, str(path)
    sock.close()


def _drain(sock: socket.socket) -> list[bytes]:
    sock.setblocking(False)
    received = []
    while True:
        try:
            received.append(sock.recv(4096))
        except BlockingIOError:
            return received


def test_notifier_sends_each_state_as_one_datagram(notify_socket):
    sock, path = notify_socket
    notifier = module.SystemdNotifier(environ={"NOTIFY_SOCKET": path})
    assert notifier.ready("started")
    assert notifier.watchdog()
    assert notifier.stopping()
    sock.settimeout(5)
    assert [sock.recv(4096) for _ in range(3)] == [b"READY=1\nSTATUS=started", b"WATCHDOG=1", b"STOPPING=1"]


def test_notifier_without_a_socket_does_nothing():
    notifier = module.SystemdNotifier(environ={})
    assert not notifier.enabled
    assert not notifier.ready()


def test_abstract_socket_names_are_understood():
    name = f"sitmon-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert module.SystemdNotifier(f"@{name}").watchdog()
        sock.settimeout(5)
        assert sock.recv(100) == b"WATCHDOG=1"


def test_watchdog_interval_is_read_only_for_this_process():
    assert module.watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert module.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 30.0
    assert module.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert module.watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
    assert module.watchdog_interval({}) is None


async def test_a_stalled_event_loop_stops_the_watchdog_pings(notify_socket):
    sock, path = notify_socket
    loop = asyncio.get_running_loop()
    pinger = asyncio.create_task(module.ping_watchdog(module.SystemdNotifier(path), interval=0.02))
    sock.setblocking(False)
    for _ in range(3):
        assert await asyncio.wait_for(loop.sock_recv(sock, 100), 10) == b"WATCHDOG=1"

    # The loop hangs: a blocking call on the loop's thread, as a livelocked daemon would make.
    # Only the loop sends pings, so nothing can arrive between the drain and the check.
    _drain(sock)
    time.sleep(0.3)  # the hang under test, not a wait: it is 15 ping intervals long
    assert _drain(sock) == []

    # Once the loop turns again, so do the pings.
    assert await asyncio.wait_for(loop.sock_recv(sock, 100), 10) == b"WATCHDOG=1"
    pinger.cancel()


def test_the_daemon_reports_ready_pings_and_says_stopping(tmp_path, notify_socket, broker):
    sock, path = notify_socket
    config = tmp_path / "sitmon.toml"
    config.write_text(f"""
[mqtt]
host = "{broker[0]}"
port = {broker[1]}
base_topic = "sitmon-test-notify{os.getpid()}"
[store]
path = "{tmp_path / 'db.sqlite3'}"
[dashboard]
port = {free_port()}
[notify]
desktop = false
""")
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000", "SITMON_CONFIG": str(config)}
    env.pop("WATCHDOG_PID", None)
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run"], env=env, stderr=subprocess.PIPE,
                            text=True, cwd=Path(__file__).parent.parent)
    try:
        sock.settimeout(60)
        messages = [sock.recv(4096)]
        while not any(m.startswith(b"READY=1") for m in messages):
            messages.append(sock.recv(4096))
        # Pings keep coming after READY.
        assert sock.recv(4096) == b"WATCHDOG=1"
        assert sock.recv(4096) == b"WATCHDOG=1"
        proc.send_signal(signal.SIGTERM)
        while messages[-1] != b"STOPPING=1":
            messages.append(sock.recv(4096))
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]


def test_the_dashboard_alone_reports_ready_and_serves_the_daemons_metrics_file(tmp_path, notify_socket):
    import httpx

    sock, path = notify_socket
    port = free_port()
    state = tmp_path / "state"
    state.mkdir()
    (state / "metrics.prom").write_text('# TYPE sitmon_samples_total counter\n'
                                        'sitmon_samples_total{sensor="thigh"} 42\n')
    config = tmp_path / "sitmon.toml"
    config.write_text(f'[store]\npath = "{state / "db.sqlite3"}"\n[dashboard]\nport = {port}\n')
    env = {**os.environ, "NOTIFY_SOCKET": path, "SITMON_CONFIG": str(config)}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "dashboard"], env=env, stderr=subprocess.PIPE,
                            text=True, cwd=Path(__file__).parent.parent)
    try:
        sock.settimeout(60)
        assert sock.recv(4096).startswith(b"READY=1")
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert 'sitmon_samples_total{sensor="thigh"} 42' in metrics.text
        assert "sitmon_metrics_file_age_seconds" in metrics.text
        proc.send_signal(signal.SIGTERM)
        assert sock.recv(4096) == b"STOPPING=1"
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
