"""The MQTT outbox: queued with the events in one transaction, bounded, drained in order on PUBACK."""

from __future__ import annotations

import json

import pytest
from support import clear_retained

from monitor.adapters.outbox import Outbox, Outgoing, outgoing_events
from monitor.adapters.publisher import Publisher
from monitor.config import MqttSettings
from monitor.messages import Message, Topics
from monitor.model import Event, EventType
from monitor.tracker import TrackerSnapshot

T0 = 1_795_597_200.0


def events(n: int, type_: EventType = EventType.SITTING_STARTED, start: int = 0) -> list[Event]:
    return [Event(f"ev-{type_.value}-{start + i}", type_, T0 + start + i, "w", {}) for i in range(n)]


def queue(store, outbox: Outbox, batch: list[Event]) -> None:
    writer = outbox.writer(outgoing_events(Topics("t", "w"), batch, None))
    store.record("w", [], batch, TrackerSnapshot(last_t=T0), also=writer)


def test_events_are_queued_in_the_transaction_that_stores_them(store):
    outbox = Outbox(store.engine, "w")
    batch = events(3)
    queue(store, outbox, batch)
    assert [item.message_id for item in outbox.pending()] == [e.id for e in batch]
    assert json.loads(outbox.pending()[0].payload)["id"] == batch[0].id


def test_a_failed_transaction_queues_nothing_and_stores_nothing(store):
    outbox = Outbox(store.engine, "w")

    def failing(conn) -> None:
        outbox.add(conn, [Outgoing("x", Message("t/w/event/prompt", b"{}", 1, False), T0)])
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.record("w", [], events(1), TrackerSnapshot(last_t=T0), also=failing)
    assert outbox.size() == 0
    assert store.events_between("w", 0, 2 * T0) == []


def test_the_same_event_is_never_queued_twice(store):
    outbox = Outbox(store.engine, "w")
    queue(store, outbox, events(2))
    queue(store, outbox, events(3))
    assert [item.message_id for item in outbox.pending()] == [e.id for e in events(3)]


def test_delivered_rows_leave_and_later_rows_keep_their_order(store):
    outbox = Outbox(store.engine, "w")
    queue(store, outbox, events(5))
    first = outbox.pending(limit=2)
    outbox.mark_delivered([item.seq for item in first])
    assert [item.message_id for item in outbox.pending()] == [e.id for e in events(5)[2:]]
    assert outbox.pending(after_seq=first[-1].seq)[0].message_id == events(5)[2].id
    assert outbox.metrics() == {"pending": 3, "dropped_total": 0, "delivered_total": 2}


def test_a_full_outbox_drops_the_oldest_events_first_and_prompts_last(store, caplog):
    outbox = Outbox(store.engine, "w", limit=4)
    prompts = events(2, EventType.PROMPT, start=100)
    queue(store, outbox, [prompts[0], *events(2)])
    queue(store, outbox, [prompts[1], *events(2, start=2)])
    kept = [item.message_id for item in outbox.pending()]
    assert kept == [prompts[0].id, prompts[1].id, "ev-sitting_started-2", "ev-sitting_started-3"]
    assert outbox.dropped == 2 and outbox.metrics()["dropped_total"] == 2
    assert "ev-sitting_started-0" in caplog.text and "dropped the oldest 2" in caplog.text
    # Nothing but prompts left: the oldest prompt goes.
    queue(store, outbox, events(4, EventType.PROMPT, start=200))
    assert [item.message_id for item in outbox.pending()] == [e.id for e in events(4, EventType.PROMPT, start=200)]


def test_each_wearer_has_its_own_queue_and_bound(store):
    mine, theirs = Outbox(store.engine, "w", limit=2), Outbox(store.engine, "v", limit=2)
    queue(store, mine, events(2))
    with store.engine.begin() as conn:
        theirs.add(conn, [Outgoing("v-1", Message("t/v/event/x", b"{}", 1, False), T0)])
    assert mine.size() == 2 and theirs.size() == 1 and mine.dropped == 0


def test_the_limit_must_be_positive(store):
    with pytest.raises(ValueError, match="at least 1"):
        Outbox(store.engine, "w", limit=0)


def test_rows_queued_before_the_broker_connects_go_out_in_order_once_and_are_deleted(
        store, broker, base_topic, subscribe):
    topics = Topics(base_topic, "w")
    outbox = Outbox(store.engine, "w")
    batch = events(150)  # more than the in-flight window, so the drain refills it from PUBACKs
    store.record("w", [], batch, TrackerSnapshot(last_t=T0),
                 also=outbox.writer(outgoing_events(topics, batch, None)))
    sub = subscribe(f"{base_topic}/w/event/#")
    publisher = Publisher(MqttSettings(host=broker[0], port=broker[1], base_topic=base_topic), topics,
                          f"t-outbox-{base_topic}", outbox)
    publisher.start()
    assert publisher.flush(30)
    got = sub.wait_for(lambda m: "/event/" in m[0], count=150)
    assert [json.loads(m[1])["id"] for m in got] == [e.id for e in batch]
    assert outbox.size() == 0 and outbox.metrics()["delivered_total"] == 150
    assert publisher.sent == 150
    publisher.stop()
    clear_retained(*broker, [topics.availability])


def test_a_seq_is_never_reused_after_the_outbox_was_emptied(store):
    outbox = Outbox(store.engine, "w")
    queue(store, outbox, events(2))
    last = outbox.pending()[-1].seq
    outbox.mark_delivered([item.seq for item in outbox.pending()])
    queue(store, outbox, events(1, start=10))
    assert outbox.pending(after_seq=last)[0].message_id == "ev-sitting_started-10"
