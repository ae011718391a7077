"""Import of the sampling system's export (CSV or xlsx) into one screening round.

    plan = dry_run(session, user, round_id, data, "0529.csv")      # what would happen, row by row
    plan = import_results(session, user, round_id, data, "0529.csv", progress=bar)   # commit

Columns are found by header, Chinese or English (the synonyms are catalogue entries
`screening.hdr_*`, 'a|b|c' in each language). Residents are matched by ID number, else by phone and
name. The commit plans again inside its own transaction and writes everything or nothing; a file
with malformed rows writes nothing. Importing the same file twice changes nothing: a row whose
values the round already holds is 'unchanged'. A grid leader's rows of other grids are skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from dashboard import audit, config, imports, roles
from dashboard.errors import ValidationError
from dashboard.i18n import t
from dashboard.roles import CurrentUser
from dashboard.screening import OUT_OF_DUE, RoundInfo, get_round, scope_clause
from db.models import Building, Household, ImportLog, Resident, Retest, ScreeningResult

FIELDS = ("id_number", "name", "phone", "sampled_at", "tube_no", "result", "method")
RESULT_RANK = {"pending": 0, "negative": 1, "abnormal": 2, "positive": 3}
KIND = "screening"
CHUNK = 5000

# Issue keys by what they mean for the commit: malformed rows block it, the others are skipped.
MALFORMED = (
    "screening.imp_no_identity",
    "screening.imp_bad_result",
    "screening.imp_bad_method",
    "screening.imp_bad_time",
    "screening.imp_wrong_day",
    "screening.imp_future",
    "screening.imp_too_long",
)
CATEGORY = {
    "screening.imp_unmatched": "unmatched",
    "screening.imp_ambiguous": "unmatched",
    "screening.imp_duplicate": "duplicate",
    "screening.imp_other_grid": "rejected",
    "screening.imp_out_of_scope": "rejected",
    **dict.fromkeys(MALFORMED, "malformed"),
}

Progress = Callable[[float, str], None]


def _words(key: str) -> tuple[str, ...]:
    """Every spelling of a catalogue entry 'a|b|c' in both languages."""
    out: list[str] = []
    for lang in ("zh", "en"):
        out.extend(w.strip() for w in t(key, lang=lang).split("|") if w.strip())
    return tuple(out)


def header_synonyms() -> dict[str, tuple[str, ...]]:
    """field → the headers it is known by."""
    return {f: _words(f"screening.hdr_{f}") for f in FIELDS}


def _value_map(prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in codes:
        for word in (c, *_words(f"{prefix}{c}")):
            out[word.lower()] = c
    return out


@dataclass
class Plan:
    """What the commit writes (the payload of the dry run)."""

    round_id: int
    digest: str
    filename: str
    columns: dict[str, str]
    rows: int = 0
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    retests: list[int] = field(default_factory=list)
    previous_import: dt.datetime | None = None


def summary(dry: imports.DryRun) -> dict[str, int]:
    """Rows to add / update / leave unchanged, and rows unmatched, duplicated, malformed, rejected."""
    out = {"add": len(dry.add), "update": len(dry.update), "unchanged": len(dry.unchanged)}
    for cat in ("unmatched", "duplicate", "malformed", "rejected"):
        out[cat] = len({i.row for i in dry.issues if CATEGORY.get(i.key) == cat})
    out["retests"] = len(dry.payload.retests) if dry.payload else 0
    return out


def _phone(value: str) -> str:
    return value.replace(" ", "").replace("-", "") if value else ""


_DATE_RE = (
    r"^\s*(?P<y>\d{4})\D{1,2}(?P<m>\d{1,2})\D{1,2}(?P<d>\d{1,2})\D*?"
    r"(?:(?P<H>\d{1,2})[:：.](?P<M>\d{1,2})(?:[:：.](?P<S>\d{1,2}))?)?\D*$"
)
_TIME_RE = r"^\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?\s*$"


def parse_moments(values: pd.Series, day: dt.date) -> pd.Series:
    """Sampling times as written by sampling systems and Excel (2022-05-29 08:31, 2022/5/29 8:31, 08:31 …).

    Empty cells give NaT and unreadable ones None, so the two can be told apart.
    """
    iso = pd.to_datetime(values, format="ISO8601", errors="coerce")  # the usual case, parsed in C
    out = list(iso.dt.to_pydatetime())
    empty = (values == "").tolist()
    rest = iso.isna() & ~(values == "")
    if rest.any():
        others = _parse_other(values[rest], day).tolist()
        for i, moment in zip(rest.to_numpy().nonzero()[0], others, strict=True):
            out[i] = moment
    out = [pd.NaT if e else m for m, e in zip(out, empty, strict=True)]
    return pd.Series(out, index=values.index, dtype=object)


def _parse_other(values: pd.Series, day: dt.date) -> pd.Series:
    full = values.str.extract(_DATE_RE)
    parts = pd.DataFrame(
        {
            "year": pd.to_numeric(full["y"], errors="coerce"),
            "month": pd.to_numeric(full["m"], errors="coerce"),
            "day": pd.to_numeric(full["d"], errors="coerce"),
            "hour": pd.to_numeric(full["H"], errors="coerce").fillna(0),
            "minute": pd.to_numeric(full["M"], errors="coerce").fillna(0),
            "second": pd.to_numeric(full["S"], errors="coerce").fillna(0),
        }
    )
    only_time = values.str.extract(_TIME_RE)
    has_time = only_time["H"].notna()
    parts.loc[has_time, ["year", "month", "day"]] = [day.year, day.month, day.day]
    for unit, col in (("hour", "H"), ("minute", "M"), ("second", "S")):
        parts.loc[has_time, unit] = pd.to_numeric(only_time.loc[has_time, col], errors="coerce").fillna(0)
    parsed = pd.to_datetime(parts, errors="coerce")
    out = pd.Series(parsed.dt.to_pydatetime(), index=values.index, dtype=object)
    out[parsed.isna()] = None
    return out


def _residents(session: Session, rnd: RoundInfo) -> tuple[dict, dict, set[int]]:
    """Lookups loaded in one query: ID number → resident, (phone, name) → residents; residents in scope."""
    in_scope = set(session.scalars(select(Building.id).where(scope_clause(session, rnd))))
    rows = session.connection().execute(
        select(Resident.id, Resident.id_number, Resident.phone, Resident.name, Building.grid_id, Building.id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
    )
    by_id: dict[str, tuple[int, int | None]] = {}
    by_phone_name: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
    scoped: set[int] = set()
    for rid, id_number, phone, name, grid_id, building_id in rows:
        if id_number:
            by_id[id_number.upper()] = (rid, grid_id)
        if phone and name:
            by_phone_name.setdefault((_phone(phone), name.strip()), []).append((rid, grid_id))
        if building_id in in_scope:
            scoped.add(rid)
    return by_id, by_phone_name, scoped


def _existing(session: Session, round_id: int) -> dict[int, tuple]:
    rows = session.execute(
        select(
            ScreeningResult.resident_id,
            ScreeningResult.id,
            ScreeningResult.sampled_at,
            ScreeningResult.method,
            ScreeningResult.tube_no,
            ScreeningResult.result,
            ScreeningResult.exempt_reason,
        ).where(ScreeningResult.round_id == round_id)
    ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def dry_run(
    session: Session,
    user: CurrentUser,
    round_id: int,
    data: bytes,
    filename: str,
    *,
    now: dt.datetime | None = None,
) -> imports.DryRun:
    """Read the file and say, row by row, what a commit would add, update, leave, or refuse and why."""
    roles.require(user, "screening.import", grid_id=user.grid_id if user.role == "grid_leader" else None)
    now = now or config.now(session)
    rnd = get_round(session, round_id)
    if rnd.date > now.date():
        raise ValidationError("common.future_date", date=rnd.date.isoformat())
    max_bytes = int(config.env().import_max_mb * 1_048_576)
    table = imports.read_table(data, filename, max_bytes=max_bytes)
    columns = imports.map_headers(table.columns, header_synonyms())
    if not ({"id_number"} <= set(columns) or {"name", "phone"} <= set(columns)):
        raise ValidationError(
            "screening.imp_no_columns",
            columns=", ".join(str(c) for c in table.columns[:8]),
            expected=" / ".join(_words("screening.hdr_id_number")[:2] + _words("screening.hdr_phone")[:1]),
        )
    digest = imports.file_digest(data)
    plan = Plan(round_id=rnd.id, digest=digest, filename=filename[:200], columns=columns, rows=len(table))
    plan.previous_import = session.scalar(
        select(ImportLog.at).where(ImportLog.kind == KIND, ImportLog.sha256 == digest).order_by(ImportLog.at)
    )
    dry = imports.DryRun(payload=plan, digest=digest)

    def col(name: str) -> pd.Series:
        return table[columns[name]] if name in columns else pd.Series("", index=table.index)

    results = _value_map("screening.val_", tuple(RESULT_RANK))
    methods = _value_map("screening.meth_", ("site", "door", "self"))
    moments = parse_moments(col("sampled_at"), rnd.date)
    default_method = "self" if rnd.kind == "antigen" else "site"
    by_id, by_phone_name, scoped = _residents(session, rnd)
    existing = _existing(session, rnd.id)
    retest_open = set(session.scalars(select(Retest.resident_id).where(Retest.round_id == rnd.id)))
    latest = min(now, dt.datetime.combine(rnd.date + dt.timedelta(days=1), dt.time(23, 59, 59)))
    earliest = dt.datetime.combine(rnd.date, dt.time(0, 0))
    seen: dict[int, int] = {}
    leader_grid = user.grid_id if user.role == "grid_leader" else None

    frame = pd.DataFrame(
        {
            "id_number": col("id_number").str.upper(),
            "name": col("name"),
            "phone": col("phone").str.replace(r"[\s\-]", "", regex=True),
            "tube_no": col("tube_no"),
            "result": col("result").str.lower(),
            "method": col("method").str.lower(),
            "moment": moments,
        }
    )
    for row, idn, name, phone, tube, res_text, meth_text, moment in frame.itertuples():
        issue = None
        if not idn and not (name and phone):
            issue = ("screening.imp_no_identity", {})
        elif res_text and res_text not in results:
            issue = ("screening.imp_bad_result", {"value": res_text[:20]})
        elif meth_text and meth_text not in methods:
            issue = ("screening.imp_bad_method", {"value": meth_text[:20]})
        elif moment is None:
            issue = ("screening.imp_bad_time", {"value": str(col("sampled_at")[row])[:30]})
        elif moment is not pd.NaT and moment > now:
            issue = ("screening.imp_future", {"value": moment.isoformat(sep=" ")})
        elif moment is not pd.NaT and not earliest <= moment <= latest:
            issue = (
                "screening.imp_wrong_day",
                {"value": moment.isoformat(sep=" "), "date": rnd.date.isoformat()},
            )
        elif len(tube) > 30:
            issue = ("screening.imp_too_long", {"field": t("screening.tube_no")})
        if issue:
            dry.issues.append(imports.RowIssue(row, issue[0], issue[1]))
            continue
        found = by_id.get(idn) if idn else None
        if found is None and name and phone:
            matches = by_phone_name.get((phone, name.strip()), [])
            if len(matches) > 1:
                dry.issues.append(imports.RowIssue(row, "screening.imp_ambiguous", {}))
                continue
            found = matches[0] if matches else None
        if found is None:
            dry.issues.append(imports.RowIssue(row, "screening.imp_unmatched", {}))
            continue
        resident_id, grid_id = found
        if leader_grid is not None and grid_id != leader_grid:
            dry.issues.append(
                imports.RowIssue(row, "screening.imp_other_grid", {"grid": user.grid_number or ""})
            )
            continue
        if resident_id not in scoped:
            dry.issues.append(imports.RowIssue(row, "screening.imp_out_of_scope", {}))
            continue
        if resident_id in seen:
            dry.issues.append(imports.RowIssue(row, "screening.imp_duplicate", {"first": seen[resident_id]}))
            continue
        seen[resident_id] = row
        result = results[res_text] if res_text else "pending"
        if result == "positive" and rnd.kind == "pcr":
            result = "abnormal"  # a pooled tube is 'abnormal'; positives come from single-tube retests
        method = methods[meth_text] if meth_text else default_method
        sampled_at = None if moment is pd.NaT else moment
        old = existing.get(resident_id)
        if old is None:
            plan.inserts.append(
                {
                    "round_id": rnd.id,
                    "resident_id": resident_id,
                    "sampled_at": sampled_at,
                    "method": method,
                    "tube_no": tube or None,
                    "result": result,
                    "exempt_reason": None,
                }
            )
            dry.add.append(row)
            final_result = result
        else:
            old_id, old_at, old_method, old_tube, old_result, old_reason = old
            final_result = max(result, old_result, key=RESULT_RANK.__getitem__)
            new = {
                "sampled_at": sampled_at or old_at,
                "method": old_method or method,
                "tube_no": tube or old_tube,
                "result": final_result,
                "exempt_reason": None if old_reason in OUT_OF_DUE else old_reason,
            }
            if new == dict(zip(new, (old_at, old_method, old_tube, old_result, old_reason), strict=True)):
                dry.unchanged.append(row)
            else:
                plan.updates.append({"b_id": old_id, **new})
                dry.update.append(row)
        if final_result in ("abnormal", "positive") and resident_id not in retest_open:
            plan.retests.append(resident_id)
            retest_open.add(resident_id)
    return dry


RESULT_COLUMNS = (
    "round_id",
    "resident_id",
    "sampled_at",
    "method",
    "tube_no",
    "result",
    "exempt_reason",
    "import_id",
)
COPY_RESULTS = "COPY screening_result (" + ", ".join(RESULT_COLUMNS) + ") FROM STDIN"


def _insert_results(session: Session, rows: list[dict]) -> None:
    """Insert result rows in the session's transaction: COPY on PostgreSQL (one statement per row
    there otherwise, ten times slower), one executemany elsewhere."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.dbapi_connection.cursor()
        with cursor.copy(COPY_RESULTS) as copy:
            for row in rows:
                copy.write_row([row[c] for c in RESULT_COLUMNS])
    else:
        connection.execute(insert(ScreeningResult.__table__), rows)


def import_results(
    session: Session,
    user: CurrentUser,
    round_id: int,
    data: bytes,
    filename: str,
    *,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> imports.DryRun:
    """Commit a file into a round in the caller's one transaction (all or nothing); the plan that was written."""
    now = now or config.now(session)
    dry = dry_run(session, user, round_id, data, filename, now=now)
    plan: Plan = dry.payload
    bad = summary(dry)["malformed"]
    if bad:
        raise ValidationError("screening.imp_has_errors", n=bad)
    total = len(plan.inserts) + len(plan.updates) + len(plan.retests)
    if total == 0:
        if progress:
            progress(1.0, t("screening.imp_nothing"))
        return dry
    log = ImportLog(
        kind=KIND,
        filename=plan.filename,
        sha256=plan.digest,
        rows_added=len(plan.inserts),
        rows_updated=len(plan.updates),
        at=now,
        user_id=user.id,
    )
    session.add(log)
    session.flush()
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(min(done / total, 1.0), t("screening.imp_progress", done=done, total=total))

    table = ScreeningResult.__table__
    for i in range(0, len(plan.inserts), CHUNK):
        chunk = [r | {"import_id": log.id} for r in plan.inserts[i : i + CHUNK]]
        _insert_results(session, chunk)
        step(len(chunk))
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            sampled_at=bindparam("sampled_at"),
            method=bindparam("method"),
            tube_no=bindparam("tube_no"),
            result=bindparam("result"),
            exempt_reason=bindparam("exempt_reason"),
            import_id=bindparam("import_id"),
        )
    )
    for i in range(0, len(plan.updates), CHUNK):
        chunk = [r | {"import_id": log.id} for r in plan.updates[i : i + CHUNK]]
        session.connection().execute(stmt, chunk)
        step(len(chunk))
    if plan.retests:
        session.execute(
            insert(Retest),
            [
                {
                    "round_id": plan.round_id,
                    "resident_id": r,
                    "opened_at": now,
                    "result": "pending",
                    "version": 1,
                }
                for r in plan.retests
            ],
        )
        step(len(plan.retests))
    audit.record(
        session,
        user,
        "screening.import",
        "import_log",
        log.id,
        grid_id=user.grid_id if user.role == "grid_leader" else None,
        after={"round_id": plan.round_id, "filename": plan.filename, "sha256": plan.digest, **summary(dry)},
        at=now,
    )
    return dry
