"""Database tables (SQLAlchemy 2 Core). The store writes them; the dashboard only reads them."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, Index, Integer, LargeBinary, MetaData, String, Table

metadata = MetaData()

bouts = Table(
    "bouts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("wearer", String(64), nullable=False),
    Column("start", Float, nullable=False),
    Column("end", Float, nullable=False),
    Column("activity", String(16), nullable=False),
    Column("posture", String(16), nullable=False),
)
Index("ix_bouts_wearer_end", bouts.c.wearer, bouts.c.end)

# The stored day judged again: one row per revision that changed an activity (`monitor.model.Revision`),
# so the dashboard can say when and how much. `t` is when it was made (the newest second judged then);
# [start, end) runs from the first to the last second it changed.
revisions = Table(
    "revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("wearer", String(64), nullable=False),
    Column("t", Float, nullable=False),
    Column("start", Float, nullable=False),
    Column("end", Float, nullable=False),
    Column("changed_seconds", Float, nullable=False),
    Column("sitting_before", Float, nullable=False),
    Column("sitting_after", Float, nullable=False),
)
Index("ix_revisions_wearer_end", revisions.c.wearer, revisions.c.end)

events = Table(
    "events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("wearer", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("t", Float, nullable=False),
    Column("data", JSON, nullable=False),
)
Index("ix_events_wearer_t", events.c.wearer, events.c.t)

# One row per wearer: the tracker's snapshot, so a restart continues the streak and the
# dashboard can show the live numbers without talking to the daemon.
live_state = Table(
    "live_state",
    metadata,
    Column("wearer", String(64), primary_key=True),
    Column("t", Float, nullable=False),
    Column("snapshot", JSON, nullable=False),
)

# Settings changed on the dashboard, one row per section, layered over the configuration file;
# the running daemon applies them without a restart.
settings_overrides = Table(
    "settings_overrides",
    metadata,
    Column("section", String(32), primary_key=True),
    Column("settings", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Requests from the dashboard to the daemon (snooze, pause, resume, calibrate): the dashboard may run
# in another process, so the store is the mailbox. The daemon sets done_at once it has acted.
commands = Table(
    "commands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("wearer", String(64), nullable=False),
    Column("t", Float, nullable=False),
    Column("name", String(32), nullable=False),
    Column("args", JSON, nullable=False),
    Column("done_at", Float, nullable=True),
    Column("response", String(200), nullable=True),
)
Index("ix_commands_wearer_t", commands.c.wearer, commands.c.t)

# Events and prompts waiting for the MQTT broker's acknowledgement, written in the same transaction as
# the events themselves; a row is deleted once the broker has acknowledged it (docs/mqtt.md, "Delivery").
outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("wearer", String(64), nullable=False),
    Column("message_id", String(64), nullable=False, unique=True),
    Column("urgent", Integer, nullable=False),
    Column("topic", String(512), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("qos", Integer, nullable=False),
    Column("created", Float, nullable=False),
    # A seq is never reused, even once the table was emptied: the drain's cursor relies on it.
    sqlite_autoincrement=True,
)
Index("ix_outbox_wearer_seq", outbox.c.wearer, outbox.c.seq)

# Home Assistant discovery topics this installation has announced (retained on the broker), so that
# the entities of a wearer or wearable removed from the settings can be withdrawn with an empty config.
mqtt_announced = Table(
    "mqtt_announced",
    metadata,
    Column("owner", String(128), primary_key=True),
    Column("topic", String(512), primary_key=True),
)

# The latest calibration of each wearable (monitor.posture.Calibration.to_dict()), from a guided live
# calibration started by MQTT `cmd/calibrate` or the dashboard's Sensors page.
calibrations = Table(
    "calibrations",
    metadata,
    Column("wearer", String(64), primary_key=True),
    Column("wearable", String(64), primary_key=True),
    Column("t", Float, nullable=False),
    Column("data", JSON, nullable=False),
)
