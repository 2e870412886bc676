"""Settings changed on the dashboard and the dashboard's commands to the daemon.

Revision ID: 0002_dashboard_settings
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_dashboard_settings"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings_overrides",
        sa.Column("section", sa.String(32), primary_key=True),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "commands",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("wearer", sa.String(64), nullable=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("done_at", sa.Float, nullable=True),
    )
    op.create_index("ix_commands_wearer_t", "commands", ["wearer", "t"])


def downgrade() -> None:
    op.drop_index("ix_commands_wearer_t", "commands")
    op.drop_table("commands")
    op.drop_table("settings_overrides")
