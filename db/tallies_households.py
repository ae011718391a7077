"""The household tally (db/models/tallies.py HouseholdTally), kept by triggers as db/tallies.py keeps
the screening ones: how many households each building has.

The map's building layer and its tooltips show it for every building; counting the households again
on every cold read costs SQLite as much as reading the buildings themselves.

Triggers: a household inserted, deleted or moved to another building. SQLite row triggers;
PostgreSQL statement triggers over transition tables (an import of thousands of households updates
the tally with one grouped statement).
"""

from __future__ import annotations

# ruff: noqa: S608 - the SQL below is assembled from this module's constants only, never from input
from sqlalchemy import Connection

from db.tally_sql import changed, create_triggers, drop_triggers, pg_function, pg_trigger

TRIGGERS = {
    "household": (
        "tally_households_insert",
        "tally_households_delete",
        "tally_households_update",
    ),
}

_ADD = "ON CONFLICT (building_id) DO UPDATE SET households = household_tally.households + {x}.households;"


# --- SQLite: row triggers --------------------------------------------------------------------


def _sq_household(a: str, sign: str) -> str:
    """Add (sign '+') or take away (sign '-') the household row a (NEW or OLD) in its building."""
    if sign == "+":
        return f"""
  INSERT INTO household_tally (building_id, households) VALUES ({a}.building_id, 1)
  {_ADD.format(x="excluded")}"""
    return f"""
  UPDATE household_tally SET households = households - 1 WHERE building_id = {a}.building_id;"""


def _sqlite_triggers() -> list[str]:
    return [
        "CREATE TRIGGER tally_households_insert AFTER INSERT ON household BEGIN"
        + _sq_household("NEW", "+")
        + "\nEND",
        "CREATE TRIGGER tally_households_delete AFTER DELETE ON household BEGIN"
        + _sq_household("OLD", "-")
        + "\nEND",
        "CREATE TRIGGER tally_households_update AFTER UPDATE OF building_id ON household "
        "WHEN OLD.building_id IS NOT NEW.building_id BEGIN"
        + _sq_household("OLD", "-")
        + _sq_household("NEW", "+")
        + "\nEND",
    ]


# --- PostgreSQL: statement triggers over transition tables -----------------------------------


def _pg_households(rows: str, sign: str) -> str:
    """Add or take away the households of a transition table, grouped per building."""
    grouped = f"SELECT building_id, count(*) AS households FROM {rows} hh GROUP BY 1"
    if sign == "+":
        return f"""
  INSERT INTO household_tally (building_id, households) SELECT building_id, households FROM ({grouped}) g
  {_ADD.format(x="EXCLUDED")}"""
    return f"""
  UPDATE household_tally t SET households = t.households - g.households
  FROM ({grouped}) g WHERE t.building_id = g.building_id;"""


def _postgresql_triggers() -> list[str]:
    both = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
    return [
        pg_function("tally_households_insert", _pg_households("new_rows", "+")),
        pg_trigger("tally_households_insert", "household", "INSERT", "NEW TABLE AS new_rows"),
        pg_function("tally_households_delete", _pg_households("old_rows", "-")),
        pg_trigger("tally_households_delete", "household", "DELETE", "OLD TABLE AS old_rows"),
        pg_function(
            "tally_households_update",
            _pg_households(changed(("building_id",), "o"), "-")
            + _pg_households(changed(("building_id",), "n"), "+"),
        ),
        pg_trigger("tally_households_update", "household", "UPDATE", both),
    ]


# --- install, drop, rebuild ------------------------------------------------------------------


def install(connection: Connection) -> None:
    """Create the triggers."""
    create_triggers(connection, _sqlite_triggers, _postgresql_triggers)


def drop(connection: Connection) -> None:
    """Remove the triggers (the tally stops following the households until rebuild() and install())."""
    drop_triggers(connection, TRIGGERS)


def rebuild(connection: Connection) -> None:
    """Count the tally again from the households."""
    connection.exec_driver_sql("DELETE FROM household_tally")
    connection.exec_driver_sql(
        "INSERT INTO household_tally (building_id, households) "
        "SELECT building_id, count(*) FROM household GROUP BY building_id"
    )
