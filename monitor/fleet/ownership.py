"""Which central worker processes which wearers: partitions held as PostgreSQL advisory locks.

Wearers hash into `partitions` partitions (`wire.partition_of`). A worker processes a wearer only
while it holds the session-level advisory lock of the wearer's partition. The locks live as long as
the worker's database connection: a worker that dies, however it dies, drops its connection and with
it its partitions, and the others pick them up at their next rebalance, from the last checkpoint in
the store. No lease expiry, no clock.

Fair share: each worker also holds a membership lock, so every worker can count the live workers
(`pg_locks`) and aims at ceil(partitions / workers); one holding more gives the excess back, one
holding fewer takes free partitions. Keys are namespaced by the worker group and the database schema,
so fleets (and test runs) sharing a PostgreSQL server do not meet.
"""

from __future__ import annotations

import logging
import math
import zlib

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

_HELD = text("SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
             "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
             "AND classid = CAST(:space AS oid)")


def _key(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFF_FFFF


class PartitionOwner:
    def __init__(self, engine: Engine, group: str, worker: str, partitions: int) -> None:
        self.engine = engine
        self.worker = worker
        self.partitions = partitions
        self._conn: Connection | None = None
        self._member_space = 0
        self._partition_space = 0
        self._group = group
        self.owned: set[int] = set()

    def join(self) -> None:
        self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        schema = self._conn.execute(text("SELECT current_schema()")).scalar_one()
        self._member_space = _key(f"sitmon-members/{self._group}/{schema}")
        self._partition_space = _key(f"sitmon-partitions/{self._group}/{schema}")
        got = self._conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"),
                                 {"a": self._member_space, "b": _key(self.worker)}).scalar_one()
        if not got:
            raise RuntimeError(f"another central worker already runs as {self.worker!r}")

    def _held(self, space: int) -> set[int]:
        assert self._conn is not None
        return {int(row[0]) for row in self._conn.execute(_HELD, {"space": space})}

    def rebalance(self) -> tuple[set[int], set[int]]:
        """Move towards the fair share; returns (partitions gained, partitions given back)."""
        assert self._conn is not None
        workers = max(1, len(self._held(self._member_space)))
        target = math.ceil(self.partitions / workers)
        gained: set[int] = set()
        lost: set[int] = set()
        while len(self.owned) > target:
            partition = max(self.owned)
            self._unlock(partition)
            lost.add(partition)
        if len(self.owned) < target:
            taken = self._held(self._partition_space)
            # Start the search at a worker-specific place so that joining workers rarely collide.
            offset = _key(self.worker) % self.partitions
            for i in range(self.partitions):
                if len(self.owned) >= target:
                    break
                partition = (offset + i) % self.partitions
                if partition in taken or partition in self.owned:
                    continue
                if self._conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"),
                                      {"a": self._partition_space, "b": partition}).scalar_one():
                    self.owned.add(partition)
                    gained.add(partition)
        if gained or lost:
            log.info("worker %s: %d partitions (+%d -%d) of %d, %d workers", self.worker, len(self.owned),
                     len(gained), len(lost), self.partitions, workers)
        return gained, lost

    def _unlock(self, partition: int) -> None:
        assert self._conn is not None
        self._conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": self._partition_space, "b": partition})
        self.owned.discard(partition)

    def leave(self) -> None:
        if self._conn is not None:
            self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
            self._conn.close()
            self._conn = None
        self.owned.clear()


class SoleOwner:
    """SQLite has no advisory locks and one writer: a single central worker owns every partition."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self.owned: set[int] = set()

    def join(self) -> None:
        pass

    def rebalance(self) -> tuple[set[int], set[int]]:
        gained = set(range(self.partitions)) - self.owned
        self.owned |= gained
        return gained, set()

    def leave(self) -> None:
        self.owned.clear()
