"""Logs: one line per event on stderr, as logfmt (`key=value`), with secrets redacted.

Under systemd, stderr goes to the journal. journald stamps each line with the time and splits on
newlines, so there the time is left out, the level is given as a `<N>` syslog prefix (journald turns
it into the entry's priority), and tracebacks are folded into the one line as an escaped `exc=` field.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import IO, Any

REDACTED = "[redacted]"
NOISY_LOGGERS = ("amqtt", "transitions", "apscheduler", "uvicorn.access", "bleak", "bumble")
_SYSLOG_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}
# Attributes every LogRecord has; anything else was passed with `extra=` and becomes a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}

# Shapes that carry secrets whatever their value: credentials in URLs, key=value and JSON pairs
# whose key names a secret, and HTTP authorisation headers.
_PATTERNS = (
    re.compile(r"(?P<keep>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)", re.IGNORECASE),
    re.compile(r"(?P<keep>\b(?:password|passwd|secret|token|api[_-]?key|auth)[\"']?\s*[=:]\s*[\"']?)"
               r"[^\s\"'&,;}]+", re.IGNORECASE),
    re.compile(r"(?P<keep>\bauthorization:\s*(?:bearer|basic)\s+)\S+", re.IGNORECASE),
    re.compile(r"(?P<keep>[?&](?:token|key|sig|signature|access_token)=)[^&\s\"']+", re.IGNORECASE),
)
# Webhook URLs carry their secret in the path (Slack, Discord, ntfy topics): hide the whole path.
_WEBHOOK = re.compile(r"(?P<keep>https?://(?:hooks\.slack\.com|discord(?:app)?\.com/api/webhooks|"
                      r"[^/\s]*ntfy[^/\s]*)/)\S+", re.IGNORECASE)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Make every later log line hide `value` (a password, a token, a webhook URL)."""
    if value and len(value.strip()) >= 4:  # hiding "a" or "" would shred every line
        with _secrets_lock:
            _secrets.add(value.strip())


def redact(text: str) -> str:
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, REDACTED)
    for pattern in (*_PATTERNS, _WEBHOOK):
        text = pattern.sub(lambda m: m.group("keep") + REDACTED, text)
    return text


def _quote(value: object) -> str:
    text = str(value)
    if text and not re.search(r'[\s"=\\]', text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


class LogfmtFormatter(logging.Formatter):
    """`ts=... level=info logger=monitor.daemon msg="..." key=value`, always one line, secrets hidden."""

    def __init__(self, journald: bool = False) -> None:
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        fields: list[tuple[str, object]] = []
        if not self.journald:
            stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            fields.append(("ts", stamp.replace("+00:00", "Z")))
        fields += [("level", record.levelname.lower()), ("logger", record.name), ("msg", record.getMessage())]
        fields += [(k, v) for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")]
        if record.exc_info:
            fields.append(("exc", self.formatException(record.exc_info)))
        elif record.exc_text:
            fields.append(("exc", record.exc_text))
        line = " ".join(f"{k}={_quote(redact(str(v)))}" for k, v in fields)
        if self.journald:
            line = f"<{_SYSLOG_PRIORITY.get(record.levelno, 6)}>{line}"
        return line


def _redacting_factory(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """Redact the message when the record is made, so every handler (not only ours) gets it clean."""
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it for logging's own error report
            return record
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return record
    factory._sitmon = True  # type: ignore[attr-defined]
    return factory


def stderr_is_journal(stream: IO[str], environ: Mapping[str, str]) -> bool:
    """True when `stream` is the journal stream systemd handed us (JOURNAL_STREAM = device:inode)."""
    expected = environ.get("JOURNAL_STREAM", "")
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{info.st_dev}:{info.st_ino}"


def configure(level: str, stream: IO[str] | None = None, secrets: Iterable[str | None] = (),
              environ: Mapping[str, str] | None = None) -> logging.Handler:
    """Send every log record to `stream` (stderr) as one logfmt line; return the handler installed."""
    stream = stream or sys.stderr
    for secret in secrets:
        register_secret(secret)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LogfmtFormatter(journald=stderr_is_journal(stream, os.environ if environ is None
                                                                      else environ)))
    if not getattr(logging.getLogRecordFactory(), "_sitmon", False):
        logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_sitmon", False)]:
        root.removeHandler(old)
    handler._sitmon = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler
