"""Validate MQTT payloads against docs/schemas: which schema a topic's payload must satisfy."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS / name).read_text()))


def schema_for(topic: str) -> str | None:
    parts = topic.split("/")
    if parts[-1] == "config":
        return "discovery.json"
    kinds = {"availability": "availability.json", "state": "state.json", "event": "event.json",
             "response": "command-response.json", "wearable": "wearable.json", "samples": "samples.json",
             "cmd": "command.json"}
    for depth in (-1, -2):
        if len(parts) >= -depth and parts[depth] in kinds:
            return kinds[parts[depth]]
    return None


def check(topic: str, payload: bytes) -> None:
    """Raise if `payload` on `topic` breaks its schema; an empty retained payload (a removal) is fine."""
    name = schema_for(topic)
    assert name is not None, f"no schema for topic {topic}"
    if not payload:
        assert name in ("discovery.json", "state.json", "availability.json", "wearable.json"), topic
        return
    value = payload.decode() if name == "availability.json" else json.loads(payload)
    errors = sorted(validator(name).iter_errors(value), key=str)
    assert not errors, f"{topic}: {errors[0].message} at {list(errors[0].absolute_path)}"
