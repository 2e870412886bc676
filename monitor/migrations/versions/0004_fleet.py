"""The fleet's inbox of batches and per-wearer stream checkpoints.

Revision ID: 0004_fleet
Revises: 0003_command_response
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_fleet"
down_revision = "0003_command_response"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_inbox",
        sa.Column("wearer", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("t0", sa.Float, nullable=False),
        sa.Column("rate_hz", sa.Float, nullable=False),
        sa.Column("wearable", sa.String(64), nullable=False),
        sa.Column("placement", sa.String(16), nullable=False),
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("xyz_mg", sa.LargeBinary, nullable=False),
        sa.Column("sent", sa.Float, nullable=True),
        sa.Column("received", sa.Float, nullable=False),
    )
    op.create_index("ix_fleet_inbox_partition", "fleet_inbox", ["partition", "wearer", "seq"])
    op.create_table(
        "fleet_streams",
        sa.Column("wearer", sa.String(64), primary_key=True),
        sa.Column("next_seq", sa.BigInteger, nullable=True),
        sa.Column("checkpoint", sa.LargeBinary, nullable=True),
        sa.Column("worker", sa.String(64), nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fleet_streams")
    op.drop_index("ix_fleet_inbox_partition", "fleet_inbox")
    op.drop_table("fleet_inbox")
