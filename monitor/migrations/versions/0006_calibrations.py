"""Each wearable's calibration (upright standing and sitting directions), used on every start.

Revision ID: 0006_calibrations
Revises: 0003_command_response
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_calibrations"
down_revision = "0003_command_response"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calibrations",
        sa.Column("wearer", sa.String(64), primary_key=True),
        sa.Column("wearable", sa.String(64), primary_key=True),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calibrations")
