"""The fleet's tables (revision 0004_fleet); docs/storage.md reasons about their keys and indexes."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, LargeBinary, MetaData, String, Table

metadata = MetaData()

# Batches stored by whichever worker the broker handed them to, until the worker that owns the
# wearer's partition has processed them. (wearer, seq) is the stream position, so a batch heard twice
# is stored once.
fleet_inbox = Table(
    "fleet_inbox",
    metadata,
    Column("wearer", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("partition", Integer, nullable=False),
    Column("n", Integer, nullable=False),
    Column("t0", Float, nullable=False),
    Column("rate_hz", Float, nullable=False),
    Column("wearable", String(64), nullable=False),
    Column("placement", String(16), nullable=False),
    Column("gateway", String(64), nullable=False),
    Column("xyz_mg", LargeBinary, nullable=False),
    Column("sent", Float, nullable=True),
    Column("received", Float, nullable=False),
)
Index("ix_fleet_inbox_partition", fleet_inbox.c.partition, fleet_inbox.c.wearer, fleet_inbox.c.seq)

# One row per wearer: how far the stream has been processed, and the whole pipeline (classifier
# included) as it stood then, written in the transaction that stores the step's bouts and events.
fleet_streams = Table(
    "fleet_streams",
    metadata,
    Column("wearer", String(64), primary_key=True),
    Column("next_seq", BigInteger, nullable=True),
    Column("checkpoint", LargeBinary, nullable=True),
    Column("worker", String(64), nullable=False),
    Column("updated", Float, nullable=False),
)
