"""Shared fixtures: a real SQLite file, the real Mosquitto on 127.0.0.1:1883, free ports."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import Subscriber

from monitor.adapters.store import Store

BROKER = ("127.0.0.1", 1883)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'sitmon.sqlite3'}")
    yield s
    s.close()


@pytest.fixture
def broker() -> tuple[str, int]:
    try:
        with socket.create_connection(BROKER, timeout=2):
            pass
    except OSError:
        pytest.fail("Mosquitto is not running on 127.0.0.1:1883; run `make test` (it starts it)")
    return BROKER


@pytest.fixture
def base_topic() -> str:
    """A topic base of the test's own, so runs never see each other's retained messages."""
    return f"sitmon-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def subscribe(broker: tuple[str, int]) -> Iterator[object]:
    subs: list[Subscriber] = []

    def make(topic: str) -> Subscriber:
        sub = Subscriber(*broker, topic)
        subs.append(sub)
        return sub

    yield make
    for sub in subs:
        sub.close()
