"""Source analysis (探本溯源): where the cases came from — by compound, building, housing type, rental
status, household size and the channel that found them; clusters in buildings; infections within
households after the first. Tables here, and the plotly figures that draw them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dashboard.i18n import code, coded, t
from db.models import Building, Case, Compound, Grid, Household, Resident

SIZE_CAP = 6  # households of 6 or more people are one group (大户)


def _window(stmt, as_of: dt.date, since: dt.date | None):  # noqa: ANN001, ANN202 - a Select
    stmt = stmt.where(Case.found_on <= as_of)
    return stmt.where(Case.found_on >= since) if since is not None else stmt


def _cases_joined(*columns: object):  # noqa: ANN202 - a Select
    return (
        select(*columns)
        .select_from(Case)
        .join(Resident, Resident.id == Case.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
    )


def _population(*keys: object) -> select:
    return (
        select(*keys, func.count(Resident.id).label("residents"))
        .select_from(Resident)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .group_by(*keys)
    )


def _rate(df: pd.DataFrame) -> pd.DataFrame:
    df["cases"] = df["cases"].fillna(0).astype(int)
    df["per_1000"] = [
        round(1000 * c / r, 1) if r else 0.0 for c, r in zip(df["cases"], df["residents"], strict=True)
    ]
    total = int(df["cases"].sum())
    df["share"] = [round(c / total, 3) if total else 0.0 for c in df["cases"]]
    return df


def cases_by_compound(session: Session, as_of: dt.date, *, since: dt.date | None = None) -> pd.DataFrame:
    """Cases per compound (with its kind and residents, cases per 1000 residents), most first."""
    counts = session.execute(
        _window(_cases_joined(Compound.id, func.count(Case.id)), as_of, since).group_by(Compound.id)
    ).all()
    pop = session.execute(_population(Compound.id, Compound.name, Compound.kind)).all()
    df = pd.DataFrame(pop, columns=["compound_id", "compound", "kind", "residents"])
    df = df.merge(pd.DataFrame(counts, columns=["compound_id", "cases"]), on="compound_id", how="left")
    return _rate(df).sort_values(["cases", "compound_id"], ascending=[False, True]).reset_index(drop=True)


def cases_by_building(
    session: Session, as_of: dt.date, *, since: dt.date | None = None, top: int | None = 20
) -> pd.DataFrame:
    """Buildings with cases, most first: compound, kind, grid, cases, households hit, residents."""
    rows = session.execute(
        _window(
            _cases_joined(
                Building.id,
                Compound.name,
                Compound.kind,
                Building.name,
                Grid.number,
                func.count(Case.id),
                func.count(func.distinct(Household.id)),
            ).outerjoin(Grid, Grid.id == Building.grid_id),
            as_of,
            since,
        )
        .group_by(Building.id, Compound.name, Compound.kind, Building.name, Grid.number)
        .order_by(func.count(Case.id).desc(), Building.id)
    ).all()
    df = pd.DataFrame(
        rows,
        columns=["building_id", "compound", "kind", "building", "grid", "cases", "households_hit"],
    )
    if top is not None:
        df = df.head(top)
    pop = dict(
        session.execute(
            select(Household.building_id, func.count(Resident.id))
            .join(Resident, Resident.household_id == Household.id)
            .where(Household.building_id.in_([int(b) for b in df["building_id"]]))
            .group_by(Household.building_id)
        ).all()
    )
    df["residents"] = [int(pop.get(b, 0)) for b in df["building_id"]]
    return df


def cases_by_housing(session: Session, as_of: dt.date, *, since: dt.date | None = None) -> pd.DataFrame:
    """Cases by housing type (compound kind) and rental status, with residents and the rate per 1000."""
    counts = session.execute(
        _window(
            _cases_joined(Compound.kind, Household.is_rental, func.count(Case.id)), as_of, since
        ).group_by(Compound.kind, Household.is_rental)
    ).all()
    pop = session.execute(_population(Compound.kind, Household.is_rental)).all()
    df = pd.DataFrame(pop, columns=["kind", "is_rental", "residents"])
    df["is_rental"] = df["is_rental"].astype(bool)
    c = pd.DataFrame(counts, columns=["kind", "is_rental", "cases"])
    c["is_rental"] = c["is_rental"].astype(bool)
    df = _rate(df.merge(c, on=["kind", "is_rental"], how="left"))
    return df.sort_values(["cases", "per_1000"], ascending=False).reset_index(drop=True)


def cases_by_household_size(
    session: Session, as_of: dt.date, *, since: dt.date | None = None
) -> pd.DataFrame:
    """Cases by the size of the household they live in (1 … 6+), with residents and the rate per 1000."""
    size = case((Household.size >= SIZE_CAP, SIZE_CAP), else_=Household.size)
    counts = session.execute(
        _window(_cases_joined(size.label("size"), func.count(Case.id)), as_of, since).group_by(size)
    ).all()
    pop = session.execute(
        select(size.label("size"), func.count(Resident.id))
        .join(Resident, Resident.household_id == Household.id)
        .group_by(size)
    ).all()
    df = pd.DataFrame(pop, columns=["size", "residents"])
    df = df.merge(pd.DataFrame(counts, columns=["size", "cases"]), on="size", how="left")
    return _rate(df).sort_values("size").reset_index(drop=True)


def cases_by_channel(session: Session, as_of: dt.date, *, since: dt.date | None = None) -> pd.DataFrame:
    """Cases by the channel that found them, with their share."""
    rows = session.execute(
        _window(select(Case.channel, func.count(Case.id)), as_of, since)
        .group_by(Case.channel)
        .order_by(func.count(Case.id).desc())
    ).all()
    df = pd.DataFrame(rows, columns=["channel", "cases"])
    total = int(df["cases"].sum()) if not df.empty else 0
    df["share"] = [round(c / total, 3) if total else 0.0 for c in df["cases"]]
    return df


def daily_cases_by_housing(session: Session, as_of: dt.date, *, since: dt.date | None = None) -> pd.DataFrame:
    """New cases per day and housing type (for the stacked epidemic curve)."""
    rows = session.execute(
        _window(_cases_joined(Case.found_on, Compound.kind, func.count(Case.id)), as_of, since)
        .group_by(Case.found_on, Compound.kind)
        .order_by(Case.found_on)
    ).all()
    return pd.DataFrame(rows, columns=["day", "kind", "cases"])


def clusters(
    session: Session, as_of: dt.date, *, since: dt.date | None = None, window_days: int = 7
) -> pd.DataFrame:
    """Clusters: two or more cases in one building, each found within window_days of the one before
    (fewer than window_days days apart, so while the building is still sealed by it)."""
    rows = session.execute(
        _window(
            _cases_joined(Building.id, Case.found_on, Household.id).order_by(Building.id, Case.found_on),
            as_of,
            since,
        )
    ).all()
    found: list[dict[str, object]] = []
    current: dict[str, object] | None = None
    for building_id, day, household_id in rows:
        if (
            current
            and current["building_id"] == building_id
            and (day - current["last_on"]).days < window_days
        ):
            current["last_on"] = day
            current["cases"] += 1
            current["households"].add(household_id)
            continue
        if current and current["cases"] >= 2:
            found.append(current)
        current = {
            "building_id": building_id,
            "first_on": day,
            "last_on": day,
            "cases": 1,
            "households": {household_id},
        }
    if current and current["cases"] >= 2:
        found.append(current)
    columns = [
        "building_id",
        "compound",
        "kind",
        "building",
        "grid",
        "first_on",
        "last_on",
        "days",
        "cases",
        "households",
    ]
    if not found:
        return pd.DataFrame(columns=columns)
    df = pd.DataFrame(found)
    df["households"] = df["households"].map(len)
    df["days"] = [(b - a).days + 1 for a, b in zip(df["first_on"], df["last_on"], strict=True)]
    names = pd.DataFrame(
        session.execute(
            select(Building.id, Compound.name, Compound.kind, Building.name, Grid.number)
            .join(Compound, Compound.id == Building.compound_id)
            .outerjoin(Grid, Grid.id == Building.grid_id)
            .where(Building.id.in_([int(b) for b in df["building_id"]]))
        ).all(),
        columns=["building_id", "compound", "kind", "building", "grid"],
    )
    df = df.merge(names, on="building_id")
    return df.sort_values(["cases", "first_on"], ascending=[False, True]).reset_index(drop=True)[columns]


@dataclass(frozen=True)
class HouseholdSpread:
    """Infections within households: how many households had a case, and how many caught it again."""

    households_with_cases: int
    households_with_secondary: int
    first_cases: int
    secondary_cases: int

    @property
    def secondary_share(self) -> float:
        total = self.first_cases + self.secondary_cases
        return round(self.secondary_cases / total, 3) if total else 0.0


def _ranked_in_household(as_of: dt.date):  # noqa: ANN202 - a subquery
    """Every case up to as_of with its rank in its household (1 = the first found there)."""
    return (
        select(
            Case.id.label("case_id"),
            Case.found_on,
            Resident.household_id,
            func.row_number()
            .over(partition_by=Resident.household_id, order_by=(Case.found_at, Case.id))
            .label("rank"),
        )
        .join(Resident, Resident.id == Case.resident_id)
        .where(Case.found_on <= as_of)
        .subquery()
    )


def household_spread(session: Session, as_of: dt.date, *, since: dt.date | None = None) -> HouseholdSpread:
    """Cases after the first within the same household (secondary household cases)."""
    r = _ranked_in_household(as_of)
    stmt = select(
        func.count(func.distinct(r.c.household_id)),
        func.count(func.distinct(case((r.c.rank > 1, r.c.household_id)))),
        func.coalesce(func.sum(case((r.c.rank == 1, 1), else_=0)), 0),
        func.coalesce(func.sum(case((r.c.rank > 1, 1), else_=0)), 0),
    )
    if since is not None:
        stmt = stmt.where(r.c.found_on >= since)
    a, b, c, d = session.execute(stmt).one()
    return HouseholdSpread(int(a), int(b), int(c), int(d))


def household_spread_by_housing(
    session: Session, as_of: dt.date, *, since: dt.date | None = None
) -> pd.DataFrame:
    """First and secondary household cases per housing type and rental status."""
    r = _ranked_in_household(as_of)
    stmt = (
        select(
            Compound.kind,
            Household.is_rental,
            func.sum(case((r.c.rank == 1, 1), else_=0)),
            func.sum(case((r.c.rank > 1, 1), else_=0)),
        )
        .select_from(r)
        .join(Household, Household.id == r.c.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .group_by(Compound.kind, Household.is_rental)
    )
    if since is not None:
        stmt = stmt.where(r.c.found_on >= since)
    df = pd.DataFrame(
        session.execute(stmt).all(), columns=["kind", "is_rental", "first_cases", "secondary_cases"]
    )
    df["is_rental"] = df["is_rental"].astype(bool)
    df[["first_cases", "secondary_cases"]] = df[["first_cases", "secondary_cases"]].astype(int)
    return df.sort_values("secondary_cases", ascending=False).reset_index(drop=True)


# --- labels and figures ---------------------------------------------------------------------


def housing_label(kind: str, is_rental: bool, lang: str | None = None) -> str:
    """The words for a housing group, e.g. "Homestead houses · rented"."""
    rented = t("cases.sources.rented" if is_rental else "cases.sources.owned", lang=lang)
    return f"{code('compound_kind', kind, lang)} · {rented}"


def _grouped(df: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """df with `group`: the words of its housing group (kind, is_rental)."""
    return df.assign(
        group=[housing_label(k, r, lang) for k, r in zip(df["kind"], df["is_rental"], strict=True)]
    )


def housing_figure(df: pd.DataFrame, lang: str | None = None) -> go.Figure:
    """Bars: cases per housing type and rental status, coloured by the rate per 1000 residents."""
    fig = px.bar(
        _grouped(df, lang).sort_values("cases"),
        x="cases",
        y="group",
        orientation="h",
        color="per_1000",
        color_continuous_scale="Reds",
        labels={
            "cases": t("cases.sources.cases", lang=lang),
            "group": "",
            "per_1000": t("cases.sources.per_1000", lang=lang),
        },
    )
    return fig.update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 0}, height=320)


def bar_figure(
    df: pd.DataFrame, x: str, *, label: str, code_kind: str | None = None, lang: str | None = None
) -> go.Figure:
    """A simple bar chart of cases per category x (stored codes turned into words)."""
    shown = df.copy()
    if code_kind:
        shown[x] = [code(code_kind, v, lang) for v in shown[x]]
    else:
        shown[x] = shown[x].astype(str)
    fig = px.bar(shown, x=x, y="cases", labels={x: label, "cases": t("cases.sources.cases", lang=lang)})
    return fig.update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 0}, height=300)


def curve_figure(df: pd.DataFrame, lang: str | None = None) -> go.Figure:
    """Stacked bars: new cases per day by housing type."""
    shown = df.assign(kind=[code("compound_kind", k, lang) for k in df["kind"]])
    fig = px.bar(
        shown,
        x="day",
        y="cases",
        color="kind",
        labels={
            "day": t("common.date", lang=lang),
            "cases": t("cases.sources.cases", lang=lang),
            "kind": t("cases.sources.housing", lang=lang),
        },
    )
    return fig.update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 0}, height=320, barmode="stack")


# --- the analysis as the cases page draws it --------------------------------------------------


@dataclass(frozen=True)
class SourcesView:
    """Every table and figure of the source analysis of a window, in the words of one language.

    Figures are plotly dicts (fig.to_dict()): building them costs more than drawing them.
    """

    cases: int
    clusters_found: int
    spread: HouseholdSpread
    curve: dict = field(repr=False)
    housing: pd.DataFrame = field(repr=False)  # with `group`
    housing_chart: dict = field(repr=False)
    leader: dict = field(repr=False)  # the leading housing group: group, cases, share, rate
    by_compound: pd.DataFrame = field(repr=False)  # kind in words
    by_building: pd.DataFrame = field(repr=False)
    clusters: pd.DataFrame = field(repr=False)
    in_households: pd.DataFrame = field(repr=False)  # with `group`
    sizes_chart: dict = field(repr=False)
    channels_chart: dict = field(repr=False)


def sources_view(session: Session, as_of: dt.date, since: dt.date | None, lang: str) -> SourcesView | None:
    """The source analysis of the cases found from since to as_of (None: no case in the window)."""
    window = {"since": since}
    total = cases_by_channel(session, as_of, **window)
    n = int(total["cases"].sum()) if not total.empty else 0
    if n == 0:
        return None
    found = clusters(session, as_of, **window)
    housing = _grouped(cases_by_housing(session, as_of, **window), lang)
    top = housing.iloc[0]
    by_compound = cases_by_compound(session, as_of, **window)
    return SourcesView(
        cases=n,
        clusters_found=len(found),
        spread=household_spread(session, as_of, **window),
        curve=curve_figure(daily_cases_by_housing(session, as_of, **window), lang).to_dict(),
        housing=housing,
        housing_chart=housing_figure(housing, lang).to_dict(),
        leader={
            "group": top["group"],
            "cases": int(top["cases"]),
            "share": f"{top['share']:.0%}",
            "rate": top["per_1000"],
        },
        by_compound=coded(by_compound, {"kind": "compound_kind"}, lang),
        by_building=cases_by_building(session, as_of, **window),
        clusters=found,
        in_households=_grouped(household_spread_by_housing(session, as_of, **window), lang),
        sizes_chart=bar_figure(
            cases_by_household_size(session, as_of, **window),
            "size",
            label=t("cases.sources.household_size", lang=lang),
            lang=lang,
        ).to_dict(),
        channels_chart=bar_figure(
            total, "channel", label=t("cases.col_channel", lang=lang), code_kind="case_channel", lang=lang
        ).to_dict(),
    )
