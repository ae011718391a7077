"""An index on delivery.at: the recap and the brief count each day's deliveries.

Revision ID: 0005_delivery_at_index
Revises: 0004_data_version
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005_delivery_at_index"
down_revision: str | None = "0004_data_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_delivery_at", "delivery", ["at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_at", table_name="delivery")
