"""Log lines: one per record, logfmt, journald priorities, and secrets never written out."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import free_port

from monitor import logging_setup as module


@pytest.fixture
def logged():
    stream = io.StringIO()
    handler = module.configure("DEBUG", stream=stream, environ={})
    yield stream
    logging.getLogger().removeHandler(handler)


def test_a_record_with_extra_fields_and_a_traceback_is_one_logfmt_line(logged):
    log = logging.getLogger("sitmon.test")
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        log.exception("step failed for %s", "thigh", extra={"wearer": "me", "seconds": 3})

    lines = logged.getvalue().splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("ts=")
    assert 'level=error logger=sitmon.test msg="step failed for thigh" wearer=me seconds=3' in line
    assert 'exc="Traceback (most recent call last):\\n' in line
    assert "RuntimeError: boom\\nsecond line" in line


def test_registered_secrets_and_secret_shapes_are_redacted(logged):
    module.register_secret("hunter2-very-secret")
    log = logging.getLogger("sitmon.test")
    log.warning("connecting with %s", "hunter2-very-secret")
    log.warning("broker mqtt://alice:s3cr3tpass@broker.lan:1883 refused")
    log.warning("webhook https://hooks.slack.com/services/T000/B000/XXXXSECRET failed")
    log.warning('config {"token": "abcd1234efgh", "password=pw12345"}')
    log.warning("GET /api?token=tok98765&day=today")
    log.warning("header Authorization: Bearer eyJhbGciOi.secret")

    text = logged.getvalue()
    for secret in ("hunter2-very-secret", "s3cr3tpass", "XXXXSECRET", "abcd1234efgh", "pw12345",
                   "tok98765", "eyJhbGciOi"):
        assert secret not in text
    assert "mqtt://alice:[redacted]@broker.lan:1883" in text
    assert "day=today" in text
    assert len(text.splitlines()) == 6


def test_under_journald_lines_carry_a_syslog_priority_and_no_timestamp(tmp_path):
    path = tmp_path / "journal"
    with path.open("w") as stream:
        info = os.fstat(stream.fileno())
        handler = module.configure("INFO", stream=stream, environ={"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"})
        try:
            logging.getLogger("sitmon.test").warning("disk full")
            logging.getLogger("sitmon.test").info("recovered")
        finally:
            logging.getLogger().removeHandler(handler)
    assert path.read_text().splitlines() == [
        '<4>level=warning logger=sitmon.test msg="disk full"',
        "<6>level=info logger=sitmon.test msg=recovered",
    ]


def test_a_running_daemon_never_logs_the_mqtt_password(tmp_path, broker):
    secret = "pa55-w0rd-never-logged"
    password = tmp_path / "mqtt-password"
    password.write_text(secret + "\n")
    password.chmod(0o600)
    config = tmp_path / "sitmon.toml"
    config.write_text(f"""
[mqtt]
host = "{broker[0]}"
port = {broker[1]}
base_topic = "sitmon-test-log{os.getpid()}"
username = "sitmon"
password_file = "{password}"
[store]
path = "{tmp_path / 'db.sqlite3'}"
[dashboard]
port = {free_port()}
[notify]
desktop = false
[log]
level = "DEBUG"
""")
    env = {**os.environ, "SITMON_CONFIG": str(config)}
    proc = subprocess.run(
        [sys.executable, "-c",
         "import logging, sys\n"
         "from monitor.cli import main\n"
         "sys.argv = ['sitmon', 'run']\n"
         "import monitor.service as s\n"
         "orig = s.serve\n"
         "async def short(settings, clock, sources, options):\n"
         "    import asyncio\n"
         "    options.stop = asyncio.Event()\n"
         "    loop = asyncio.get_running_loop()\n"
         "    probe = logging.getLogger('probe')\n"
         "    loop.call_later(0.5, lambda: probe.debug('settings %s', settings.model_dump()))\n"
         f"    loop.call_later(0.5, lambda: probe.error('leak attempt: {secret}'))\n"
         "    loop.call_later(1.5, options.stop.set)\n"
         "    return await orig(settings, clock, sources, options)\n"
         "s.serve = short\n"
         "main()\n"],
        capture_output=True, text=True, timeout=60, env=env, check=False, cwd=Path(__file__).parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert "leak attempt: [redacted]" in proc.stderr
    assert secret not in proc.stderr + proc.stdout
