"""The MQTT outbox and the record of announced Home Assistant discovery topics.

Revision ID: 0002_outbox
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_outbox"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("wearer", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False, unique=True),
        sa.Column("urgent", sa.Integer, nullable=False),
        sa.Column("topic", sa.String(512), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("qos", sa.Integer, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        # AUTOINCREMENT: a seq is never reused, even after the table was emptied; the drain relies on it.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_wearer_seq", "outbox", ["wearer", "seq"])
    op.create_table(
        "mqtt_announced",
        sa.Column("owner", sa.String(128), primary_key=True),
        sa.Column("topic", sa.String(512), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("mqtt_announced")
    op.drop_index("ix_outbox_wearer_seq", "outbox")
    op.drop_table("outbox")
