"""cases: one active case per resident, one link per resident and case

Revision ID: 0002_cases
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_cases"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status <> 'recovered'")


def upgrade() -> None:
    op.create_index(
        "uq_case_record_active_resident",
        "case_record",
        ["resident_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_index("uq_contact_case_resident", "contact", ["case_id", "resident_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_contact_case_resident", table_name="contact")
    op.drop_index("uq_case_record_active_resident", table_name="case_record")
