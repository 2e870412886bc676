"""The stored day judged again: when, which span, and how much it changed (for the dashboard).

Revision ID: 0008_revisions
Revises: 0007_merge_heads
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_revisions"
down_revision = "0007_merge_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("wearer", sa.String(64), nullable=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("start", sa.Float, nullable=False),
        sa.Column("end", sa.Float, nullable=False),
        sa.Column("changed_seconds", sa.Float, nullable=False),
        sa.Column("sitting_before", sa.Float, nullable=False),
        sa.Column("sitting_after", sa.Float, nullable=False),
    )
    op.create_index("ix_revisions_wearer_end", "revisions", ["wearer", "end"])


def downgrade() -> None:
    op.drop_index("ix_revisions_wearer_end", table_name="revisions")
    op.drop_table("revisions")
