"""The squads' delivery sheet (派送签收单): one worksheet per building, printed and signed at the door.

A squad needs the room, the portions and a place to sign; the household head's name is always
masked (enough to knock on the right door), and there are no phones and no ID numbers. Producing
a sheet is audited like any export.
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.page import PageMargins
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, config, privacy, roles
from dashboard.distribution import building_households
from dashboard.errors import ValidationError
from dashboard.i18n import code, t
from dashboard.roles import CurrentUser
from dashboard.supplies import get_batch
from db.models import Building, Compound, Grid

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def _title(name: str) -> str:
    """A worksheet title Excel accepts (31 characters, none of []:*?/\\)."""
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    return name[:31] or "-"


def sheet_rows(session: Session, batch_id: int, building_id: int) -> list[tuple[str, str, int, str]]:
    """The rows a squad gets for one building: room, masked head, portions, status so far."""
    df = building_households(session, batch_id, building_id)
    df = df[df["portions"] > 0]
    return [
        (
            str(r.room),
            privacy.mask_name(r.head_name),
            int(r.portions),
            code("delivery_status", r.status) or "",
        )
        for r in df.itertuples(index=False)
    ]


def delivery_sheet(
    session: Session,
    user: CurrentUser,
    batch_id: int,
    building_ids: list[int],
    *,
    now: dt.datetime | None = None,
) -> bytes:
    """An xlsx workbook, one worksheet per building: room, masked head, portions, a blank signature."""
    if not building_ids:
        raise ValidationError("supplies.none_selected")
    batch = get_batch(session, batch_id)
    places = session.execute(
        select(Building.id, Building.name, Compound.name, Building.grid_id, Grid.name)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(Building.id.in_(building_ids))
        .order_by(Building.compound_id, Building.id)
    ).all()
    if len(places) != len(set(building_ids)):
        raise ValidationError("common.not_found", what="building")
    for place in places:
        roles.require(user, "supplies.deliver", grid_id=place[3])
    now = now or config.now(session)
    book = Workbook()
    book.remove(book.active)
    headers = [t("common.room"), t("supplies.head_masked"), t("supplies.portions"), t("common.status")]
    headers.append(t("supplies.signature"))
    used: set[str] = set()
    for building_id, building, compound, _grid_id, grid in places:
        title = _title(f"{compound} {building}")
        while title in used:
            title = _title(f"{title[:27]} {building_id}")
        used.add(title)
        ws = book.create_sheet(title)
        ws.append([t("supplies.sheet_title", batch=batch.name, compound=compound, building=building)])
        ws.append([t("supplies.sheet_subtitle", grid=grid or "", date=now.date().isoformat())])
        ws.append(headers)
        rows = sheet_rows(session, batch_id, building_id)
        for row in rows:
            ws.append([*row, ""])
        ws.append([t("supplies.sheet_total"), "", sum(r[2] for r in rows), "", ""])
        ws["A1"].font = Font(bold=True, size=14)
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for line in ws.iter_rows(min_row=3, max_row=ws.max_row):
            for cell in line:
                cell.border = BOX
                cell.alignment = Alignment(vertical="center")
        for row_no in range(4, ws.max_row):
            ws.row_dimensions[row_no].height = 28
        for col, width in zip("ABCDE", (14, 14, 10, 12, 26), strict=True):
            ws.column_dimensions[col].width = width
        ws.print_title_rows = "3:3"
        ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    audit.record(
        session,
        user,
        "supplies.export_sheet",
        "supply_batch",
        batch_id,
        after={"buildings": sorted(building_ids)},
        at=now,
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
