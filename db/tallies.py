"""Tallies kept by the database itself (db/models/tallies.py): triggers update them in the
transaction of every write to the records they count, whichever code writes — a page, an import,
the command line or a hand-made SQL fix.

- building_tally: residents and bedridden residents per building (resident inserted, deleted, moved
  to another household, bedridden changed; household moved to another building);
- round_tally: plain screening results (neither an exemption nor a door-to-door sample) per round,
  building and day sampled (result inserted, deleted or changed; resident or household moved);
- delivery_tally: a supply batch's delivery rows per building, day and outcome (db/tallies_deliveries.py);
- household_tally: households per building (db/tallies_households.py).

SQLite has row triggers only; PostgreSQL's are statement triggers over transition tables, so an
import or a COPY of thousands of rows updates the tallies with one grouped statement.
install() creates the triggers, drop() removes them (the seed loads its bulk without them, then
rebuild()s and install()s), rebuild() recounts every tally from the records.

Reads of a tally depend on the tables it counts (db/versions.DERIVED): the triggers' writes are not
seen by the statement listener, the writes to the records are.
"""

from __future__ import annotations

# ruff: noqa: S608 - the SQL below is assembled from this module's constants only, never from input
from sqlalchemy import Connection

from db import tallies_deliveries, tallies_households
from db.tally_sql import changed, create_triggers, drop_triggers, pg_function, pg_trigger

# The tallies by part: the screening ones here (building_tally, round_tally), the delivery tally in
# db/tallies_deliveries.py, the household tally in db/tallies_households.py. Each migration installs
# its own part; the seed and the tests all of them.
PARTS = ("screening", "deliveries", "households")

TRIGGERS = {
    "screening_result": ("tally_result_insert", "tally_result_delete", "tally_result_update"),
    "resident": ("tally_resident_insert", "tally_resident_delete", "tally_resident_update"),
    "household": ("tally_household_update",),
}


def _plain(alias: str) -> str:
    return f"({alias}.exempt_reason IS NULL AND COALESCE({alias}.method, '') <> 'door')"


# --- SQLite: row triggers --------------------------------------------------------------------

_SQ_DAY = "COALESCE(date({a}.sampled_at), '0001-01-01')"
_SQ_BUILDING_OF = (
    "(SELECT h.building_id FROM resident x JOIN household h ON h.id = x.household_id WHERE x.id = {r})"
)


def _sq_result_add(a: str, sign: str) -> str:
    """Add (sign '+') or take away (sign '-') the result row a (NEW or OLD) from round_tally."""
    if sign == "+":
        return f"""
  INSERT INTO round_tally (round_id, building_id, counts_from, results)
  SELECT {a}.round_id, h.building_id, {_SQ_DAY.format(a=a)}, 1
  FROM resident x JOIN household h ON h.id = x.household_id
  WHERE x.id = {a}.resident_id AND {_plain(a)}
  ON CONFLICT (round_id, building_id, counts_from) DO UPDATE SET results = round_tally.results + 1;"""
    return f"""
  UPDATE round_tally SET results = results - 1
  WHERE {_plain(a)} AND round_id = {a}.round_id AND counts_from = {_SQ_DAY.format(a=a)}
    AND building_id = {_SQ_BUILDING_OF.format(r=f"{a}.resident_id")};"""


def _sq_resident(a: str, sign: str) -> str:
    """Add or take away resident a (NEW or OLD) from its building's tally, with its plain results."""
    bedridden = f"CASE WHEN {a}.is_bedridden THEN 1 ELSE 0 END"
    results = f"""
  SELECT r.round_id, h.building_id, {_SQ_DAY.format(a="r")} AS day, count(*) AS n
  FROM screening_result r JOIN household h ON h.id = {a}.household_id
  WHERE r.resident_id = {a}.id AND {_plain("r")}
  GROUP BY r.round_id, h.building_id, day"""
    if sign == "+":
        return f"""
  INSERT INTO building_tally (building_id, residents, bedridden)
  SELECT h.building_id, 1, {bedridden} FROM household h WHERE h.id = {a}.household_id
  ON CONFLICT (building_id) DO UPDATE SET residents = building_tally.residents + 1,
    bedridden = building_tally.bedridden + excluded.bedridden;
  INSERT INTO round_tally (round_id, building_id, counts_from, results)
  SELECT * FROM ({results}) WHERE true
  ON CONFLICT (round_id, building_id, counts_from)
    DO UPDATE SET results = round_tally.results + excluded.results;"""
    return f"""
  UPDATE building_tally SET residents = residents - 1, bedridden = bedridden - {bedridden}
  WHERE building_id = (SELECT building_id FROM household WHERE id = {a}.household_id);
  UPDATE round_tally SET results = results - (
    SELECT d.n FROM ({results}) d
    WHERE d.round_id = round_tally.round_id AND d.day = round_tally.counts_from)
  WHERE building_id = (SELECT building_id FROM household WHERE id = {a}.household_id)
    AND (round_id, counts_from) IN (SELECT round_id, day FROM ({results}));"""


def _sq_household(a: str, sign: str) -> str:
    """Add or take away the residents of household a (NEW or OLD) and their plain results."""
    results = f"""
  SELECT r.round_id, {_SQ_DAY.format(a="r")} AS day, count(*) AS n
  FROM screening_result r JOIN resident x ON x.id = r.resident_id
  WHERE x.household_id = {a}.id AND {_plain("r")}
  GROUP BY r.round_id, day"""
    people = f"SELECT count(*) AS n, coalesce(sum(CASE WHEN is_bedridden THEN 1 ELSE 0 END), 0) AS b FROM resident WHERE household_id = {a}.id"
    if sign == "+":
        return f"""
  INSERT INTO building_tally (building_id, residents, bedridden)
  SELECT {a}.building_id, p.n, p.b FROM ({people}) p WHERE true
  ON CONFLICT (building_id) DO UPDATE SET residents = building_tally.residents + excluded.residents,
    bedridden = building_tally.bedridden + excluded.bedridden;
  INSERT INTO round_tally (round_id, building_id, counts_from, results)
  SELECT d.round_id, {a}.building_id, d.day, d.n FROM ({results}) d WHERE true
  ON CONFLICT (round_id, building_id, counts_from)
    DO UPDATE SET results = round_tally.results + excluded.results;"""
    return f"""
  UPDATE building_tally SET residents = residents - (SELECT n FROM ({people})),
    bedridden = bedridden - (SELECT b FROM ({people}))
  WHERE building_id = {a}.building_id;
  UPDATE round_tally SET results = results - (
    SELECT d.n FROM ({results}) d
    WHERE d.round_id = round_tally.round_id AND d.day = round_tally.counts_from)
  WHERE building_id = {a}.building_id
    AND (round_id, counts_from) IN (SELECT round_id, day FROM ({results}));"""


def _sqlite_triggers() -> list[str]:
    moved = "OLD.household_id IS NOT NEW.household_id OR OLD.is_bedridden IS NOT NEW.is_bedridden"
    result_changed = " OR ".join(
        f"OLD.{c} IS NOT NEW.{c}"
        for c in ("round_id", "resident_id", "sampled_at", "method", "exempt_reason")
    )
    return [
        "CREATE TRIGGER tally_result_insert AFTER INSERT ON screening_result BEGIN"
        + _sq_result_add("NEW", "+")
        + "\nEND",
        "CREATE TRIGGER tally_result_delete AFTER DELETE ON screening_result BEGIN"
        + _sq_result_add("OLD", "-")
        + "\nEND",
        "CREATE TRIGGER tally_result_update AFTER UPDATE OF round_id, resident_id, sampled_at, method, "
        f"exempt_reason ON screening_result WHEN {result_changed} BEGIN"
        + _sq_result_add("OLD", "-")
        + _sq_result_add("NEW", "+")
        + "\nEND",
        "CREATE TRIGGER tally_resident_insert AFTER INSERT ON resident BEGIN"
        + _sq_resident("NEW", "+")
        + "\nEND",
        "CREATE TRIGGER tally_resident_delete AFTER DELETE ON resident BEGIN"
        + _sq_resident("OLD", "-")
        + "\nEND",
        f"CREATE TRIGGER tally_resident_update AFTER UPDATE OF household_id, is_bedridden ON resident WHEN {moved} BEGIN"
        + _sq_resident("OLD", "-")
        + _sq_resident("NEW", "+")
        + "\nEND",
        "CREATE TRIGGER tally_household_update AFTER UPDATE OF building_id ON household "
        "WHEN OLD.building_id IS NOT NEW.building_id BEGIN"
        + _sq_household("OLD", "-")
        + _sq_household("NEW", "+")
        + "\nEND",
    ]


# --- PostgreSQL: statement triggers over transition tables -----------------------------------

_PG_DAY = "COALESCE({a}.sampled_at::date, DATE '0001-01-01')"


def _pg_results(rows: str, sign: str) -> str:
    """Add or take away the plain result rows of transition table rows."""
    grouped = f"""
    SELECT r.round_id, h.building_id, {_PG_DAY.format(a="r")} AS day, count(*) AS n
    FROM {rows} r JOIN resident x ON x.id = r.resident_id JOIN household h ON h.id = x.household_id
    WHERE {_plain("r")} GROUP BY 1, 2, 3"""
    return _pg_apply_results(grouped, sign)


def _pg_apply_results(grouped: str, sign: str) -> str:
    """Apply grouped (round_id, building_id, day, n) to round_tally, adding or taking away."""
    if sign == "+":
        return f"""
  INSERT INTO round_tally (round_id, building_id, counts_from, results)
  SELECT round_id, building_id, day, n FROM ({grouped}) g
  ON CONFLICT (round_id, building_id, counts_from)
    DO UPDATE SET results = round_tally.results + EXCLUDED.results;"""
    return f"""
  UPDATE round_tally t SET results = t.results - g.n FROM ({grouped}) g
  WHERE t.round_id = g.round_id AND t.building_id = g.building_id AND t.counts_from = g.day;"""


def _pg_residents(rows: str, sign: str) -> str:
    """Add or take away the residents of transition table rows (and their plain results)."""
    grouped = f"""
    SELECT h.building_id, count(*) AS n, sum(CASE WHEN x.is_bedridden THEN 1 ELSE 0 END) AS b
    FROM {rows} x JOIN household h ON h.id = x.household_id GROUP BY 1"""
    if sign == "+":
        sql = f"""
  INSERT INTO building_tally (building_id, residents, bedridden)
  SELECT building_id, n, b FROM ({grouped}) g
  ON CONFLICT (building_id) DO UPDATE SET residents = building_tally.residents + EXCLUDED.residents,
    bedridden = building_tally.bedridden + EXCLUDED.bedridden;"""
    else:
        sql = f"""
  UPDATE building_tally t SET residents = t.residents - g.n, bedridden = t.bedridden - g.b
  FROM ({grouped}) g WHERE t.building_id = g.building_id;"""
    results = f"""
    SELECT r.round_id, h.building_id, {_PG_DAY.format(a="r")} AS day, count(*) AS n
    FROM {rows} x JOIN household h ON h.id = x.household_id
    JOIN screening_result r ON r.resident_id = x.id
    WHERE {_plain("r")} GROUP BY 1, 2, 3"""
    return sql + _pg_apply_results(results, sign)


def _pg_households(rows: str, sign: str) -> str:
    """Add or take away the residents (and their plain results) of households in transition table rows."""
    people = f"""
    SELECT hh.building_id, count(*) AS n, sum(CASE WHEN x.is_bedridden THEN 1 ELSE 0 END) AS b
    FROM {rows} hh JOIN resident x ON x.household_id = hh.id GROUP BY 1"""
    results = f"""
    SELECT r.round_id, hh.building_id, {_PG_DAY.format(a="r")} AS day, count(*) AS n
    FROM {rows} hh JOIN resident x ON x.household_id = hh.id
    JOIN screening_result r ON r.resident_id = x.id
    WHERE {_plain("r")} GROUP BY 1, 2, 3"""
    if sign == "+":
        sql = f"""
  INSERT INTO building_tally (building_id, residents, bedridden)
  SELECT building_id, n, b FROM ({people}) g
  ON CONFLICT (building_id) DO UPDATE SET residents = building_tally.residents + EXCLUDED.residents,
    bedridden = building_tally.bedridden + EXCLUDED.bedridden;"""
    else:
        sql = f"""
  UPDATE building_tally t SET residents = t.residents - g.n, bedridden = t.bedridden - g.b
  FROM ({people}) g WHERE t.building_id = g.building_id;"""
    return sql + _pg_apply_results(results, sign)


def _postgresql_triggers() -> list[str]:
    result_cols = ("round_id", "resident_id", "sampled_at", "method", "exempt_reason")
    resident_cols = ("household_id", "is_bedridden")
    both = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
    return [
        pg_function("tally_result_insert", _pg_results("new_rows", "+")),
        pg_trigger("tally_result_insert", "screening_result", "INSERT", "NEW TABLE AS new_rows"),
        pg_function("tally_result_delete", _pg_results("old_rows", "-")),
        pg_trigger("tally_result_delete", "screening_result", "DELETE", "OLD TABLE AS old_rows"),
        pg_function(
            "tally_result_update",
            _pg_results(changed(result_cols, "o"), "-") + _pg_results(changed(result_cols, "n"), "+"),
        ),
        pg_trigger("tally_result_update", "screening_result", "UPDATE", both),
        pg_function("tally_resident_insert", _pg_residents("new_rows", "+")),
        pg_trigger("tally_resident_insert", "resident", "INSERT", "NEW TABLE AS new_rows"),
        pg_function("tally_resident_delete", _pg_residents("old_rows", "-")),
        pg_trigger("tally_resident_delete", "resident", "DELETE", "OLD TABLE AS old_rows"),
        pg_function(
            "tally_resident_update",
            _pg_residents(changed(resident_cols, "o"), "-") + _pg_residents(changed(resident_cols, "n"), "+"),
        ),
        pg_trigger("tally_resident_update", "resident", "UPDATE", both),
        pg_function(
            "tally_household_update",
            _pg_households(changed(("building_id",), "o"), "-")
            + _pg_households(changed(("building_id",), "n"), "+"),
        ),
        pg_trigger("tally_household_update", "household", "UPDATE", both),
    ]


# --- install, drop, rebuild ------------------------------------------------------------------


def install(connection: Connection, parts: tuple[str, ...] = PARTS) -> None:
    """Create the triggers of the tallies of parts (after drop(), or on a database that has none)."""
    if "screening" in parts:
        create_triggers(connection, _sqlite_triggers, _postgresql_triggers)
    if "deliveries" in parts:
        tallies_deliveries.install(connection)
    if "households" in parts:
        tallies_households.install(connection)


def drop(connection: Connection, parts: tuple[str, ...] = PARTS) -> None:
    """Remove the triggers (the tallies stop following the records until rebuild() and install())."""
    if "screening" in parts:
        drop_triggers(connection, TRIGGERS)
    if "deliveries" in parts:
        tallies_deliveries.drop(connection)
    if "households" in parts:
        tallies_households.drop(connection)


def rebuild(connection: Connection, parts: tuple[str, ...] = PARTS) -> None:
    """Count every tally of parts again from the records."""
    if "deliveries" in parts:
        tallies_deliveries.rebuild(connection)
    if "households" in parts:
        tallies_households.rebuild(connection)
    if "screening" not in parts:
        return
    day = (_PG_DAY if connection.dialect.name == "postgresql" else _SQ_DAY).format(a="r")
    connection.exec_driver_sql("DELETE FROM building_tally")
    connection.exec_driver_sql("DELETE FROM round_tally")
    connection.exec_driver_sql(
        "INSERT INTO building_tally (building_id, residents, bedridden) "
        "SELECT h.building_id, count(*), sum(CASE WHEN x.is_bedridden THEN 1 ELSE 0 END) "
        "FROM resident x JOIN household h ON h.id = x.household_id GROUP BY h.building_id"
    )
    connection.exec_driver_sql(
        "INSERT INTO round_tally (round_id, building_id, counts_from, results) "
        f"SELECT r.round_id, h.building_id, {day} AS day, count(*) "
        "FROM screening_result r JOIN resident x ON x.id = r.resident_id "
        "JOIN household h ON h.id = x.household_id "
        f"WHERE {_plain('r')} GROUP BY r.round_id, h.building_id, day"
    )
