"""Scan a rendered AppTest page for residents' personal data: every text, table, widget label and
option, chart and map a user could read. Shared by the privacy tests (meeting mode, grid scope)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard import i18n
from db.models import (
    Building,
    Committee,
    Compound,
    DisinfectionRoute,
    Entrance,
    Grid,
    Household,
    Person,
    Resident,
    SamplingSite,
    SupplyBatch,
    Team,
)
from tests.helpers import texts

CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@dataclass(frozen=True)
class Personal:
    """Residents' names, phones and ID numbers to look for."""

    names: frozenset[str]
    phones: frozenset[str]
    ids: frozenset[str]
    # Names that may be shown (a grid leader's own residents): blanked out before the search, so
    # 田伟 (another grid) is not "found" inside 田伟华 (one's own).
    allowed: frozenset[str] = frozenset()


def _innocent(session: Session) -> str:
    """Text that may legitimately contain a string equal to some resident's name: the catalogue,
    place and team names, and the names of committee staff (who run the operation in the open)."""
    parts = [v for entry in i18n.catalogue().values() for v in entry.values()]
    for column in (
        Committee.name,
        Committee.street,
        Committee.district,
        Committee.city,
        Committee.address,
        Compound.name,
        Compound.address,
        Building.name,
        Grid.name,
        Team.name,
        Entrance.name,
        Entrance.road,
        SamplingSite.name,
        SupplyBatch.name,
        SupplyBatch.items,
        DisinfectionRoute.name,
        Person.name,
    ):
        parts.extend(str(v) for v in session.scalars(select(column)) if v)
    return "\n".join(parts)


def personal_data(session: Session, *, except_grid: int | None = None) -> Personal:
    """Residents' personal data that no page may show in full: everyone's, or (except_grid) that of
    the residents of every other grid who do not work for the committee — a volunteer's name and
    phone are the operation's contact points, listed on the people page for the whole area."""
    query = select(Resident.name, Resident.phone, Resident.id_number).join(Household).join(Building)
    allowed: set[str] = set()
    if except_grid is not None:
        workers = select(Person.resident_id).where(Person.resident_id.is_not(None))
        query = query.where(Building.grid_id != except_grid, Resident.id.not_in(workers))
        allowed = set(
            session.scalars(
                select(Resident.name)
                .join(Household)
                .join(Building)
                .where((Building.grid_id == except_grid) | Resident.id.in_(workers))
            )
        )
    rows = session.execute(query).all()
    innocent = _innocent(session)
    names = {n for n, _p, _i in rows if n and n not in allowed and n not in innocent}
    return Personal(
        names=frozenset(names),
        phones=frozenset(p for _n, p, _i in rows if p),
        ids=frozenset(i for _n, _p, i in rows if i),
        allowed=frozenset(allowed - names),
    )


def _json_text(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except (ValueError, TypeError):
        return raw


def readable(at: AppTest) -> str:
    """Everything on the page a person could read: texts(at) plus widget labels, options and values,
    expander/tab labels, HTML, code, chart specs and custom components' arguments (the folium map)."""
    parts = [texts(at)]

    def walk(node: object) -> None:
        kind = getattr(node, "type", "")
        for attr in ("label", "placeholder", "help"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                parts.append(value)
        options = getattr(node, "options", None)
        if options:
            parts.extend(str(o) for o in options)
        if kind in ("text_input", "text_area", "code", "json"):
            parts.append(str(getattr(node, "value", "")))
        proto = getattr(node, "proto", None)
        if kind == "plotly_chart" and proto is not None:
            parts.append(_json_text(proto.spec))
        elif kind == "component_instance" and proto is not None:
            parts.append(_json_text(proto.json_args))
        elif kind == "html" and proto is not None:
            parts.append(proto.body)
        children = getattr(node, "children", None)
        if children:
            for child in children.values():
                walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(parts)


def leaks(text: str, personal: Personal) -> list[str]:
    """The personal data found in text (empty when the page is clean)."""
    found: set[str] = set()
    if personal.allowed:
        pattern = "|".join(re.escape(n) for n in sorted(personal.allowed, key=len, reverse=True))
        text = re.sub(pattern, " ", text)
    lengths = sorted({len(n) for n in personal.names})
    for run in CJK_RUN.findall(text):
        for size in lengths:
            for start in range(len(run) - size + 1):
                piece = run[start : start + size]
                if piece in personal.names:
                    found.add(f"name {piece}")
    found.update(f"phone {p}" for p in PHONE.findall(text) if p in personal.phones)
    found.update(f"id {i}" for i in ID_NUMBER.findall(text) if i.upper() in personal.ids)
    return sorted(found)
