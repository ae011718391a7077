"""The render floor as a Streamlit script: the recorded page named by BENCH_FLOOR_SPEC (tests/bench_floor.py)."""

import os

from tests.bench_floor import render

render(os.environ["BENCH_FLOOR_SPEC"])
