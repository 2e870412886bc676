"""A central worker: batches from the shared subscription -> inbox -> one pipeline per wearer -> store.

Several workers share one MQTT 5 shared subscription (`$share/<group>/<base>/fleet/samples/+`). The
broker deals batches out to them one by one, without regard to the wearer, so the worker that
receives a batch is usually not the one that processes it:

1. Ingest (any worker): the batches it received are inserted into `fleet_inbox` (a batch already
   there is skipped) and only then acknowledged to the broker (manual PUBACK). A batch acknowledged is
   a batch stored.
2. Process (the owner): a worker processes the wearers of the partitions it holds (`ownership`). In
   one transaction per pass it locks each wearer's `fleet_streams` row, continues the stream from the
   cursor in sample-number order (`streams.plan`), runs the wearer's `Pipeline`, stores bouts, events
   and live state (`store.record_in`), saves the cursor with the whole pipeline as a checkpoint, and
   deletes the inbox rows it has consumed. Events are published back only after the commit, and only
   those the store did not have already (deterministic ids: `ON CONFLICT DO NOTHING RETURNING`).

A wearer whose partition moves to another worker (a worker joined, stopped or died) is picked up
there from its checkpoint, so classifier, tracker and prompter continue exactly where the last commit
left them: events are complete, in order and never duplicated. The checkpoint is a pickle of our own
pipeline classes; it is read only from our own database, and one that cannot be read (a code change)
falls back to the tracker and prompter snapshots of `live_state`.
"""

from __future__ import annotations

import logging
import pickle
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import Connection, delete, select, tuple_, update
from sqlalchemy.exc import SQLAlchemyError

from monitor.clock import Clock, SystemClock
from monitor.config import Settings
from monitor.daemon import prompt_rules_from, rules_from
from monitor.messages import Topics, event_message
from monitor.model import Bout, Event, EventType, Placement, Revision
from monitor.pipeline import Pipeline

from ..adapters.store import Store, record_in, upsert
from .mqtt import make_client
from .ownership import PartitionOwner, SoleOwner
from .schema import fleet_inbox, fleet_streams
from .settings import FleetSettings
from .streams import Arrived, plan
from .wire import Batch, BatchError, decode, partition_of, shared_samples_filter

log = logging.getLogger(__name__)

CHECKPOINT_PROTOCOL = 5
INGEST_CHUNK = 500  # messages per inbox transaction


@dataclass(slots=True)
class WorkerStats:
    batches_received: int = 0
    batches_rejected: int = 0
    batches_processed: int = 0
    samples_processed: int = 0
    events_stored: int = 0
    passes: int = 0
    # Wall seconds from a batch leaving its gateway to the prompt it caused being stored and published.
    prompt_latencies: list[float] = field(default_factory=list)


@dataclass(slots=True)
class _Cached:
    pipeline: Pipeline
    next_seq: int | None


@dataclass(slots=True)
class _Outcome:
    wearer: str
    events: list[Event]
    latencies: list[float]


class CentralWorker:
    def __init__(self, settings: Settings, fleet: FleetSettings, store: Store, worker_id: str,
                 clock: Clock | None = None, wall: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.fleet = fleet
        self.store = store
        self.worker_id = worker_id
        self.clock = clock or SystemClock()
        self.wall = wall
        self.base = settings.mqtt.base_topic
        self.tz = settings.tz()
        self.rules = rules_from(settings)
        self.prompt_rules = prompt_rules_from(settings)
        self.owner: PartitionOwner | SoleOwner = (
            PartitionOwner(store.engine, fleet.group, worker_id, fleet.partitions)
            if store.engine.dialect.name == "postgresql" else SoleOwner(fleet.partitions))
        self.stats = WorkerStats()
        self.progress = threading.Condition()  # notified after every committed pass
        self._pipelines: dict[str, _Cached] = {}
        self._inbox: queue.SimpleQueue[tuple[int, int, bytes]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._unsubscribed = threading.Event()
        self._thread: threading.Thread | None = None
        self._unconfirmed: list[mqtt.MQTTMessageInfo] = []  # events handed to paho, PUBACK pending
        self._filter = shared_samples_filter(self.base, fleet.group)
        self._client = make_client(settings.mqtt, f"sitmon-central-{worker_id}")
        # Acknowledge a batch only once it is in the inbox.
        self._client.manual_ack_set(True)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_unsubscribe = lambda *_: self._unsubscribed.set()

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        self.owner.join()
        self.owner.rebalance()
        self._thread = threading.Thread(target=self._loop, name=f"central-{self.worker_id}", daemon=True)
        self._thread.start()
        mqtt_settings = self.settings.mqtt
        self._client.connect_async(mqtt_settings.host, mqtt_settings.port, keepalive=mqtt_settings.keepalive)
        self._client.loop_start()
        if not self._subscribed.wait(timeout):
            raise TimeoutError(f"central worker {self.worker_id} could not subscribe to {self._filter}")

    def stop(self, timeout: float = 30.0) -> None:
        """Leave cleanly: no new batches, store and acknowledge those received, finish owned wearers,
        then give the partitions back for the other workers to take."""
        self._unsubscribed.clear()
        self._client.unsubscribe(self._filter)
        self._unsubscribed.wait(timeout)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        # Events go out after their commit; let the last ones reach the broker before leaving.
        for info in self._unconfirmed:
            if not info.is_published():
                info.wait_for_publish(timeout)
        self._client.disconnect()
        self._client.loop_stop()
        self.owner.leave()

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Until `predicate` holds, re-checked after each of this worker's passes (or the timeout)."""
        with self.progress:
            return self.progress.wait_for(predicate, timeout)

    # --- paho (its own thread) ---------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        if reason.is_failure:
            log.warning("broker refused central worker %s: %s", self.worker_id, reason)
            return
        if not self._stop.is_set():
            client.subscribe(self._filter, options=SubscribeOptions(qos=1))

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        self._inbox.put((message.mid, message.qos, bytes(message.payload)))

    # --- the worker thread ---------------------------------------------------------------------
    def _loop(self) -> None:
        next_rebalance = self.wall() + self.fleet.rebalance_seconds
        while True:
            stopping = self._stop.is_set()
            received = self._take(timeout=0.0 if stopping else self.fleet.poll_seconds)
            if received:
                self._ingest(received)
            if self.wall() >= next_rebalance and not stopping:
                self._rebalance()
                next_rebalance = self.wall() + self.fleet.rebalance_seconds
            try:
                busy = self._process()
            except Exception:
                # A bug must not silently end the worker: log it, forget cached pipelines, go on.
                log.exception("central worker %s: processing failed", self.worker_id)
                self._pipelines.clear()
                busy = False
            if stopping and not received and not busy:
                return

    def _take(self, timeout: float) -> list[tuple[int, int, bytes]]:
        items: list[tuple[int, int, bytes]] = []
        try:
            items.append(self._inbox.get(timeout=timeout) if timeout > 0 else self._inbox.get_nowait())
        except queue.Empty:
            return items
        while len(items) < INGEST_CHUNK:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        return items

    def _rebalance(self) -> None:
        try:
            gained, lost = self.owner.rebalance()
        except SQLAlchemyError:
            log.exception("rebalancing partitions failed; keeping the current ones")
            return
        if gained or lost:
            # A partition that was away may have moved on elsewhere: its pipelines reload from the store.
            moved = gained | lost
            for wearer in [w for w in self._pipelines if partition_of(w, self.fleet.partitions) in moved]:
                del self._pipelines[wearer]
            with self.progress:
                self.progress.notify_all()

    def _ingest(self, received: list[tuple[int, int, bytes]]) -> None:
        rows: dict[tuple[str, int], dict[str, Any]] = {}
        now = self.clock.now()
        for _mid, _qos, payload in received:
            try:
                batch = decode(payload)
            except BatchError as exc:
                self.stats.batches_rejected += 1
                log.warning("batch rejected: %s", exc)
                continue
            rows[(batch.wearer, batch.seq)] = _inbox_row(batch, self.fleet.partitions, now)
        if rows:
            try:
                with self.store.engine.begin() as conn:
                    stmt = upsert(conn)(fleet_inbox).values(list(rows.values()))
                    conn.execute(stmt.on_conflict_do_nothing(index_elements=["wearer", "seq"]))
            except SQLAlchemyError:
                # Not acknowledged: the broker delivers these again when the session resumes.
                log.exception("storing %d batches in the inbox failed", len(rows))
                return
        self.stats.batches_received += len(received)
        for mid, qos, _payload in received:
            self._client.ack(mid, qos)

    # --- processing ----------------------------------------------------------------------------
    def _process(self) -> bool:
        owned = sorted(self.owner.owned)
        if not owned:
            return False
        with self.store.engine.connect() as conn:
            query = (select(fleet_inbox.c.wearer, fleet_inbox.c.seq, fleet_inbox.c.n, fleet_inbox.c.received)
                     .where(fleet_inbox.c.partition.in_(owned))
                     .order_by(fleet_inbox.c.wearer, fleet_inbox.c.seq))
            arrived: dict[str, list[Arrived]] = defaultdict(list)
            for row in conn.execute(query):
                arrived[row.wearer].append(Arrived(int(row.seq), int(row.n), float(row.received)))
        if not arrived:
            return False
        wearers = sorted(arrived)[: self.fleet.max_wearers_per_pass]
        outcomes: list[_Outcome] = []
        try:
            with self.store.engine.begin() as conn:
                for wearer in wearers:
                    outcome = self._advance(conn, wearer, arrived[wearer])
                    if outcome is not None:
                        outcomes.append(outcome)
        except SQLAlchemyError:
            log.exception("a processing pass failed; its wearers reload from the store")
            for wearer in wearers:
                self._pipelines.pop(wearer, None)
            return False
        self._after_commit(outcomes)
        return bool(outcomes)

    def _advance(self, conn: Connection, wearer: str, arrived: list[Arrived]) -> _Outcome | None:
        conn.execute(upsert(conn)(fleet_streams)
                     .values(wearer=wearer, next_seq=None, checkpoint=None, worker=self.worker_id, updated=0.0)
                     .on_conflict_do_nothing(index_elements=["wearer"]))
        # The row lock makes any other worker that still thinks it owns this wearer wait, then see the
        # cursor moved and reload.
        stream = conn.execute(select(fleet_streams).where(fleet_streams.c.wearer == wearer)
                              .with_for_update()).one()
        next_seq = None if stream.next_seq is None else int(stream.next_seq)
        takes, cursor = plan(next_seq, arrived, self.clock.now(), self.fleet.gap_grace_seconds)
        if not takes:
            # Only when this pass saw something behind the cursor: most passes of a waiting wearer
            # have nothing to delete (a row that arrives meanwhile is seen, and deleted, next pass).
            if cursor is not None and any(a.seq + a.n <= cursor for a in arrived):
                conn.execute(delete(fleet_inbox).where(fleet_inbox.c.wearer == wearer,
                                                       fleet_inbox.c.seq + fleet_inbox.c.n <= cursor))
            return None
        wanted = [(wearer, arrived[take.index].seq) for take in takes]
        rows = {int(r.seq): r for r in conn.execute(
            select(fleet_inbox).where(tuple_(fleet_inbox.c.wearer, fleet_inbox.c.seq).in_(wanted)))}
        if len(rows) < len(wanted):
            return None  # consumed meanwhile by a worker that owned the wearer before: plan again next pass
        cached = self._pipelines.get(wearer)
        if cached is None or cached.next_seq != next_seq or stream.worker != self.worker_id:
            cached = _Cached(self._restore(wearer, stream.checkpoint, Placement(rows[wanted[0][1]].placement)),
                             next_seq)
        self._pipelines[wearer] = cached
        pipeline = cached.pipeline
        bouts: list[Bout] = []
        events: list[Event] = []
        revisions: list[Revision] = []
        caused_by: dict[str, float | None] = {}
        for take in takes:
            row = rows[arrived[take.index].seq]
            batch = _batch_of(row)
            step = pipeline.push(batch.block(take.skip))
            bouts += step.output.bouts
            events += step.output.events
            revisions += step.output.revisions
            for event in step.output.events:
                caused_by[event.id] = batch.sent
            self.stats.samples_processed += batch.n - take.skip
        self.stats.batches_processed += len(takes)
        stored = set(record_in(conn, wearer, bouts, events, pipeline.tracker.snapshot, pipeline.prompter.snapshot,
                               revisions))
        conn.execute(update(fleet_streams).where(fleet_streams.c.wearer == wearer).values(
            next_seq=cursor, checkpoint=pickle.dumps(pipeline, protocol=CHECKPOINT_PROTOCOL),
            worker=self.worker_id, updated=self.clock.now()))
        assert cursor is not None
        conn.execute(delete(fleet_inbox).where(fleet_inbox.c.wearer == wearer,
                                               fleet_inbox.c.seq + fleet_inbox.c.n <= cursor))
        cached.next_seq = cursor
        new_events = [e for e in events if e.id in stored]
        now = self.wall()
        latencies = [now - sent for e in new_events
                     if e.type is EventType.PROMPT and (sent := caused_by.get(e.id)) is not None]
        return _Outcome(wearer, new_events, latencies)

    def _restore(self, wearer: str, checkpoint: bytes | None, placement: Placement) -> Pipeline:
        if checkpoint is not None:
            try:
                pipeline = pickle.loads(checkpoint)  # noqa: S301 - our own checkpoint from our own database
            except Exception:
                log.warning("checkpoint of %s cannot be read; continuing from the stored snapshots", wearer)
            else:
                if isinstance(pipeline, Pipeline):
                    pipeline.tracker.rules = self.rules
                    pipeline.prompter.set_rules(self.prompt_rules)
                    return pipeline
        return Pipeline(wearer, placement, self.rules, self.prompt_rules, self.store.snapshot(wearer),
                        self.store.prompter_snapshot(wearer))

    def _after_commit(self, outcomes: list[_Outcome]) -> None:
        for outcome in outcomes:
            self.stats.events_stored += len(outcome.events)
            self.stats.prompt_latencies += outcome.latencies
            topics = Topics(self.base, outcome.wearer)
            for event in outcome.events:
                message = event_message(topics, event, self.tz)
                self._unconfirmed.append(self._client.publish(message.topic, message.payload, qos=message.qos,
                                                              retain=message.retain))
        self._unconfirmed = [info for info in self._unconfirmed if not info.is_published()]
        self.stats.passes += 1
        with self.progress:
            self.progress.notify_all()


def _inbox_row(batch: Batch, partitions: int, received: float) -> dict[str, Any]:
    return {"wearer": batch.wearer, "seq": batch.seq, "partition": partition_of(batch.wearer, partitions),
            "n": batch.n, "t0": batch.t0, "rate_hz": batch.rate_hz, "wearable": batch.wearable,
            "placement": batch.placement.value, "gateway": batch.gateway, "xyz_mg": batch.xyz_mg,
            "sent": batch.sent, "received": received}


def _batch_of(row: Any) -> Batch:
    return Batch(row.wearer, row.wearable, Placement(row.placement), row.gateway, int(row.seq), float(row.t0),
                 float(row.rate_hz), bytes(row.xyz_mg), row.sent)
