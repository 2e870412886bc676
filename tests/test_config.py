from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from monitor.config import Settings, load_settings, parse_settings
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def test_defaults_are_valid_without_a_file():
    settings = load_settings(None, environ={})
    assert settings.tracker.prompt_after_minutes == 30
    assert settings.dashboard.host == "127.0.0.1"


def test_default_toml_documents_every_setting_with_its_default():
    data = tomllib.loads((REPO / "config" / "default.toml").read_text())
    assert parse_settings(data, environ={}) == Settings()
    for section, model in Settings.model_fields.items():
        documented = data[section][0] if isinstance(data[section], list) else data[section]
        annotation = model.annotation
        inner = annotation.__args__[0] if hasattr(annotation, "__args__") else annotation
        for key in inner.model_fields:  # type: ignore[union-attr]
            assert key in documented or f"# {key} =" in (REPO / "config" / "default.toml").read_text(), (
                f"{section}.{key} is not documented in config/default.toml")


def test_example_thigh_config_is_valid():
    settings = load_settings(REPO / "config" / "thigh-sensor.example.toml", environ={})
    assert settings.wearables[0].placement == "thigh"


def test_invalid_values_are_all_reported_with_their_keys(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[mqtt]\nport = 70000\n[tracker]\nbreak_secs = 3\n[[wearables]]\nname = "a b"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    problems = err.value.problems
    assert any(p.startswith("mqtt.port:") and "70000" in p for p in problems)
    assert "tracker.break_secs: unknown setting" in problems
    assert any(p.startswith("wearables[0].name:") for p in problems)


def test_environment_overrides_the_file_and_is_validated(tmp_path):
    settings = load_settings(None, environ={"SITMON_TRACKER__PROMPT_AFTER_MINUTES": "45"})
    assert settings.tracker.prompt_after_minutes == 45
    with pytest.raises(ConfigError, match=r"dashboard\.port"):
        load_settings(None, environ={"SITMON_DASHBOARD__PORT": "not-a-port"})
    with pytest.raises(ConfigError, match="SITMON_BOGUS"):
        load_settings(None, environ={"SITMON_BOGUS": "1"})


def test_unknown_time_zone_is_named():
    with pytest.raises(ConfigError, match=r"wearer\.timezone: unknown time zone 'Mars/Olympus'"):
        parse_settings({"wearer": {"timezone": "Mars/Olympus"}}, environ={})


def test_duplicate_wearable_names_are_refused():
    with pytest.raises(ConfigError, match="repeated: a"):
        parse_settings({"wearables": [{"name": "a"}, {"name": "a"}]}, environ={})


def test_broken_toml_and_missing_file_are_config_errors(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[mqtt\nport=1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path, environ={})
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_cli_exits_with_code_2_and_names_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[tracker]\nprompt_after_minutes = -5\n")
    result = subprocess.run([sys.executable, "-m", "monitor", "run", "--config", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "tracker.prompt_after_minutes" in result.stderr
    assert "greater than 0" in result.stderr
