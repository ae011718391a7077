"""The people who work for the committee and the teams they form."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import CADRE_LEVELS, PERSON_KINDS, TEAM_KINDS, VOLUNTEER_KINDS, Base, _in


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (CheckConstraint(_in("kind", TEAM_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", use_alter=True))


class Person(Base):
    """Someone who works for the committee: staff, cadres, inner-field, property, volunteers, guards."""

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint(_in("kind", PERSON_KINDS), name="kind"),
        CheckConstraint("cadre_level IS NULL OR " + _in("cadre_level", CADRE_LEVELS), name="cadre_level"),
        CheckConstraint(
            "volunteer_kind IS NULL OR " + _in("volunteer_kind", VOLUNTEER_KINDS), name="volunteer_kind"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[str] = mapped_column(String(20))
    cadre_level: Mapped[str | None] = mapped_column(String(10))
    volunteer_kind: Mapped[str | None] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(100), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
