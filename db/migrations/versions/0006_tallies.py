"""Tallies kept by triggers: residents per building and plain screening results per round, building
and day sampled (db/tallies.py), counted from the records once here; and a small partial index on the
screening results that are not plain (exemptions, door-to-door samples), which the figures read one
by one.

Revision ID: 0006_tallies
Revises: 0005_delivery_at_index
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db import tallies
from db.models.screening import ODD

revision: str = "0006_tallies"
down_revision: str | None = "0005_delivery_at_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "building_tally",
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("bedridden", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("building_id", name=op.f("pk_building_tally")),
    )
    op.create_table(
        "round_tally",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("counts_from", sa.Date(), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("round_id", "building_id", "counts_from", name=op.f("pk_round_tally")),
    )
    op.create_index(
        "ix_screening_result_odd",
        "screening_result",
        ["round_id"],
        sqlite_where=sa.text(ODD),
        postgresql_where=sa.text(ODD),
    )
    connection = op.get_bind()
    tallies.rebuild(connection, ("screening",))
    tallies.install(connection, ("screening",))


def downgrade() -> None:
    tallies.drop(op.get_bind(), ("screening",))
    op.drop_index("ix_screening_result_odd", table_name="screening_result")
    op.drop_table("round_tally")
    op.drop_table("building_tally")
