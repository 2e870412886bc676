"""Bouts, events and the live tracker state.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bouts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("wearer", sa.String(64), nullable=False),
        sa.Column("start", sa.Float, nullable=False),
        sa.Column("end", sa.Float, nullable=False),
        sa.Column("activity", sa.String(16), nullable=False),
        sa.Column("posture", sa.String(16), nullable=False),
    )
    op.create_index("ix_bouts_wearer_end", "bouts", ["wearer", "end"])
    op.create_table(
        "events",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("wearer", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_wearer_t", "events", ["wearer", "t"])
    op.create_table(
        "live_state",
        sa.Column("wearer", sa.String(64), primary_key=True),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("live_state")
    op.drop_index("ix_events_wearer_t", "events")
    op.drop_table("events")
    op.drop_index("ix_bouts_wearer_end", "bouts")
    op.drop_table("bouts")
