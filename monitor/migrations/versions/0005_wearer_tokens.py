"""Dashboard login tokens for a fleet, stored only as digests (monitor/tokens.py).

Revision ID: 0005_wearer_tokens
Revises: 0004_fleet
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_wearer_tokens"
down_revision = "0004_fleet"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_tokens",
        sa.Column("role", sa.String(8), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("token_digest", sa.String(64), nullable=False, unique=True),
        sa.Column("session_digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dashboard_tokens")
