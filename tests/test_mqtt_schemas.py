"""The MQTT payload schemas: valid themselves, met by what sitmon publishes, and by the examples in
docs/mqtt.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from mqtt_schemas import SCHEMAS, check, validator

from monitor.discovery import Wearable, Wearer, discovery_messages
from monitor.messages import (
    Topics,
    availability_message,
    command_response_message,
    command_response_payload,
    event_message,
    state_message,
    state_payload,
    wearable_message,
    wearable_payload,
)
from monitor.model import EventType, Placement
from monitor.pipeline import Pipeline
from monitor.prompts import PromptRules
from monitor.scripted_day import DEMO_DAY, ThighMotion
from monitor.summary import day_totals
from monitor.tracker import TrackerRules

T0 = 1_795_597_200.0
DOC = Path(__file__).resolve().parent.parent / "docs" / "mqtt.md"
TOPICS = Topics("sitmon", "me")


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMAS.glob("*.json")))
def test_every_schema_is_a_valid_draft_2020_12_schema(name):
    Draft202012Validator.check_schema(json.loads((SCHEMAS / name).read_text()))


def doc_examples() -> list[tuple[str, str]]:
    return re.findall(r"<!-- schema: ([\w.-]+) -->\n```json\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_document_shows_an_example_for_every_json_payload():
    shown = {name for name, _ in doc_examples()}
    assert shown == {p.name for p in SCHEMAS.glob("*.json")} - {"availability.json", "discovery.json"}


@pytest.mark.parametrize(("name", "example"), doc_examples())
def test_every_example_in_the_document_meets_its_schema(name, example):
    errors = list(validator(name).iter_errors(json.loads(example)))
    assert not errors, errors[0].message


def replayed_day() -> tuple[Pipeline, list]:
    pipeline = Pipeline("me", Placement.THIGH, TrackerRules(), PromptRules())
    motion = ThighMotion(DEMO_DAY, start=T0)
    events = []
    for t in range(int(T0), int(T0) + 100 * 60, 10):
        events += pipeline.push(motion.samples(t, t + 10)).events
    now = T0 + 100 * 60
    for extra in (pipeline.prompter.snooze(now, 20), pipeline.prompter.pause(now, now + 3600),
                  pipeline.prompter.resume(now), pipeline.prompter.pause(now, None)):
        events += extra
    return pipeline, events


def test_every_event_of_a_replayed_day_meets_the_event_schema():
    _, events = replayed_day()
    assert {EventType.SITTING_STARTED, EventType.BREAK_TAKEN, EventType.PROMPT, EventType.SNOOZED,
            EventType.PAUSED, EventType.RESUMED} <= {e.type for e in events}
    for event in events:
        message = event_message(TOPICS, event, None)
        check(message.topic, message.payload)


def test_state_meets_the_state_schema_with_and_without_a_streak():
    pipeline, events = replayed_day()
    snap = pipeline.tracker.snapshot
    totals = day_totals([], events, T0 - 3600, T0 + 86_400)
    for next_prompt in (None, T0 + 7200):
        message = state_message(TOPICS, state_payload("me", T0 + 6000, snap, totals, next_prompt, None))
        check(message.topic, message.payload)
    empty = Pipeline("me", Placement.THIGH, TrackerRules()).tracker.snapshot
    message = state_message(TOPICS, state_payload("me", T0, empty, totals, None, None))
    check(message.topic, message.payload)


def test_availability_responses_and_wearable_status_meet_their_schemas():
    for online in (True, False):
        message = availability_message(TOPICS, online)
        check(message.topic, message.payload)
    for ok, request_id in ((True, "abc"), (False, None)):
        message = command_response_message(TOPICS, command_response_payload("snooze", ok, "x", T0, None, request_id))
        check(message.topic, message.payload)
    for battery in (87, None):
        message = wearable_message(TOPICS, wearable_payload("thigh", "sitmon", True, battery, T0, None))
        check(message.topic, message.payload)


def test_every_discovery_config_meets_the_discovery_schema():
    for message in discovery_messages("homeassistant", TOPICS, Wearer("me", "Me"),
                                      [Wearable("thigh", "sitmon"), Wearable("chest", "polar-h10")], "0.1.0"):
        check(message.topic, message.payload)
