"""Settings: TOML file, then environment overrides, validated in one go.

Every key is documented in `config/default.toml`; a test keeps that file and this schema in step.
Environment variables override the file: `SITMON_<SECTION>__<KEY>` (double underscore between
section and key), e.g. `SITMON_MQTT__HOST=broker.lan`. Every problem is reported at once, each
with the dotted key it belongs to.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from monitor.errors import ConfigError
from monitor.fleet.settings import FleetSettings, RoleSettings
from monitor.model import Placement
from monitor.timewindows import parse_day, parse_window

ENV_PREFIX = "SITMON_"
CONFIG_ENV = "SITMON_CONFIG"
DEFAULT_PATHS = (Path("/etc/sitmon/sitmon.toml"),)
_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WearerSettings(_Section):
    id: Annotated[str, Field(pattern=_ID_PATTERN)] = "me"
    name: str = "Me"
    timezone: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from exc
        return value


# "mqtt": samples arrive over MQTT (phone apps, ESPHome), see docs/mqtt.md.
WearableKind = Literal["emulated", "polar-h10", "polar-verity", "thingy52", "witmotion", "metawear", "sitmon",
                       "mqtt"]


class WearableSettings(_Section):
    name: Annotated[str, Field(pattern=_ID_PATTERN)] = "thigh"
    kind: WearableKind = "emulated"
    placement: Placement = Placement.THIGH
    address: str = ""
    rate_hz: Annotated[float, Field(gt=0, le=400)] = 50.0


class TrackerSettings(_Section):
    prompt_after_minutes: Annotated[float, Field(gt=0, le=480)] = 30.0
    repeat_minutes: Annotated[float, Field(gt=0, le=480)] = 10.0
    break_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    answer_minutes: Annotated[float, Field(gt=0, le=120)] = 5.0
    max_gap_minutes: Annotated[float, Field(gt=0, le=1440)] = 30.0


def _windows(values: list[str]) -> list[str]:
    for value in values:
        parse_window(value)
    return values


class ScheduleSettings(_Section):
    working_hours: list[str] = []
    quiet_hours: list[str] = []
    days_off: list[str] = []
    dnd_topic: str = ""
    calendar_file: Path | None = None
    calendar_refresh_minutes: Annotated[float, Field(gt=0, le=1440)] = 5.0

    @field_validator("working_hours", "quiet_hours")
    @classmethod
    def _valid_windows(cls, value: list[str]) -> list[str]:
        return _windows(value)

    @field_validator("days_off")
    @classmethod
    def _valid_days(cls, value: list[str]) -> list[str]:
        for day in value:
            parse_day(day)
        return value


class SlumpSettings(_Section):
    hold_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    interval_minutes: Annotated[float, Field(ge=0, le=480)] = 10.0


class MqttSettings(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 1883
    base_topic: Annotated[str, Field(pattern=r"^[^#+]+$")] = "sitmon"
    client_id: str = ""
    username: str = ""
    password_file: Path | None = None
    # Better from the environment (SITMON_MQTT__PASSWORD) or password_file than written in a file.
    password: SecretStr = SecretStr("")
    keepalive: Annotated[int, Field(ge=5, le=3600)] = 60
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    reconnect_min_seconds: Annotated[int, Field(ge=1, le=3600)] = 1
    reconnect_max_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    outbox_limit: Annotated[int, Field(ge=1, le=10_000_000)] = 10_000
    discovery: bool = True
    discovery_prefix: Annotated[str, Field(pattern=r"^[^#+/][^#+]*$")] = "homeassistant"

    @model_validator(mode="after")
    def _consistent(self) -> MqttSettings:
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise ValueError("reconnect_max_seconds must not be below reconnect_min_seconds")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together (a client certificate needs its key)")
        if (self.ca_file or self.cert_file) and not self.tls:
            raise ValueError("ca_file, cert_file and key_file need tls = true")
        return self


class StoreSettings(_Section):
    path: Path = Path("~/.local/state/sitmon/sitmon.sqlite3")
    url: str = ""
    keep_days: Annotated[float, Field(ge=0)] = 0.0
    raw_keep_days: Annotated[float, Field(ge=0)] = 30.0

    def sqlalchemy_url(self) -> str:
        if self.url:
            return self.url
        return f"sqlite:///{self.path.expanduser()}"


class DashboardSettings(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8321
    # Required when `host` is not a loopback address: the dashboard refuses to start without it.
    token_file: Path | None = None
    sitting_goal_hours: Annotated[float, Field(gt=0, le=24)] = 6.0
    # "fleet": every wearer logs in with a token of their own and sees only their data; admins see the
    # fleet's health and anonymous aggregates (docs/fleet.md). "single": one wearer, as configured.
    mode: Literal["single", "fleet"] = "single"
    # Fleet mode: aggregates over fewer wearers than this are not shown (k-anonymity); 5 at the least.
    min_wearers: Annotated[int, Field(ge=5, le=10_000)] = 5


Channel = Literal["desktop", "buzz", "push"]


class NotifySettings(_Section):
    desktop: bool = True
    buzz: bool = True
    push_url: str = ""
    push_url_file: Path | None = None
    push_format: Literal["ntfy", "json"] = "ntfy"
    escalation: Annotated[list[list[Channel]], Field(min_length=1)] = [
        ["desktop"], ["desktop", "buzz"], ["desktop", "buzz", "push"]]

    @field_validator("push_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(_Section):
    wearer: WearerSettings = WearerSettings()
    wearables: Annotated[list[WearableSettings], Field(min_length=1)] = [WearableSettings()]
    tracker: TrackerSettings = TrackerSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    slump: SlumpSettings = SlumpSettings()
    mqtt: MqttSettings = MqttSettings()
    store: StoreSettings = StoreSettings()
    dashboard: DashboardSettings = DashboardSettings()
    notify: NotifySettings = NotifySettings()
    log: LogSettings = LogSettings()
    role: RoleSettings = RoleSettings()
    fleet: FleetSettings = FleetSettings()

    @field_validator("wearables")
    @classmethod
    def _unique_names(cls, value: list[WearableSettings]) -> list[WearableSettings]:
        names = [w.name for w in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"wearable names must be unique; repeated: {', '.join(duplicates)}")
        return value

    def tz(self) -> ZoneInfo | None:
        return ZoneInfo(self.wearer.timezone) if self.wearer.timezone else None


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    overrides: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        match = re.fullmatch(r"([A-Z]+)__([A-Z_]+)", name[len(ENV_PREFIX) :])
        if match is None:
            problems.append(f"{name}: not a setting (expected SITMON_<SECTION>__<KEY>)")
            continue
        overrides.setdefault(match[1].lower(), {})[match[2].lower()] = value
    return overrides, problems


def _merge(base: dict[str, Any], overrides: dict[str, dict[str, str]]) -> dict[str, Any]:
    merged = dict(base)
    for section, values in overrides.items():
        current = merged.get(section)
        merged[section] = {**current, **values} if isinstance(current, dict) else values
    return merged


def _describe(error: Mapping[str, Any]) -> str:
    key = ""
    for part in error["loc"]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    key = key or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown setting"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] not in ("missing",) and "input" in error and not isinstance(error["input"], dict):
        return f"{key}: {message} (got {error['input']!r})"
    return f"{key}: {message}"


def parse_settings(data: Mapping[str, Any], environ: Mapping[str, str] | None = None,
                   source: str = "configuration") -> Settings:
    """Validate a settings mapping plus environment overrides; raise ConfigError naming each bad key."""
    overrides, problems = _env_overrides(os.environ if environ is None else environ)
    try:
        settings = Settings.model_validate(_merge(dict(data), overrides))
    except ValidationError as exc:
        problems.extend(_describe(e) for e in exc.errors())
        raise ConfigError(problems, source) from None
    if problems:
        raise ConfigError(problems, source)
    return settings


def find_config(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if environ is None else environ
    if explicit is not None:
        return explicit
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    user = Path(env.get("XDG_CONFIG_HOME", "~/.config")).expanduser() / "sitmon" / "sitmon.toml"
    for candidate in (user, *DEFAULT_PATHS):
        if candidate.is_file():
            return candidate
    return None


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load a TOML file (or only defaults when path is None) and apply environment overrides."""
    data: dict[str, Any] = {}
    source = "configuration from the environment"
    if path is not None:
        source = f"configuration file {path}"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError([f"{path}: file not found"], source) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([f"{path}: cannot be read ({exc})"], source) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{path}: not valid TOML ({exc})"], source) from None
    return parse_settings(data, environ, source)
