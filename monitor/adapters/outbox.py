"""The MQTT outbox: events and prompts wait in the store until the broker has acknowledged them.

Rows are written in the same transaction as the events they announce (`Outbox.add` runs on the
store's connection inside `Store.record`), so an event is either stored and queued for MQTT, or
neither. The publisher reads rows in `seq` order and deletes each once the broker's PUBACK for it
has arrived. A row survives restarts and kill -9: whatever was not acknowledged goes out again.

Size bound: at most `limit` rows per wearer. When a new row would exceed it, the oldest ordinary
events are dropped first and prompts only when nothing else is left, because a prompt is what a
consumer most likely acts on. Every drop is logged with the message id and counted in `metrics()`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy import Connection, Engine, delete, func, insert, select

from monitor.messages import URGENT_EVENTS, Message, Topics, event_message
from monitor.model import Event
from monitor.schema import outbox

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to queue: `message_id` is the event's id, so the same event is never queued twice."""

    message_id: str
    message: Message
    created: float
    urgent: bool = False


def outgoing_events(topics: Topics, events: Sequence[Event], tz: tzinfo | None) -> list[Outgoing]:
    return [Outgoing(event.id, event_message(topics, event, tz), event.t, event.type in URGENT_EVENTS)
            for event in events]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int
    message_id: str
    topic: str
    payload: bytes
    qos: int


class Outbox:
    def __init__(self, engine: Engine, wearer: str, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError("the outbox limit must be at least 1")
        self.engine = engine
        self.wearer = wearer
        self.limit = limit
        self._counts_lock = threading.Lock()
        self._dropped = 0
        self._delivered = 0

    # --- writing (inside the caller's transaction) ---------------------------------------------
    def writer(self, items: Sequence[Outgoing]) -> Callable[[Connection], None]:
        """A callback for `Store.record(..., also=...)` that queues `items` in that transaction."""
        return lambda conn: self.add(conn, items)

    def add(self, conn: Connection, items: Sequence[Outgoing]) -> None:
        if not items:
            return
        ids = [item.message_id for item in items]
        known = set(conn.execute(select(outbox.c.message_id).where(outbox.c.message_id.in_(ids))).scalars())
        rows = [{"wearer": self.wearer, "message_id": item.message_id, "urgent": int(item.urgent),
                 "topic": item.message.topic, "payload": item.message.payload, "qos": item.message.qos,
                 "created": item.created}
                for item in items if item.message_id not in known]
        if not rows:
            return
        conn.execute(insert(outbox), rows)
        self._enforce_limit(conn)

    def _enforce_limit(self, conn: Connection) -> None:
        query = select(func.count()).select_from(outbox).where(outbox.c.wearer == self.wearer)
        count = conn.execute(query).scalar_one()
        excess = count - self.limit
        if excess <= 0:
            return
        victims: list[tuple[int, str]] = []
        for urgent in (0, 1):
            if len(victims) >= excess:
                break
            query = (select(outbox.c.seq, outbox.c.message_id)
                     .where(outbox.c.wearer == self.wearer, outbox.c.urgent == urgent)
                     .order_by(outbox.c.seq).limit(excess - len(victims)))
            victims += [(row.seq, row.message_id) for row in conn.execute(query)]
        conn.execute(delete(outbox).where(outbox.c.seq.in_([seq for seq, _ in victims])))
        with self._counts_lock:
            self._dropped += len(victims)
        log.warning("MQTT outbox full (%d messages): dropped the oldest %d, ids %s", self.limit, len(victims),
                    ", ".join(message_id for _, message_id in victims))

    # --- reading and acknowledging (the publisher's drain) -------------------------------------
    def pending(self, after_seq: int = 0, limit: int = 100) -> list[OutboxItem]:
        query = (select(outbox.c.seq, outbox.c.message_id, outbox.c.topic, outbox.c.payload, outbox.c.qos)
                 .where(outbox.c.wearer == self.wearer, outbox.c.seq > after_seq)
                 .order_by(outbox.c.seq).limit(limit))
        with self.engine.connect() as conn:
            return [OutboxItem(r.seq, r.message_id, r.topic, bytes(r.payload), r.qos) for r in conn.execute(query)]

    def mark_delivered(self, seqs: Collection[int]) -> None:
        if not seqs:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(outbox).where(outbox.c.seq.in_(list(seqs))))
        with self._counts_lock:
            self._delivered += len(seqs)

    def size(self) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(outbox).where(outbox.c.wearer == self.wearer)
            return int(conn.execute(query).scalar_one())

    @property
    def dropped(self) -> int:
        """Messages dropped by the size bound since this process started."""
        with self._counts_lock:
            return self._dropped

    def metrics(self) -> dict[str, int]:
        """Numbers for /metrics: `pending` now, `dropped_total` and `delivered_total` since start."""
        with self._counts_lock:
            dropped, delivered = self._dropped, self._delivered
        return {"pending": self.size(), "dropped_total": dropped, "delivered_total": delivered}
