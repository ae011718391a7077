"""What screening sends out: the missed list as an Excel workbook for a grid's WeChat group, and the
trends (coverage per round over time, antigen participation by grid) with their plotly charts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import audit, config, privacy, roles
from dashboard.errors import PermissionDenied
from dashboard.i18n import code, t
from dashboard.roles import CurrentUser
from dashboard.screening import (
    R,
    count_where,
    get_round,
    missed_residents,
    sealed_building_ids,
    status_exprs,
    why_missed,
)
from db.models import Building, Grid, Household, Resident, ScreeningRound

# --- export of the missed list ---------------------------------------------------------------


def export_missed(
    session: Session,
    user: CurrentUser,
    round_id: int,
    grid_id: int | None,
    as_of: dt.date,
    *,
    now: dt.datetime | None = None,
) -> bytes:
    """The missed list of a grid as an xlsx for its WeChat group: names masked, no ID numbers.

    Phones are written in full only for roles allowed to export personal data; the export is audited.
    """
    roles.require(user, "export.aggregate")
    if grid_id is None and user.role == "grid_leader":
        raise PermissionDenied("auth.denied_grid", grid=user.grid_number or user.grid_id or "?")
    roles.require(user, "screening.missed", grid_id=grid_id)
    now = now or config.now(session)
    rnd = get_round(session, round_id)
    df = missed_residents(session, round_id, as_of, grid_id)
    full_phones = roles.allowed(user, "export.personal")
    rows = [
        [
            int(r.grid) if pd.notna(r.grid) else "",
            r.compound,
            r.building,
            r.room,
            privacy.mask_name(r.name),
            (
                r.phone
                if full_phones and roles.sees_contact_details(user, r.grid_id)
                else privacy.mask_phone(r.phone)
            ),
            why_missed(r.outcome, bool(r.bedridden)),
            r.outcome_note or "",
        ]
        for r in df.itertuples(index=False)
    ]
    data = _workbook(
        t("screening.missed_sheet"),
        t(
            "screening.missed_heading",
            kind=code("round_kind", rnd.kind),
            number=rnd.number,
            date=rnd.date.isoformat(),
        ),
        [
            t("common.grid"),
            t("common.compound"),
            t("common.building"),
            t("common.room"),
            t("common.name"),
            t("common.phone"),
            t("screening.why"),
            t("common.note"),
        ],
        rows,
    )
    audit.record(
        session,
        user,
        "screening.export_missed",
        "screening_round",
        round_id,
        grid_id=grid_id,
        after={"rows": len(rows), "full_phones": full_phones, "as_of": as_of},
        at=now,
    )
    return data


def _workbook(sheet: str, heading: str, header: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append([heading])
    ws["A1"].font = Font(bold=True)
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for i, width in enumerate((6, 16, 10, 10, 10, 14, 18, 24), start=1):
        ws.column_dimensions[chr(64 + i)].width = width
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- trends ---------------------------------------------------------------------------------


def _residents_by_building(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(Building.id, Building.grid_id, func.count(Resident.id))
        .join(Household, Household.building_id == Building.id)
        .join(Resident, Resident.household_id == Household.id)
        .group_by(Building.id, Building.grid_id)
    ).all()
    df = pd.DataFrame(rows, columns=["building_id", "grid_id", "residents"])
    df["residents"] = df["residents"].astype(int)
    return df


def _in_scope_by_grid(session: Session, held: pd.DataFrame) -> dict[int, pd.Series]:
    """round_id → residents in the round's scope per grid_id (from the per-building counts)."""
    per_building = _residents_by_building(session)
    all_by_grid = per_building.groupby(per_building["grid_id"].fillna(-1))["residents"].sum()
    sealed_cache: dict[dt.date, pd.Series] = {}
    out: dict[int, pd.Series] = {}
    for r in held.itertuples(index=False):
        if r.scope == "grid":
            out[int(r.round_id)] = all_by_grid[all_by_grid.index == r.scope_grid_id]
        elif r.scope == "sealed":
            if r.date not in sealed_cache:
                ids = set(sealed_building_ids(session, r.date))
                part = per_building[per_building["building_id"].isin(ids)]
                sealed_cache[r.date] = part.groupby(part["grid_id"].fillna(-1))["residents"].sum()
            out[int(r.round_id)] = sealed_cache[r.date]
        else:
            out[int(r.round_id)] = all_by_grid
    return out


def _held(session: Session, as_of: dt.date, kind: str | None = None) -> pd.DataFrame:
    stmt = select(
        ScreeningRound.id,
        ScreeningRound.kind,
        ScreeningRound.number,
        ScreeningRound.date,
        ScreeningRound.scope,
        ScreeningRound.scope_grid_id,
    ).where(ScreeningRound.date <= as_of)
    if kind:
        stmt = stmt.where(ScreeningRound.kind == kind)
    return pd.DataFrame(
        session.execute(stmt.order_by(ScreeningRound.date, ScreeningRound.kind, ScreeningRound.number)).all(),
        columns=["round_id", "kind", "number", "date", "scope", "scope_grid_id"],
    )


def _counts_by_round_grid(session: Session, as_of: dt.date, kind: str | None) -> pd.DataFrame:
    s = status_exprs(as_of)
    stmt = (
        select(R.round_id, Building.grid_id, count_where(s["sampled"]), count_where(s["exempt"]))
        .select_from(R)
        .join(ScreeningRound, ScreeningRound.id == R.round_id)
        .join(Resident, Resident.id == R.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(ScreeningRound.date <= as_of)
        .group_by(R.round_id, Building.grid_id)
    )
    if kind:
        stmt = stmt.where(ScreeningRound.kind == kind)
    df = pd.DataFrame(
        [tuple(r) for r in session.execute(stmt)], columns=["round_id", "grid_id", "sampled", "exempt"]
    )
    df["grid_id"] = df["grid_id"].fillna(-1).astype(int)
    df[["sampled", "exempt"]] = df[["sampled", "exempt"]].astype(int)
    return df


def coverage_trend(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Coverage of every round held up to as_of: round_id, kind, number, date, due, sampled, coverage."""
    held = _held(session, as_of)
    cols = ["round_id", "kind", "number", "date", "due", "sampled", "coverage"]
    if held.empty:
        return pd.DataFrame(columns=cols)
    s = status_exprs(as_of)
    counts = pd.DataFrame(
        session.execute(
            select(R.round_id, count_where(s["sampled"]), count_where(s["exempt"]))
            .join(ScreeningRound, ScreeningRound.id == R.round_id)
            .where(ScreeningRound.date <= as_of)
            .group_by(R.round_id)
        ).all(),
        columns=["round_id", "sampled", "exempt"],
    ).set_index("round_id")
    scope = _in_scope_by_grid(session, held)
    held["residents"] = [int(scope[int(r)].sum()) for r in held["round_id"]]
    held = held.join(counts, on="round_id").fillna({"sampled": 0, "exempt": 0})
    held["due"] = (held["residents"] - held["exempt"]).astype(int)
    held["sampled"] = held["sampled"].astype(int)
    held["coverage"] = (held["sampled"] / held["due"].where(held["due"] > 0)).fillna(0.0).round(4)
    return held[cols]


def antigen_participation(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Antigen self-test participation per grid and round: date, number, grid, due, sampled, participation."""
    held = _held(session, as_of, "antigen")
    cols = ["round_id", "date", "number", "grid", "due", "sampled", "participation"]
    if held.empty:
        return pd.DataFrame(columns=cols)
    counts = _counts_by_round_grid(session, as_of, "antigen").set_index(["round_id", "grid_id"])
    scope = _in_scope_by_grid(session, held)
    numbers = dict(session.execute(select(Grid.id, Grid.number)).all())
    out = []
    for r in held.itertuples(index=False):
        for grid_id, residents in scope[int(r.round_id)].items():
            key = (int(r.round_id), int(grid_id))
            sampled = int(counts.at[key, "sampled"]) if key in counts.index else 0
            exempt = int(counts.at[key, "exempt"]) if key in counts.index else 0
            due = int(residents) - exempt
            out.append(
                {
                    "round_id": int(r.round_id),
                    "date": r.date,
                    "number": int(r.number),
                    "grid": numbers.get(int(grid_id), 0),
                    "due": due,
                    "sampled": sampled,
                    "participation": round(sampled / due, 4) if due > 0 else 0.0,
                }
            )
    return pd.DataFrame(out, columns=cols).sort_values(["date", "number", "grid"], ignore_index=True)


def coverage_chart(trend: pd.DataFrame, lang: str | None = None) -> Any:
    """A plotly line of coverage per round over time, one line per kind (words in lang, default:
    the current language)."""
    import plotly.express as px

    df = trend.assign(
        kind=trend["kind"].map(lambda k: code("round_kind", k, lang)), coverage=trend["coverage"] * 100
    )
    fig = px.line(
        df,
        x="date",
        y="coverage",
        color="kind",
        markers=True,
        labels={
            "date": t("common.date", lang=lang),
            "coverage": t("screening.coverage_pct", lang=lang),
            "kind": t("screening.kind", lang=lang),
        },
    )
    fig.update_yaxes(range=[0, 101])
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend_title_text="")
    return fig


def participation_chart(part: pd.DataFrame, lang: str | None = None) -> Any:
    """A plotly heat map of antigen participation: grids down, round dates across (words in lang,
    default: the current language)."""
    import plotly.express as px

    wide = (
        part.assign(label=part["date"].astype(str) + " #" + part["number"].astype(str))
        .pivot_table(index="grid", columns="label", values="participation", aggfunc="mean")
        .mul(100)
        .round(1)
    )
    wide.index = [t("screening.grid_n", lang=lang, n=int(g)) for g in wide.index]
    fig = px.imshow(
        wide,
        aspect="auto",
        color_continuous_scale="RdYlGn",
        zmin=0,
        zmax=100,
        labels={
            "x": t("screening.round", lang=lang),
            "y": t("common.grid", lang=lang),
            "color": t("screening.participation_pct", lang=lang),
        },
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig
