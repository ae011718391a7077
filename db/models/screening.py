"""Screening: sampling sites, rounds, results, missed residents and single-tube retests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import (
    EXEMPT_REASONS,
    MISSED_OUTCOMES,
    RESULT_VALUES,
    RETEST_RESULTS,
    ROUND_KINDS,
    ROUND_SCOPES,
    SAMPLE_METHODS,
    Base,
    _in,
)


class SamplingSite(Base):
    __tablename__ = "sampling_site"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class ScreeningRound(Base):
    __tablename__ = "screening_round"
    __table_args__ = (
        CheckConstraint(_in("kind", ROUND_KINDS), name="kind"),
        CheckConstraint(_in("scope", ROUND_SCOPES), name="scope"),
        UniqueConstraint("kind", "number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    number: Mapped[int] = mapped_column(Integer)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    scope: Mapped[str] = mapped_column(String(10), default="all")
    scope_grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    time_slots: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sites: Mapped[list[RoundSite]] = relationship(cascade="all, delete-orphan")


class RoundSite(Base):
    __tablename__ = "round_site"
    round_id: Mapped[int] = mapped_column(ForeignKey("screening_round.id"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sampling_site.id"), primary_key=True)


# A result that is not a plain sample: an exemption, or a sample taken at the door.
ODD = "exempt_reason IS NOT NULL OR method = 'door'"


class ScreeningResult(Base):
    """One result per resident per round; exempt residents carry the reason instead of a sample."""

    __tablename__ = "screening_result"
    __table_args__ = (
        UniqueConstraint("round_id", "resident_id"),
        CheckConstraint(_in("result", RESULT_VALUES), name="result"),
        CheckConstraint("method IS NULL OR " + _in("method", SAMPLE_METHODS), name="method"),
        CheckConstraint(
            "exempt_reason IS NULL OR " + _in("exempt_reason", EXEMPT_REASONS), name="exempt_reason"
        ),
        Index("ix_screening_result_round_tube", "round_id", "tube_no"),
        Index("ix_screening_result_resident", "resident_id"),
        # The few rows that are not a plain sample (db/tallies.py counts the plain ones).
        Index("ix_screening_result_odd", "round_id", sqlite_where=text(ODD), postgresql_where=text(ODD)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("screening_round.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    sampled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    method: Mapped[str | None] = mapped_column(String(10))
    tube_no: Mapped[str | None] = mapped_column(String(30))
    result: Mapped[str] = mapped_column(String(10), default="pending")
    exempt_reason: Mapped[str | None] = mapped_column(String(20))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_log.id"))


# ODD as a condition of a query on screening_result: written as the partial index is (a literal,
# so the planner uses it), the table named.
NOT_PLAIN = text("(screening_result.exempt_reason IS NOT NULL OR screening_result.method = 'door')")


class MissedFollowUp(Base):
    """What the grid leader learned about a resident missed in a round (漏检追踪)."""

    __tablename__ = "missed_followup"
    __table_args__ = (
        UniqueConstraint("round_id", "resident_id"),
        CheckConstraint(_in("outcome", MISSED_OUTCOMES), name="outcome"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("screening_round.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Retest(Base):
    """A single-tube retest opened for a member of an abnormal pool, or after a positive antigen."""

    __tablename__ = "retest"
    __table_args__ = (
        UniqueConstraint("round_id", "resident_id"),
        CheckConstraint(_in("result", RETEST_RESULTS), name="result"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("screening_round.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    tube_no: Mapped[str | None] = mapped_column(String(30))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    result: Mapped[str] = mapped_column(String(10), default="pending")
    result_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
