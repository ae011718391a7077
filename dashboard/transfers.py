"""The transfer board (转运): everyone waiting to be moved out — cases and contacts — with how long
they have waited, the entrance, route, team and vehicle, and the daily figures of 应转尽转.

A transfer row is requested when a case is reported (at the moment it was found) or when a contact
is sent to central quarantine; it is done when the person has left. Reads replay any past day: the
board as of a day lists the rows requested by the end of that day and not done by then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from statistics import median

import numpy as np
import pandas as pd
from sqlalchemy import DateTime, bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from dashboard import audit, cases, config, contacts, roles, validate
from dashboard.errors import ValidationError
from dashboard.i18n import code, t
from dashboard.roles import CurrentUser
from dashboard.store import check_version
from db.models import (
    Building,
    Case,
    CaseEvent,
    Compound,
    Contact,
    Entrance,
    Grid,
    Household,
    Resident,
    Team,
    Transfer,
)

BOARD_COLUMNS = [
    "transfer_id", "version", "subject", "case_id", "contact_id", "kind", "name", "grid_id", "grid",
    "compound", "building", "room", "requested_at", "hours_waited", "overdue", "destination",
    "entrance_id", "entrance", "route", "team_id", "team", "vehicle",
]  # fmt: skip


def reference_moment(session: Session, as_of: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """The moment a board 'as of' a day is read at: now for today, else the end of that day."""
    now = now or config.now(session)
    return now if as_of >= now.date() else cases.end_of(as_of)


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Hours from start to end, one decimal."""
    return round((end - start).total_seconds() / 3600, 1)


def _board_select(until: dt.datetime, done_after: dt.datetime, grid_id: int | None = None):  # noqa: ANN202 - a Select
    """Transfers requested by `until` and not done by `done_after`, with who, where and the plan."""
    stmt = _board_statement().params(until=until, done_after=done_after)
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    return stmt


@cache
def _board_statement():  # noqa: ANN202 - a Select
    """_board_select's statement with its two moments as bound parameters, built once per process
    (building it costs more than running it from SQLAlchemy's compiled cache)."""
    until, done_after = bindparam("until", type_=DateTime), bindparam("done_after", type_=DateTime)
    subject_case, contact, contact_case = aliased(Case), aliased(Contact), aliased(Case)
    resident_id = func.coalesce(subject_case.resident_id, contact.resident_id, contact_case.resident_id)
    outside = contact.id.is_not(None) & contact.resident_id.is_(None)
    stmt = (
        select(
            Transfer.id.label("transfer_id"),
            Transfer.version,
            case((Transfer.case_id.is_not(None), "case"), else_="contact").label("subject"),
            func.coalesce(Transfer.case_id, contact.case_id).label("case_id"),
            Transfer.contact_id,
            contact.kind,
            case((outside, contact.outside_name), else_=Resident.name).label("name"),
            Building.grid_id,
            Grid.number.label("grid"),
            Compound.name.label("compound"),
            Building.name.label("building"),
            case((outside, ""), else_=Household.room).label("room"),
            Transfer.requested_at,
            Transfer.done_at,
            Transfer.destination,
            Transfer.entrance_id,
            Entrance.name.label("entrance"),
            Transfer.route,
            Transfer.team_id,
            Team.name.label("team"),
            Transfer.vehicle,
        )
        .outerjoin(subject_case, subject_case.id == Transfer.case_id)
        .outerjoin(contact, contact.id == Transfer.contact_id)
        .outerjoin(contact_case, contact_case.id == contact.case_id)
        .join(Resident, Resident.id == resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(Entrance, Entrance.id == Transfer.entrance_id)
        .outerjoin(Team, Team.id == Transfer.team_id)
        .where(Transfer.requested_at <= until, (Transfer.done_at.is_(None)) | (Transfer.done_at > done_after))
        .order_by(Transfer.requested_at, Transfer.id)
    )
    return stmt


def _waited(df: pd.DataFrame, ref: dt.datetime, overdue_hours: int) -> pd.DataFrame:
    """The rows with the hours each has waited at ref and whether that is overdue."""
    df = df.assign(hours_waited=[hours_between(r, ref) for r in df["requested_at"]])
    df["overdue"] = df["hours_waited"] > overdue_hours
    return df


def transfer_board(
    session: Session, as_of: dt.date, *, now: dt.datetime | None = None, grid_id: int | None = None
) -> pd.DataFrame:
    """Everyone waiting for transfer as of a day, longest wait first, with hours waited and overdue."""
    ref = reference_moment(session, as_of, now)
    overdue_hours = config.int_rule(session, "transfer_overdue_hours")
    rows = session.execute(_board_select(ref, ref, grid_id)).mappings().all()
    if not rows:
        return pd.DataFrame(columns=BOARD_COLUMNS)
    return _waited(pd.DataFrame(rows), ref, overdue_hours)[BOARD_COLUMNS]


def transfer_daily(
    session: Session, as_of: dt.date, *, since: dt.date | None = None, subject: str | None = "case"
) -> pd.DataFrame:
    """Per day of request up to as_of: requested, moved the same day (and share), median hours to move.

    Closed without a move (home isolation) is left out: it is not a transfer.
    """
    end = cases.end_of(as_of)
    # The median needs each duration and SQLite has no median: take the (small) rows of the window.
    stmt = select(Transfer.requested_at, Transfer.done_at).where(
        Transfer.requested_at <= end, func.coalesce(Transfer.destination, "") != "home"
    )
    if since is not None:
        stmt = stmt.where(Transfer.requested_at >= dt.datetime.combine(since, dt.time()))
    if subject == "case":
        stmt = stmt.where(Transfer.case_id.is_not(None))
    elif subject == "contact":
        stmt = stmt.where(Transfer.contact_id.is_not(None))
    per_day: dict[dt.date, dict[str, list[float] | int]] = {}
    for requested_at, done_at in session.execute(stmt):
        day = per_day.setdefault(requested_at.date(), {"requested": 0, "same_day": 0, "hours": []})
        day["requested"] += 1
        if done_at is not None and done_at <= end:
            day["hours"].append((done_at - requested_at).total_seconds() / 3600)
            if done_at.date() == requested_at.date():
                day["same_day"] += 1
    out = [
        {
            "day": day,
            "requested": v["requested"],
            "moved_same_day": v["same_day"],
            "same_day_share": round(v["same_day"] / v["requested"], 3),
            "moved": len(v["hours"]),
            "median_hours": round(median(v["hours"]), 1) if v["hours"] else None,
            "waiting": v["requested"] - len(v["hours"]),
        }
        for day, v in sorted(per_day.items())
    ]
    columns = ["day", "requested", "moved_same_day", "same_day_share", "moved", "median_hours", "waiting"]
    if not out:  # typed as a frame with rows would be
        kinds = (object, np.int64, np.int64, np.float64, np.int64, np.float64, np.int64)
        return pd.DataFrame({c: np.array([], dtype=k) for c, k in zip(columns, kinds, strict=True)})
    return pd.DataFrame(out, columns=columns)


# --- the board as the cases page draws it ---------------------------------------------------
# The page reruns on every click. board_view() is read once through the shared cache, in the words
# of one language; only what depends on the moment today's board is read at (now) is left to
# board_at(), per run.

RECENT_DAYS = 14
DAILY_SHOWN = ["day", "requested", "moved_same_day", "same_day_share", "median_hours", "waiting"]


@dataclass(frozen=True)
class BoardView:
    """A day's transfer board and the daily figures around it.

    For a past day `rows` is the board itself (BOARD_COLUMNS, plus done_at). For today (`live`) it
    holds every row that may be waiting at some moment of the day, and board_at() finishes it.
    Each row carries the words of its codes too: subject_word, kind_word, destination_word.
    """

    as_of: dt.date
    live: bool
    overdue_hours: int
    rows: pd.DataFrame = field(repr=False)
    same_day_share: float | None = None
    median_hours: float | None = None
    recent: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)


def board_moment(as_of: dt.date, today: dt.date, clock: dt.datetime | None = None) -> dt.datetime:
    """reference_moment() without a query, given the app's today: now (today's date at the clock's
    time) when as_of is today, else the end of as_of."""
    now = config.now_on(today, clock)
    return now if as_of >= now.date() else cases.end_of(as_of)


def board_view(session: Session, as_of: dt.date, today: dt.date, lang: str) -> BoardView:
    """The transfer board of as_of (today's: to be finished at now) and the daily figures of the
    last RECENT_DAYS days, for the cases page (whoever asks: mask per user after the call)."""
    overdue_hours = config.int_rule(session, "transfer_overdue_hours")
    live = as_of >= today
    if live:  # read at now, some time after today's start and before the end of as_of
        until, done_after = cases.end_of(as_of), dt.datetime.combine(today, dt.time())
    else:
        until = done_after = cases.end_of(as_of)
    result = session.execute(_board_select(until, done_after))
    rows = pd.DataFrame(result.all(), columns=list(result.keys()))
    rows["done_at"] = pd.to_datetime(rows["done_at"])
    rows = _waited(rows, until, overdue_hours)  # today's are measured again at now, by board_at()
    rows["subject_word"] = [t(f"cases.subject_{x}", lang=lang) for x in rows["subject"]]
    rows["kind_word"] = [code("contact_kind", k, lang) if isinstance(k, str) else "" for k in rows["kind"]]
    rows["destination_word"] = [
        code("destination", d, lang) if isinstance(d, str) else "" for d in rows["destination"]
    ]
    daily = transfer_daily(session, as_of, since=as_of - dt.timedelta(days=RECENT_DAYS - 1))
    on_day = daily[daily["day"] == as_of]
    recent = daily[daily["day"] > as_of - dt.timedelta(days=RECENT_DAYS)].sort_values("day", ascending=False)
    median_hours = on_day["median_hours"].iloc[0] if not on_day.empty else None
    return BoardView(
        as_of=as_of,
        live=live,
        overdue_hours=overdue_hours,
        rows=rows,
        same_day_share=float(on_day["same_day_share"].iloc[0]) if not on_day.empty else None,
        median_hours=None if median_hours is None or pd.isna(median_hours) else float(median_hours),
        recent=recent[DAILY_SHOWN].reset_index(drop=True),
    )


def board_at(view: BoardView, ref: dt.datetime) -> pd.DataFrame:
    """The board of a view as read at ref (board_moment()): transfer_board()'s rows and columns,
    plus done_at and the words of the codes."""
    rows = view.rows
    if not view.live or rows.empty:
        return rows
    at = np.datetime64(ref)
    requested, done = rows["requested_at"].to_numpy(), rows["done_at"].to_numpy()
    return _waited(rows[(requested <= at) & (np.isnat(done) | (done > at))], ref, view.overdue_hours)


def open_entrances(session: Session) -> pd.DataFrame:
    """The entrances open now (the only ones a transfer may use)."""
    rows = session.execute(
        select(Entrance.id.label("entrance_id"), Entrance.name, Entrance.road)
        .where(Entrance.is_open.is_(True))
        .order_by(Entrance.id)
    ).mappings()
    return pd.DataFrame(rows.all(), columns=["entrance_id", "name", "road"])


def transfer_teams(session: Session) -> pd.DataFrame:
    """The inner-field teams that move people out (team kind 'transfer')."""
    rows = session.execute(
        select(Team.id.label("team_id"), Team.name).where(Team.kind == "transfer").order_by(Team.id)
    ).mappings()
    return pd.DataFrame(rows.all(), columns=["team_id", "name"])


def entrance_labels(session: Session) -> dict[int, str]:
    """The open entrances for a picker: entrance_id → "name (road)"."""
    return {int(r.entrance_id): f"{r.name} ({r.road})" for r in open_entrances(session).itertuples()}


def team_labels(session: Session) -> dict[int, str]:
    """The transfer teams for a picker: team_id → name."""
    return {int(r.team_id): r.name for r in transfer_teams(session).itertuples()}


# --- writes ---------------------------------------------------------------------------------


def _transfer(session: Session, transfer_id: object) -> Transfer:
    row = session.get(Transfer, transfer_id) if isinstance(transfer_id, int) else None
    if row is None:
        raise ValidationError("common.not_found", what=f"transfer {transfer_id}")
    return row


def transfer_grid(session: Session, transfer: Transfer) -> int | None:
    """The grid responsible for the person being moved."""
    if transfer.case_id is not None:
        resident_id = session.scalar(select(Case.resident_id).where(Case.id == transfer.case_id))
        return cases.grid_of_resident(session, resident_id)
    contact = session.get(Contact, transfer.contact_id)
    return contacts.contact_grid(session, contact) if contact is not None else None


def assign_transfer(
    session: Session,
    user: CurrentUser,
    transfer_id: int,
    *,
    entrance_id: int | None,
    route: str = "",
    team_id: int | None = None,
    vehicle: str = "",
    destination: str | None = None,
    expected_version: int | None,
    now: dt.datetime | None = None,
) -> Transfer:
    """Plan a transfer: which open entrance and route, which transfer team, which vehicle or batch."""
    now = now or config.now(session)
    row = _transfer(session, transfer_id)
    grid_id = transfer_grid(session, row)
    roles.require(user, "cases.transfer", grid_id=grid_id)
    check_version(row, expected_version)
    if entrance_id is not None:
        entrance = session.get(Entrance, entrance_id)
        if entrance is None or not entrance.is_open:
            raise ValidationError("cases.entrance_closed")
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.kind != "transfer":
            raise ValidationError("cases.not_transfer_team")
    route = validate.text(route, "cases.route", max_len=200, required=False)
    vehicle = validate.text(vehicle, "cases.vehicle", max_len=60, required=False)
    if destination is not None:
        allowed = cases.TRANSFER_DESTINATIONS if row.case_id is not None else ("quarantine_hotel",)
        destination = validate.choice(destination, allowed, "cases.destination")
    before = audit.snapshot(row)
    row.entrance_id = entrance_id
    row.route = route
    row.team_id = team_id
    row.vehicle = vehicle
    if destination is not None:
        row.destination = destination
    session.flush()
    audit.record(
        session,
        user,
        "cases.transfer_plan",
        "transfer",
        row.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return row


def mark_transfer_done(
    session: Session,
    user: CurrentUser,
    transfer_id: int,
    done_at: dt.datetime,
    *,
    destination: str | None = None,
    expected_version: int | None,
    now: dt.datetime | None = None,
) -> Transfer:
    """Record that the person left at done_at (not in the future, not before the request).

    A case awaiting transfer takes its 'transferred' step; for a case already moved on (or a contact)
    this corrects the recorded time, within the steps before and after it.
    """
    now = now or config.now(session)
    row = _transfer(session, transfer_id)
    grid_id = transfer_grid(session, row)
    roles.require(user, "cases.transfer", grid_id=grid_id)
    check_version(row, expected_version)
    done_at = validate.moment(done_at, now=now, not_before=row.requested_at)
    before = audit.snapshot(row)
    if row.case_id is not None:
        subject = session.get(Case, row.case_id)
        dest = destination or row.destination or subject.destination
        if subject.status == "awaiting_transfer":
            cases.advance_case(
                session,
                user,
                subject.id,
                "transferred",
                at=done_at,
                destination=dest,
                expected_version=subject.version,
                now=now,
            )
        elif subject.status in ("transferred", "recovered"):
            _correct_case_transfer(session, subject, row, done_at, dest)
        else:
            raise ValidationError("cases.transfer_needs_status", status=code("case_status", subject.status))
    else:
        contact = session.get(Contact, row.contact_id)
        if contact.status not in ("central_quarantine", "released"):
            raise ValidationError(
                "cases.transfer_needs_status", status=code("contact_status", contact.status)
            )
        if contact.released_on is not None and done_at.date() > contact.released_on:
            raise ValidationError("cases.after_next_step", next=contact.released_on.isoformat())
        row.done_at = done_at
        row.destination = "quarantine_hotel"
        # Whoever has arrived at the hotel is in quarantine by then.
        if contact.quarantined_at is None or contact.quarantined_at > done_at:
            contact.quarantined_at = done_at
    session.flush()
    audit.record(
        session,
        user,
        "cases.transfer_done",
        "transfer",
        row.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return row


def _correct_case_transfer(
    session: Session, subject: Case, row: Transfer, done_at: dt.datetime, destination: str | None
) -> None:
    """Move the recorded time of a case's transfer, keeping it between the steps around it."""
    dest = validate.choice(destination, cases.TRANSFER_DESTINATIONS, "cases.destination")
    events = list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == subject.id).order_by(CaseEvent.at, CaseEvent.id)
        )
    )
    moved = next((e for e in events if e.status == "transferred"), None)
    if moved is not None:
        i = events.index(moved)
        if i > 0 and done_at < events[i - 1].at:
            raise ValidationError(
                "common.date_too_early",
                date=done_at.isoformat(sep=" "),
                earliest=events[i - 1].at.isoformat(sep=" "),
            )
        if i + 1 < len(events) and done_at > events[i + 1].at:
            raise ValidationError("cases.after_next_step", next=events[i + 1].at.isoformat(sep=" "))
        moved.at = done_at
    if subject.recovered_on is not None and done_at.date() > subject.recovered_on:
        raise ValidationError("cases.after_next_step", next=subject.recovered_on.isoformat())
    subject.transferred_at = done_at
    subject.destination = dest
    row.done_at = done_at
    row.destination = dest
