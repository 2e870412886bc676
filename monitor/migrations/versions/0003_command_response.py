"""The daemon's answer to each mailbox command, so the CLI and the dashboard can show it.

Revision ID: 0003_command_response
Revises: 0002_dashboard_settings
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_command_response"
down_revision = "0002_dashboard_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("commands") as batch:
        batch.add_column(sa.Column("response", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("commands") as batch:
        batch.drop_column("response")
