"""The Huamei story in numbers: every fact the demo data must reproduce, in one place.

Other modules (and the tests) import these constants instead of repeating the figures.
"""

from __future__ import annotations

import datetime as dt

# --- the committee ----------------------------------------------------------------------------
COMMITTEE_NAME = "华美居民区"
STREET = "新虹街道"
DISTRICT = "闵行区"
CITY = "上海市"
COMMITTEE_ADDRESS = "上海市闵行区华美路588号"
CENTER_LAT = 31.1900
CENTER_LON = 121.3300
REGION_CODE = "310112"  # Minhang district, the first six digits of every demo ID number

# --- the calendar -----------------------------------------------------------------------------
FIRST_DAY = dt.date(2022, 4, 1)
DEMO_TODAY = dt.date(2022, 5, 29)
PEAK_DATE = dt.date(2022, 4, 5)
PEAK_COUNT = 21
LAST_POSITIVE = dt.date(2022, 5, 7)
ZERO_STREAK_DAYS = (DEMO_TODAY - LAST_POSITIVE).days  # 22: 05-08 .. 05-29 without a new positive

# --- the population (per area; scale N multiplies) --------------------------------------------
HOUSEHOLDS = 2969
RESIDENTS = 7500
COMPOUNDS = 14
GRIDS = 10
COMMITTEE_STAFF = 12
CADRES = 33
INNER_FIELD = 6
PROPERTY_STAFF = 3
GUARDS = 12
LARGE_HOUSEHOLD = 6  # people; such a household gets LARGE_PORTIONS portions
LARGE_PORTIONS = 2

# --- screening --------------------------------------------------------------------------------
PCR_ROUNDS = 51
ANTIGEN_ROUNDS = 70
POOL_SIZE = 10
# Days without a PCR round (59 days - 8 = 51 rounds); May relaxed to antigen-only days.
PCR_SKIP_DAYS = tuple(dt.date(2022, 5, d) for d in (8, 11, 14, 17, 21, 24, 26, 28))
# PCR rounds limited to the sealed buildings (单管单检 of the sealed zone only).
SEALED_PCR_DAYS = (
    dt.date(2022, 4, 23),
    dt.date(2022, 4, 27),
    dt.date(2022, 5, 2),
    dt.date(2022, 5, 6),
    dt.date(2022, 5, 10),
)
# Days with a second (evening) antigen round: 59 + 11 = 70 antigen rounds.
DOUBLE_ANTIGEN_DAYS = tuple(dt.date(2022, 4, d) for d in range(3, 14))

# --- the outbreak -----------------------------------------------------------------------------
# New positives per day (by found_on). Rises from 1 April, peaks on PEAK_DATE, the last on 7 May.
_CURVE = (
    3, 6, 9, 14, 21, 17, 15, 12, 11, 9,  # 04-01 .. 04-10
    8, 7, 6, 6, 5, 5, 4, 4, 3, 3,  # 04-11 .. 04-20
    3, 2, 2, 2, 1, 2, 1, 1, 0, 1,  # 04-21 .. 04-30
    1, 0, 1, 0, 0, 0, 1,  # 05-01 .. 05-07
)  # fmt: skip
DAILY_NEW_CASES: dict[dt.date, int] = {FIRST_DAY + dt.timedelta(days=i): n for i, n in enumerate(_CURVE)}
TOTAL_CASES = sum(_CURVE)
# The surge outran the transfer buses: the last cases of these days left on TRANSFER_CATCH_UP.
TRANSFER_BACKLOG = {dt.date(2022, 4, 5): 6, dt.date(2022, 4, 6): 6}
TRANSFER_CATCH_UP = dt.date(2022, 4, 7)
LATE_TRANSFERS = 5  # further cases between 04-08 and 04-25 that waited 24-30 h

# --- services ---------------------------------------------------------------------------------
HOSPITAL_RUN_WEEKDAYS = (1, 4)  # Tuesday, Friday (Monday = 0)
FIRST_HOSPITAL_RUN = dt.date(2022, 4, 5)
LAST_HOSPITAL_RUN = dt.date(2022, 5, 27)
# The next run (Tuesday), planned and not yet driven on DEMO_TODAY: the open requests are in it.
NEXT_HOSPITAL_RUN = dt.date(2022, 5, 31)
# The guard post left empty for a few hours (first open entrance of area 1): the gap check finds it.
GUARD_GAP = (dt.datetime(2022, 5, 20, 2, 0), dt.datetime(2022, 5, 20, 6, 0))
# Days on which one sealed building was not disinfected ("targets undone").
DISINFECTION_SKIP_DAYS = (dt.date(2022, 4, 8), dt.date(2022, 4, 14), dt.date(2022, 4, 21))
OPEN_FOLLOW_UPS = 3  # still open on DEMO_TODAY, created on earlier days

# --- accounts ---------------------------------------------------------------------------------
DEMO_PASSWORD = "huamei2022"
DEMO_USERS_CREATED = dt.datetime(2022, 4, 1, 8, 0)

# --- the rules of the field, as the setting table holds them ----------------------------------
ZONE_SEALED_DAYS = 7
ZONE_CONTROLLED_DAYS = 14
SETTINGS: dict[str, str] = {
    "zone_sealed_days": str(ZONE_SEALED_DAYS),
    "zone_controlled_days": str(ZONE_CONTROLLED_DAYS),
    "transfer_overdue_hours": "24",
    "large_household_threshold": str(LARGE_HOUSEHOLD),
    "large_household_portions": str(LARGE_PORTIONS),
    "hospital_run_weekdays": ",".join(str(d) for d in HOSPITAL_RUN_WEEKDAYS),
    "pool_size": str(POOL_SIZE),
}


def story_days() -> list[dt.date]:
    """Every day of the story, FIRST_DAY .. DEMO_TODAY inclusive."""
    return [FIRST_DAY + dt.timedelta(days=i) for i in range((DEMO_TODAY - FIRST_DAY).days + 1)]


def hospital_run_days() -> list[dt.date]:
    """The Tuesdays and Fridays on which the city cadre drove to the hospitals."""
    return [
        d
        for d in story_days()
        if FIRST_HOSPITAL_RUN <= d <= LAST_HOSPITAL_RUN and d.weekday() in HOSPITAL_RUN_WEEKDAYS
    ]
