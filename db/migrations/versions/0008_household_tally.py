"""The household tally kept by triggers (db/tallies_households.py): households per building, counted
from the households once here (the map shows it for every building).

Revision ID: 0008_household_tally
Revises: 0007_delivery_tally
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db import tallies

revision: str = "0008_household_tally"
down_revision: str | None = "0007_delivery_tally"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_tally",
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("building_id", name=op.f("pk_household_tally")),
    )
    connection = op.get_bind()
    tallies.rebuild(connection, ("households",))
    tallies.install(connection, ("households",))


def downgrade() -> None:
    tallies.drop(op.get_bind(), ("households",))
    op.drop_table("household_tally")
