"""Home Assistant MQTT discovery (pure): the retained configs that make sitmon's sensors appear in HA.

One device per wearer; its entities read the wearer's retained state topic, the prompt events and
the per-wearable topic, and its buttons publish commands. Topic grammar and conventions follow HA's
receiver: `<prefix>/<component>/<node_id>/<object_id>/config`, ids of `[A-Za-z0-9_-]` only, full
(unabbreviated) keys, an `origin` block, and an empty retained payload to remove an entity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.messages import OFFLINE, ONLINE, Message, Topics
from monitor.model import EventType

_ID = re.compile(r"^[A-Za-z0-9_-]+$")

ACTIVITIES = ["sit", "stand", "move", "lie", "unknown"]
POSTURES = ["upright", "slumped", "unknown"]


@dataclass(frozen=True, slots=True)
class Wearer:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Wearable:
    name: str
    kind: str


def node_id(wearer: str) -> str:
    return f"sitmon_{wearer}"


def config_topic(prefix: str, component: str, wearer: str, object_id: str) -> str:
    for part in (wearer, object_id):
        if not _ID.match(part):
            raise ValueError(f"{part!r} cannot be part of a discovery topic (letters, digits, '-' and '_' only)")
    return f"{prefix.strip('/')}/{component}/{node_id(wearer)}/{object_id}/config"


def _device(wearer: Wearer, sw_version: str) -> dict[str, Any]:
    return {"identifiers": [node_id(wearer.id)], "name": f"sitmon {wearer.name}", "manufacturer": "sitmon",
            "model": "Sitting monitor", "sw_version": sw_version}


def _entities(topics: Topics, wearables: Sequence[Wearable]) -> list[tuple[str, str, dict[str, Any]]]:
    """(component, object_id, entity-specific config) for every entity of one wearer."""
    state = topics.state
    minutes = "{{ (value_json.%s / 60) | round(1) }}"
    entities: list[tuple[str, str, dict[str, Any]]] = [
        ("sensor", "activity", {"name": "Activity", "state_topic": state, "device_class": "enum",
                                "options": ACTIVITIES, "value_template": "{{ value_json.activity }}",
                                "icon": "mdi:human-handsdown"}),
        ("sensor", "posture", {"name": "Posture", "state_topic": state, "device_class": "enum",
                               "options": POSTURES, "value_template": "{{ value_json.posture }}",
                               "icon": "mdi:human-male"}),
        # A re-learn may judge the day's seconds again and lower the total (docs/classification.md):
        # `total` with the day's start as its reset, since `total_increasing` takes any fall for a reset.
        ("sensor", "sitting_today", {"name": "Sitting today", "state_topic": state, "device_class": "duration",
                                     "state_class": "total", "unit_of_measurement": "min",
                                     "value_template": minutes % "today.sitting_seconds",
                                     "last_reset_value_template": "{{ value_json.today.day_start }}",
                                     "icon": "mdi:seat-recline-normal"}),
        ("sensor", "current_streak", {"name": "Current sitting streak", "state_topic": state,
                                      "device_class": "duration", "state_class": "measurement",
                                      "unit_of_measurement": "min", "value_template": minutes % "streak_seconds",
                                      "icon": "mdi:timer-sand"}),
        ("sensor", "breaks_today", {"name": "Breaks today", "state_topic": state,
                                    "state_class": "total_increasing", "unit_of_measurement": "breaks",
                                    "value_template": "{{ value_json.today.breaks }}", "icon": "mdi:walk"}),
        # From the retained state, so it survives a Home Assistant restart; details from the event.
        ("sensor", "last_prompt", {"name": "Last move prompt", "state_topic": state,
                                   "device_class": "timestamp",
                                   "value_template": "{{ value_json.last_prompt_at or None }}",
                                   "json_attributes_topic": topics.event(EventType.PROMPT),
                                   "json_attributes_template": "{{ value_json.data | tojson }}",
                                   "icon": "mdi:bell-ring"}),
        ("binary_sensor", "sitting", {"name": "Sitting", "state_topic": state,
                                      "value_template": "{{ 'ON' if value_json.sitting else 'OFF' }}",
                                      "icon": "mdi:seat"}),
        ("button", "snooze", {"name": "Snooze prompts 15 min", "command_topic": topics.command("snooze"),
                              "payload_press": json.dumps({"minutes": 15}), "icon": "mdi:bell-sleep"}),
        ("button", "pause", {"name": "Pause prompts", "command_topic": topics.command("pause"),
                             "payload_press": "{}", "icon": "mdi:pause-circle"}),
        ("button", "resume", {"name": "Resume prompts", "command_topic": topics.command("resume"),
                              "payload_press": "{}", "icon": "mdi:play-circle"}),
    ]
    for wearable in wearables:
        topic = topics.wearable(wearable.name)
        entities += [
            ("sensor", f"{wearable.name}_battery", {
                "name": f"{wearable.name} battery", "state_topic": topic, "device_class": "battery",
                "state_class": "measurement", "unit_of_measurement": "%", "entity_category": "diagnostic",
                "value_template": "{{ value_json.battery_percent if value_json.battery_percent is not none "
                                  "else 'unknown' }}"}),
            ("binary_sensor", f"{wearable.name}_connected", {
                "name": f"{wearable.name} connected", "state_topic": topic, "device_class": "connectivity",
                "entity_category": "diagnostic",
                "value_template": "{{ 'ON' if value_json.connected else 'OFF' }}"}),
        ]
    return entities


def discovery_messages(prefix: str, topics: Topics, wearer: Wearer, wearables: Sequence[Wearable],
                       sw_version: str) -> list[Message]:
    """Retained QoS 1 config messages for every entity of `wearer`."""
    device = _device(wearer, sw_version)
    origin = {"name": "sitmon", "sw_version": sw_version}
    messages = []
    for component, object_id, specific in _entities(topics, wearables):
        config = {
            **specific,
            "unique_id": f"{node_id(wearer.id)}_{object_id}",
            "object_id": f"{node_id(wearer.id)}_{object_id}",
            "availability_topic": topics.availability,
            "payload_available": ONLINE,
            "payload_not_available": OFFLINE,
            "device": device,
            "origin": origin,
        }
        payload = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
        messages.append(Message(config_topic(prefix, component, wearer.id, object_id), payload, 1, True))
    return messages


def removal_message(topic: str) -> Message:
    """An empty retained config: Home Assistant removes the entity, the broker forgets the config."""
    return Message(topic, b"", 1, True)
