"""The delivery tally kept by triggers (db/tallies_deliveries.py): a supply batch's delivery rows per
building, day and outcome, counted from the deliveries once here; and indexes on household.size (a
batch owes the households of no one nothing: the coverage reads them alone) and on (building_id,
size) (what each building's households are owed, read from the index alone).

Revision ID: 0007_delivery_tally
Revises: 0006_tallies
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db import tallies

revision: str = "0007_delivery_tally"
down_revision: str | None = "0006_tallies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_tally",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("portions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "building_id", "day", "status", name=op.f("pk_delivery_tally")),
    )
    op.create_index("ix_household_size", "household", ["size"])
    op.create_index("ix_household_building_size", "household", ["building_id", "size"])
    connection = op.get_bind()
    tallies.rebuild(connection, ("deliveries",))
    tallies.install(connection, ("deliveries",))


def downgrade() -> None:
    tallies.drop(op.get_bind(), ("deliveries",))
    op.drop_index("ix_household_building_size", table_name="household")
    op.drop_index("ix_household_size", table_name="household")
    op.drop_table("delivery_tally")
