"""Data versions: one token per table, replaced by every transaction that writes the table.

Revision ID: 0004_data_version
Revises: 0003_user_language
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_data_version"
down_revision: str | None = "0003_user_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_data_version")),
    )


def downgrade() -> None:
    op.drop_table("data_version")
