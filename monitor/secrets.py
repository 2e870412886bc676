"""Secrets in the settings: where they are read from, hidden from logs, and checked for exposure.

A setting is a secret when its key names one (password, token, secret, webhook). A `*_file` secret
names a file holding the value; a relative name is looked up in `$CREDENTIALS_DIRECTORY`, where
systemd's `LoadCredential=` puts it, so the units can hand secrets over without them touching a
config file.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from monitor.config import Settings
from monitor.errors import ConfigError

SECRET_KEY = re.compile(r"(password|passwd|token|secret|webhook|api_key|push_url)", re.IGNORECASE)


def resolve_secret_file(path: Path, environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    path = path.expanduser()
    if not path.is_absolute() and env.get("CREDENTIALS_DIRECTORY"):
        return Path(env["CREDENTIALS_DIRECTORY"]) / path
    return path


def read_secret_file(key: str, path: Path, environ: Mapping[str, str] | None = None) -> str:
    """The stripped content of a secret file; ConfigError naming the setting when it cannot be read."""
    resolved = resolve_secret_file(path, environ)
    try:
        return resolved.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError([f"{key}: secret file {resolved} does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{key}: secret file {resolved} cannot be read ({exc})"]) from None


def _walk(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _walk(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, f"{prefix}[{index}]")
    else:
        yield prefix, data


def secret_settings(settings: Settings) -> list[tuple[str, Any]]:
    """(dotted key, value) of every non-empty secret setting, inline or `*_file`."""
    found = []
    for key, value in _walk(settings.model_dump()):
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        if SECRET_KEY.search(key.rsplit(".", 1)[-1]) and plain not in (None, "", b""):
            found.append((key, value))
    return found


def secret_values(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret value the settings lead to, so logging can hide them. Unreadable files are skipped:
    whoever needs the secret reports that problem."""
    values: list[str] = []
    for key, value in secret_settings(settings):
        if key.endswith("_file"):
            try:
                values.append(read_secret_file(key, Path(value), environ))
            except ConfigError:
                continue
        else:
            values.append(value.get_secret_value() if isinstance(value, SecretStr) else str(value))
    return values


def _world_readable(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def exposure_warnings(settings: Settings, config_path: Path | None,
                      environ: Mapping[str, str] | None = None) -> list[str]:
    """One sentence per secret that other users of this machine can read, with the fix."""
    warnings: list[str] = []
    inline = [key for key, _ in secret_settings(settings) if not key.endswith("_file")]
    if config_path is not None and inline and _world_readable(config_path):
        warnings.append(f"{config_path} holds secrets ({', '.join(inline)}) and every user can read it: "
                        f"run `chmod o-rwx {config_path}`, or move them to files (`*_file` settings)")
    for key, value in secret_settings(settings):
        if key.endswith("_file"):
            path = resolve_secret_file(Path(value), environ)
            if _world_readable(path):
                warnings.append(f"{key}: {path} can be read by every user: run `chmod 600 {path}`")
    return warnings


def warn_exposed(settings: Settings, config_path: Path | None) -> Settings:
    """Print a warning per exposed secret on stderr (before logging is set up); return the settings."""
    for warning in exposure_warnings(settings, config_path):
        sys.stderr.write(f"sitmon: warning: {warning}\n")
    return settings
