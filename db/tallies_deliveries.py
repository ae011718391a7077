"""The delivery tally (db/models/tallies.py DeliveryTally), kept by triggers as db/tallies.py keeps
the screening ones: a supply batch's delivery rows per building of the household visited, day of
the visit (the row's `at`) and outcome, counting households and the portions recorded.

A batch holds one delivery row per household (its last visit), so the households a batch reached
by the end of a day are the rows 'delivered' on that day or before: the coverage figures read a few
thousand tally rows instead of every household and delivery (dashboard/supply_coverage.py).

Triggers: a delivery inserted, deleted or changed (batch, household, outcome, portions, time); a
household moved to another building. SQLite row triggers; PostgreSQL statement triggers over
transition tables.
"""

from __future__ import annotations

# ruff: noqa: S608 - the SQL below is assembled from this module's constants only, never from input
from sqlalchemy import Connection

from db.tally_sql import changed, create_triggers, drop_triggers, pg_function, pg_trigger

TRIGGERS = {
    "delivery": ("tally_delivery_insert", "tally_delivery_delete", "tally_delivery_update"),
    "household": ("tally_delivery_household_update",),
}

_COUNTED = ("batch_id", "household_id", "status", "portions", "at")
_KEY = "(batch_id, building_id, day, status)"
_ADD = (
    f"ON CONFLICT {_KEY} DO UPDATE SET households = delivery_tally.households + {{x}}.households, "
    "portions = delivery_tally.portions + {x}.portions;"
)


# --- SQLite: row triggers --------------------------------------------------------------------


def _sq_delivery(a: str, sign: str) -> str:
    """Add (sign '+') or take away (sign '-') the delivery row a (NEW or OLD)."""
    if sign == "+":
        return f"""
  INSERT INTO delivery_tally (batch_id, building_id, day, status, households, portions)
  SELECT {a}.batch_id, h.building_id, date({a}.at), {a}.status, 1, {a}.portions
  FROM household h WHERE h.id = {a}.household_id
  {_ADD.format(x="excluded")}"""
    return f"""
  UPDATE delivery_tally SET households = households - 1, portions = portions - {a}.portions
  WHERE batch_id = {a}.batch_id AND day = date({a}.at) AND status = {a}.status
    AND building_id = (SELECT building_id FROM household WHERE id = {a}.household_id);"""


def _sq_household(a: str, sign: str) -> str:
    """Add or take away the delivery rows of household a (NEW or OLD) in its building."""
    grouped = f"""
    SELECT d.batch_id, date(d.at) AS day, d.status, count(*) AS n, sum(d.portions) AS p
    FROM delivery d WHERE d.household_id = {a}.id GROUP BY d.batch_id, day, d.status"""
    if sign == "+":
        return f"""
  INSERT INTO delivery_tally (batch_id, building_id, day, status, households, portions)
  SELECT g.batch_id, {a}.building_id, g.day, g.status, g.n, g.p FROM ({grouped}) g WHERE true
  ON CONFLICT {_KEY} DO UPDATE SET households = delivery_tally.households + excluded.households,
    portions = delivery_tally.portions + excluded.portions;"""
    match = (
        "g.batch_id = delivery_tally.batch_id AND g.day = delivery_tally.day "
        "AND g.status = delivery_tally.status"
    )
    return f"""
  UPDATE delivery_tally SET
    households = households - (SELECT g.n FROM ({grouped}) g WHERE {match}),
    portions = portions - (SELECT g.p FROM ({grouped}) g WHERE {match})
  WHERE building_id = {a}.building_id
    AND (batch_id, day, status) IN (SELECT batch_id, day, status FROM ({grouped}));"""


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _COUNTED)
    return [
        "CREATE TRIGGER tally_delivery_insert AFTER INSERT ON delivery BEGIN"
        + _sq_delivery("NEW", "+")
        + "\nEND",
        "CREATE TRIGGER tally_delivery_delete AFTER DELETE ON delivery BEGIN"
        + _sq_delivery("OLD", "-")
        + "\nEND",
        f"CREATE TRIGGER tally_delivery_update AFTER UPDATE OF {', '.join(_COUNTED)} ON delivery "
        f"WHEN {changed} BEGIN" + _sq_delivery("OLD", "-") + _sq_delivery("NEW", "+") + "\nEND",
        "CREATE TRIGGER tally_delivery_household_update AFTER UPDATE OF building_id ON household "
        "WHEN OLD.building_id IS NOT NEW.building_id BEGIN"
        + _sq_household("OLD", "-")
        + _sq_household("NEW", "+")
        + "\nEND",
    ]


# --- PostgreSQL: statement triggers over transition tables -----------------------------------


def _pg_apply(grouped: str, sign: str) -> str:
    """Apply grouped rows (batch_id, building_id, day, status, n, p) to the tally."""
    if sign == "+":
        return f"""
  INSERT INTO delivery_tally (batch_id, building_id, day, status, households, portions)
  SELECT batch_id, building_id, day, status, n, p FROM ({grouped}) g
  ON CONFLICT {_KEY} DO UPDATE SET households = delivery_tally.households + EXCLUDED.households,
    portions = delivery_tally.portions + EXCLUDED.portions;"""
    return f"""
  UPDATE delivery_tally t SET households = t.households - g.n, portions = t.portions - g.p
  FROM ({grouped}) g WHERE t.batch_id = g.batch_id AND t.building_id = g.building_id
    AND t.day = g.day AND t.status = g.status;"""


def _pg_deliveries(rows: str, sign: str) -> str:
    """Add or take away the delivery rows of a transition table."""
    return _pg_apply(
        f"""
    SELECT d.batch_id, h.building_id, d.at::date AS day, d.status, count(*) AS n, sum(d.portions) AS p
    FROM {rows} d JOIN household h ON h.id = d.household_id GROUP BY 1, 2, 3, 4""",
        sign,
    )


def _pg_households(rows: str, sign: str) -> str:
    """Add or take away the delivery rows of the households of a transition table."""
    return _pg_apply(
        f"""
    SELECT d.batch_id, hh.building_id, d.at::date AS day, d.status, count(*) AS n, sum(d.portions) AS p
    FROM {rows} hh JOIN delivery d ON d.household_id = hh.id GROUP BY 1, 2, 3, 4""",
        sign,
    )


def _postgresql_triggers() -> list[str]:
    both = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
    return [
        pg_function("tally_delivery_insert", _pg_deliveries("new_rows", "+")),
        pg_trigger("tally_delivery_insert", "delivery", "INSERT", "NEW TABLE AS new_rows"),
        pg_function("tally_delivery_delete", _pg_deliveries("old_rows", "-")),
        pg_trigger("tally_delivery_delete", "delivery", "DELETE", "OLD TABLE AS old_rows"),
        pg_function(
            "tally_delivery_update",
            _pg_deliveries(changed(_COUNTED, "o"), "-") + _pg_deliveries(changed(_COUNTED, "n"), "+"),
        ),
        pg_trigger("tally_delivery_update", "delivery", "UPDATE", both),
        pg_function(
            "tally_delivery_household_update",
            _pg_households(changed(("building_id",), "o"), "-")
            + _pg_households(changed(("building_id",), "n"), "+"),
        ),
        pg_trigger("tally_delivery_household_update", "household", "UPDATE", both),
    ]


# --- install, drop, rebuild ------------------------------------------------------------------


def install(connection: Connection) -> None:
    """Create the triggers."""
    create_triggers(connection, _sqlite_triggers, _postgresql_triggers)


def drop(connection: Connection) -> None:
    """Remove the triggers (the tally stops following the deliveries until rebuild() and install())."""
    drop_triggers(connection, TRIGGERS)


def rebuild(connection: Connection) -> None:
    """Count the tally again from the deliveries."""
    day = "d.at::date" if connection.dialect.name == "postgresql" else "date(d.at)"
    connection.exec_driver_sql("DELETE FROM delivery_tally")
    connection.exec_driver_sql(
        "INSERT INTO delivery_tally (batch_id, building_id, day, status, households, portions) "
        f"SELECT d.batch_id, h.building_id, {day} AS day, d.status, count(*), sum(d.portions) "
        "FROM delivery d JOIN household h ON h.id = d.household_id "
        "GROUP BY d.batch_id, h.building_id, day, d.status"
    )
