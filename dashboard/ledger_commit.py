"""The ledger's commit: the dry run repeated inside the caller's transaction, then compounds,
buildings, grids, households and residents written and audited, all or nothing; and whether a file
was imported before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, config
from dashboard.i18n import t
from dashboard.ledger_dry_run import LedgerPlan, _resident_changes, dry_run
from dashboard.ledger_sheet import KIND, RESIDENT_FIELDS, Progress
from dashboard.roles import CurrentUser, require
from db.models import Building, Compound, Grid, Household, ImportLog, Resident


@dataclass(frozen=True)
class LedgerResult:
    """What a commit wrote."""

    import_id: int
    compounds_added: int
    buildings_added: int
    households_added: int
    households_updated: int
    residents_added: int
    residents_updated: int
    grids_added: int


def already_imported(session: Session, digest: str) -> dt.datetime | None:
    """When this exact file was last imported as a ledger (None: never)."""
    return session.scalar(
        select(ImportLog.at)
        .where(ImportLog.kind == KIND, ImportLog.sha256 == digest)
        .order_by(ImportLog.at.desc())
    )


def commit(
    session: Session,
    user: CurrentUser,
    frame: pd.DataFrame,
    mapping: dict[str, str | None],
    *,
    filename: str,
    digest: str,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> LedgerResult:
    """Write the sheet in the caller's one transaction: compounds, buildings, grids, households, residents.

    The dry run is repeated inside the transaction, so what is written matches the database as it is
    now; rejected rows are left out (they were listed in the dry run).
    """
    require(user, "setup.edit")
    now = now or config.now(session)
    run = dry_run(session, user, frame, mapping)
    plan: LedgerPlan = run.payload
    report = progress or (lambda _f: None)
    counts = dict.fromkeys(("compounds", "buildings", "hh_add", "hh_upd", "res_add", "res_upd", "grids"), 0)
    log = ImportLog(kind=KIND, filename=(filename or "")[:200], sha256=digest, at=now, user_id=user.id)
    session.add(log)

    grids = {g.number: g for g in session.scalars(select(Grid))}
    for number in sorted(plan.new_grids):
        grid = Grid(number=number, name=t("setup.grid_default_name", n=number))
        session.add(grid)
        session.flush()
        grids[number] = grid
        audit.record(
            session,
            user,
            "ledger.grid_add",
            "grid",
            grid.id,
            grid_id=grid.id,
            after={"number": number, "name": grid.name},
            at=now,
        )
        counts["grids"] += 1

    compounds = {c.name: c for c in session.scalars(select(Compound))}
    for name, kind in plan.compounds.items():
        c = compounds.get(name)
        if c is None:
            c = compounds[name] = Compound(name=name[:100], kind=kind or "commodity")
            session.add(c)
            session.flush()
            audit.record(
                session,
                user,
                "ledger.compound_add",
                "compound",
                c.id,
                after={"name": c.name, "kind": c.kind},
                at=now,
            )
            counts["compounds"] += 1
        elif kind and c.kind != kind:
            audit.record(
                session,
                user,
                "ledger.compound_edit",
                "compound",
                c.id,
                before={"kind": c.kind},
                after={"kind": kind},
                at=now,
            )
            c.kind = kind

    buildings = {(b.compound.name, b.name): b for b in session.scalars(select(Building).join(Compound))}
    for (cname, bname), number in plan.buildings.items():
        b = buildings.get((cname, bname))
        grid_id = grids[number].id if number is not None else None
        if b is None:
            b = buildings[(cname, bname)] = Building(
                compound_id=compounds[cname].id, name=bname[:60], grid_id=grid_id
            )
            session.add(b)
            session.flush()
            audit.record(
                session,
                user,
                "ledger.building_add",
                "building",
                b.id,
                grid_id=grid_id,
                after={"compound_id": b.compound_id, "name": b.name, "grid_id": grid_id},
                at=now,
            )
            counts["buildings"] += 1
        elif grid_id is not None and b.grid_id != grid_id:
            audit.record(
                session,
                user,
                "setup.building_grid",
                "building",
                b.id,
                grid_id=grid_id,
                before={"grid_id": b.grid_id},
                after={"grid_id": grid_id},
                at=now,
            )
            b.grid_id = grid_id
    session.flush()
    report(0.1)

    total = max(1, len(plan.households))
    households = {h.id: h for h in session.scalars(select(Household))} if plan.households else {}
    residents = {r.id: r for r in session.scalars(select(Resident))} if plan.households else {}
    pending: list[tuple[str, Any, int | None, dict[str, Any]]] = []  # added rows, audited once they have ids

    def flush_and_audit() -> None:
        session.flush()
        for action, obj, grid_id, after in pending:
            table = "household" if isinstance(obj, Household) else "resident"
            if table == "resident":
                after = {"household_id": obj.household_id, **after}
            audit.record(session, user, action, table, obj.id, grid_id=grid_id, after=after, at=now)
        pending.clear()

    for i, hh in enumerate(plan.households.values(), start=1):
        building = buildings[hh.key[:2]]
        grid_id = building.grid_id
        if hh.existing_id is None:
            values = {"door": hh.key[2], "head_name": "", "is_rental": False} | hh.values
            if not values.get("head_name") and hh.residents:
                values["head_name"] = hh.residents[0]["name"]
            household = Household(building_id=building.id, room=hh.key[2][:30], **values)
            session.add(household)
            pending.append(("ledger.household_add", household, grid_id,
                            {"building_id": building.id, "room": household.room, **values}))  # fmt: skip
            counts["hh_add"] += 1
            if any(r["existing_id"] is not None for r in hh.residents):
                session.flush()  # a resident moves in: the new household needs its id now
        else:
            household = households[hh.existing_id]
            diff = {f: v for f, v in hh.values.items() if getattr(household, f) != v}
            if diff:
                audit.record(
                    session, user, "ledger.household_edit", "household", household.id, grid_id=grid_id,
                    before={f: getattr(household, f) for f in diff}, after=diff, at=now,
                )  # fmt: skip
                for f, v in diff.items():
                    setattr(household, f, v)
                counts["hh_upd"] += 1
        for res in hh.residents:
            fields = {f: res[f] for f in RESIDENT_FIELDS}
            if res["existing_id"] is None:
                resident = Resident(household=household, **fields)
                session.add(resident)
                pending.append(("ledger.resident_add", resident, grid_id, {"name": resident.name}))
                counts["res_add"] += 1
            elif res["status"] == "update":
                resident = residents[res["existing_id"]]
                changes = _resident_changes(resident, res, household.id, plan.mapped)
                hidden = {"phone", "id_number"}
                audit.record(
                    session, user, "ledger.resident_edit", "resident", resident.id, grid_id=grid_id,
                    before={f: getattr(resident, f) for f in changes if f not in hidden},
                    after={f: v for f, v in changes.items() if f not in hidden}
                    | {f: "changed" for f in changes if f in hidden},
                    at=now,
                )  # fmt: skip
                for f, v in changes.items():
                    setattr(resident, f, v)
                counts["res_upd"] += 1
        if i % 100 == 0:
            flush_and_audit()
            report(0.1 + 0.85 * i / total)
    flush_and_audit()
    log.rows_added = len(run.add)
    log.rows_updated = len(run.update)
    result = LedgerResult(
        import_id=log.id,
        compounds_added=counts["compounds"],
        buildings_added=counts["buildings"],
        households_added=counts["hh_add"],
        households_updated=counts["hh_upd"],
        residents_added=counts["res_add"],
        residents_updated=counts["res_upd"],
        grids_added=counts["grids"],
    )
    audit.record(session, user, "ledger.import", "import_log", log.id, after={
        "filename": log.filename, **run.summary(), **{k: v for k, v in result.__dict__.items() if k != "import_id"},
    }, at=now)  # fmt: skip
    report(1.0)
    return result
