"""Writes the daemon's steps to the store and rides out a store that refuses them (disk full, a
read-only or locked file): the steps wait in memory, the error is logged once a minute, and they are
all written, in one transaction, as soon as the store takes writes again.

While steps wait, they are not yet durable: the daemon still announces and prompts (a full disk
must not stop the wearer's prompts), so a kill during that time loses the waiting steps. That is the
trade-off; the `sitmon_store_pending_steps` gauge and the log say when it is being made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from monitor.metrics import STORE_ERRORS, STORE_PENDING, STORE_WRITE_SECONDS
from monitor.model import Bout, Event, Revision, revised

from .store import Store

log = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 60.0


def error_kind(exc: BaseException) -> str:
    text = str(exc).lower()
    if "full" in text or "no space" in text:
        return "disk_full"
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "read_only"
    if "locked" in text or "busy" in text:
        return "locked"
    return "other"


class GuardedWriter:
    def __init__(self, store: Store, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.monotonic = monotonic
        self.pending_bouts: list[Bout] = []
        self.pending_events: list[Event] = []
        self.pending_also: list[Callable[[Any], None]] = []
        self.pending_revisions: list[Revision] = []
        self.pending_steps = 0
        self.failing_since: float | None = None
        self.last_error: str | None = None
        self._last_logged: float | None = None

    def record(self, wearer: str, bouts: Iterable[Bout], events: Iterable[Event], *snapshots: Any,
               also: Callable[[Any], None] | None = None, revisions: Iterable[Revision] = ()) -> bool:
        """Write this step and every step still waiting; False if they must keep waiting. The snapshots
        (tracker, prompter, ...) are the newest, so they stand for every step held; every held `also`
        (more writes for the same transaction, such as the MQTT outbox's) runs in order."""
        self.pending_bouts.extend(bouts)
        self.pending_events.extend(events)
        self.pending_revisions.extend(revisions)
        if also is not None:
            self.pending_also.append(also)
        self.pending_steps += 1
        extra: dict[str, Any] = {}
        if self.pending_also:
            held = list(self.pending_also)
            extra["also"] = lambda conn: [write(conn) for write in held]
        if self.pending_revisions:
            extra["revisions"] = list(self.pending_revisions)
        started = time.perf_counter()
        try:
            self.store.record(wearer, self.pending_bouts, self.pending_events, *snapshots, **extra)
        except (SQLAlchemyError, OSError) as exc:
            self._failed(exc)
            return False
        STORE_WRITE_SECONDS.observe(time.perf_counter() - started)
        if self.failing_since is not None:
            log.warning("the store takes writes again; wrote %d held steps (%d bouts, %d events)",
                        self.pending_steps, len(self.pending_bouts), len(self.pending_events))
        self.pending_bouts, self.pending_events, self.pending_also, self.pending_steps = [], [], [], 0
        self.pending_revisions = []
        self.failing_since = self._last_logged = None
        self.last_error = None
        STORE_PENDING.set(0)
        return True

    def _failed(self, exc: BaseException) -> None:
        kind = error_kind(exc)
        STORE_ERRORS.inc(kind=kind)
        STORE_PENDING.set(self.pending_steps)
        now = self.monotonic()
        if self.failing_since is None:
            self.failing_since = now
        self.last_error = f"{kind}: {getattr(exc, 'orig', None) or exc}"
        if self._last_logged is None or now - self._last_logged >= LOG_EVERY_SECONDS:
            self._last_logged = now
            log.error("cannot write to the store (%s); holding %d steps in memory and still prompting; "
                      "free space or fix the store, and they will be written", self.last_error,
                      self.pending_steps)

    def with_held(self, stored: list[Bout], start: float, end: float) -> list[Bout]:
        """The stored bouts of [start, end) as they will be once the held steps are written."""
        out = [*stored, *self.pending_bouts]
        for revision in self.pending_revisions:
            out = revised(out, revision)
        return [b for b in out if b.end > start and b.start < end]

    def held_events(self, start: float, end: float) -> list[Event]:
        return [e for e in self.pending_events if start <= e.t < end]
