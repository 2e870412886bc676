"""One head again: the outbox, fleet/token and calibration branches grew in parallel from 0001.

New revisions start from here.

Revision ID: 0007_merge_heads
Revises: 0002_outbox, 0005_wearer_tokens, 0006_calibrations
"""

revision = "0007_merge_heads"
down_revision = ("0002_outbox", "0005_wearer_tokens", "0006_calibrations")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
