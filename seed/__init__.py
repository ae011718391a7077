"""The deterministic Huamei demo-data generator: `seed.generate(engine)` or `python -m seed`.

The story's figures live in `seed.story` (PEAK_DATE, PEAK_COUNT, LAST_POSITIVE, DEMO_TODAY, ...).
"""

from seed.generate import SeedError, build, generate
from seed.story import (
    ANTIGEN_ROUNDS,
    DEMO_PASSWORD,
    DEMO_TODAY,
    FIRST_DAY,
    HOUSEHOLDS,
    LAST_POSITIVE,
    PCR_ROUNDS,
    PEAK_COUNT,
    PEAK_DATE,
    RESIDENTS,
)

__all__ = [
    "ANTIGEN_ROUNDS",
    "DEMO_PASSWORD",
    "DEMO_TODAY",
    "FIRST_DAY",
    "HOUSEHOLDS",
    "LAST_POSITIVE",
    "PCR_ROUNDS",
    "PEAK_COUNT",
    "PEAK_DATE",
    "RESIDENTS",
    "SeedError",
    "build",
    "generate",
]
