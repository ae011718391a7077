"""`make bench` (python -m tests.bench): Juwei measured at 1× and 10× the Huamei data.

    python -m tests.bench                       # everything, scales 1 and 10
    python -m tests.bench --scales 1 --parts pages --pages overview map

Parts:
- pages:   every page of dashboard/nav.PAGES as the secretary (users.py as the admin) under AppTest:
           rerun cold (st.cache_data and st.cache_resource cleared: every cached read computed again
           by the process's engine, which lives as long as the process), after a restart (a new
           engine as well: reported, no goal), after a write and warm, median of 5, beside the
           page's render floor (tests/bench_floor.py: the same elements drawn from constants) measured
           in the same run;
- imports: the screening import (dry run and commit) of every resident of the area into a new round:
           7,500 rows at scale 1, 75,000 at scale 10;
- brief:   the daily brief in each format (json, text, xlsx, pdf);
- memory:  the RSS of a real `streamlit run` serving 12 signed-in browser sessions (Chromium).

Goals (checked and printed): every page warm ≤ 2× its floor and cold ≤ 5× at scale 10; a page's cold
rerun grows ≤ 3× from scale 1 to 10; the brief ≤ 3 s in each format at scale 10; 12 sessions ≤ 1 GB.
Page times are judged on the CPU time of this process (wall times are kept too): on a shared machine
other jobs stretch the wall clock of the page and of its floor alike, but not evenly. AppTest compiles
each script once, as the server does (see _one_script_cache).

Seeded databases are kept under .cache/bench/ per code version (tests.conftest.code_hash);
BENCH_REUSE_SEED=1 reuses the newest one of a scale while iterating. Results go to bench-results/
(JSON and markdown). Not part of `make test`: pytest does not collect this file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import io
import json
import os
import platform
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
RESULTS = ROOT / "bench-results"
FLOOR_SCRIPT = Path(__file__).resolve().parent / "bench_floor_app.py"
DAY = dt.date(2022, 5, 29)
NOW = dt.datetime(2022, 5, 29, 21, 0)
SESSIONS = 12
AFTER_WRITE_TABLES = ("delivery", "audit_log")  # what recording a delivery writes
GOALS = {"warm_x_floor": 2.0, "cold_x_floor": 5.0, "cold_growth": 3.0, "brief_s": 3.0, "memory_mb": 1024.0}


def _quiet() -> None:
    """AppTest runs in the main thread: keep Streamlit's 'bare mode' warnings off the table."""
    import streamlit.logger

    streamlit.logger.set_log_level("error")


def _one_script_cache() -> None:
    """Compile each script once, as the server does (its Runtime keeps one ScriptCache for the
    process); AppTest makes a new cache on every run, and recompiling a 700-line page with
    Streamlit's magic would otherwise count as the page's own time."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def machine() -> dict[str, Any]:
    """The machine the figures came from."""
    import psutil

    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- seeded databases ------------------------------------------------------------------------


def seeded(scale: int) -> Path:
    """A seeded SQLite file for this code version and scale, built once under .cache/bench/."""
    import seed
    from db import make_engine, upgrade
    from tests.conftest import _sqlite_seeded_template, code_hash

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"seed-{code_hash()}-x{scale}.db"
    if path.exists():
        return path
    if scale == 1:  # a copy of the tests' template (which a test run may replace at any moment)
        building = CACHE / f"building-x1-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(_sqlite_seeded_template(), building)
        for old in CACHE.glob("seed-*-x1.db*"):
            old.unlink(missing_ok=True)
        building.rename(path)
        return path
    if os.environ.get("BENCH_REUSE_SEED") == "1":  # while iterating: any earlier seed of this scale
        earlier = sorted(CACHE.glob(f"seed-*-x{scale}.db"), key=lambda p: p.stat().st_mtime)
        if earlier:
            return earlier[-1]
    for old in CACHE.glob(f"seed-*-x{scale}.db*"):
        old.unlink(missing_ok=True)
    building = CACHE / f"building-x{scale}-{uuid.uuid4().hex[:8]}.db"
    print(f"bench: seeding scale {scale} into {path.name} (once per code version) …", flush=True)
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{building}")
    upgrade(engine)
    seed.generate(engine, scale=scale, random_seed=2022)
    with engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    building.rename(path)
    print(f"bench: seeded scale {scale} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def working_copy(scale: int) -> Path:
    """A writable copy of the seeded database (imports, sign-ins), fresh for each bench run."""
    dest = CACHE / f"work-x{scale}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(seeded(scale), dest)
    return dest


@contextmanager
def database(path: Path) -> Iterator[str]:
    """Point the app (DATABASE_URL) at path, with Streamlit's caches empty before and after."""
    import streamlit as st

    url = f"sqlite:///{path}"
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        yield url
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old


# --- pages -----------------------------------------------------------------------------------


class Clock:
    """Wall and process-CPU seconds of repeated runs; medians. The CPU time of this process is what
    other jobs on a shared machine do not inflate; the wall time is what a user waits.

    Each run starts after a full garbage collection (outside the timing): otherwise a collection
    of everything the benchmark itself holds falls into whichever run crosses the threshold, and a
    page that allocates more is charged for the benchmark's heap. The collector stays on during
    the run, as in the server.
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, fn: Callable[[], object]) -> None:
        gc.collect()
        w, c = time.perf_counter(), time.process_time()
        fn()
        self.cpu.append(time.process_time() - c)
        self.wall.append(time.perf_counter() - w)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)


def _median(fn: Callable[[], None], repeat: int) -> float:
    clock = Clock()
    for _ in range(repeat):
        clock(fn)
    return clock.median


def _page_user(path: str) -> str:
    return "admin" if path == "pages/users.py" else "shuji"


def measure_page(path: str, repeat: int, spec_dir: Path) -> dict[str, Any]:
    """Cold and warm rerun of one page and of its render floor (seconds, medians)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard import nav
    from dashboard.i18n import t
    from db import dispose_shared, make_engine, versions
    from tests import bench_floor
    from tests.helpers import open_app

    at = open_app(_page_user(path), "zh", path, timeout=300)
    if at.exception:
        return {"page": path, "error": str(at.exception[0].value)[:300]}

    def cold() -> None:  # every cached read gone (as when they expire); the process keeps its engine
        st.cache_data.clear()
        st.cache_resource.clear()
        at.run()

    def restart() -> None:  # cold, and a new engine as well (the first run after the server started)
        st.cache_data.clear()
        st.cache_resource.clear()
        dispose_shared()
        at.run()

    at.run()  # settle widgets (the first run after switch_page may differ)
    user = at.session_state["user"]
    menu = [(t(p.group), t(p.title_key), p.icon, p.path == path) for p in nav.pages_for(user)]
    record = bench_floor.record(at, menu, t("app.short"))
    main, side = record["main"], record["sidebar"]
    spec = spec_dir / (Path(path).stem + ".pickle")
    bench_floor.save(record, spec)
    os.environ["BENCH_FLOOR_SPEC"] = str(spec)
    floor_at = AppTest.from_file(str(FLOOR_SCRIPT), default_timeout=300)
    floor_at.run()
    if floor_at.exception:
        return {"page": path, "error": "floor: " + str(floor_at.exception[0].value)[:300]}

    def after_write() -> None:  # a grid leader has just recorded a delivery (elsewhere, any process)
        with make_engine().begin() as connection:
            versions.stamp(connection, AFTER_WRITE_TABLES)
        at.run()

    # Interleaved runs: a burst of load on a shared machine hits them all alike. The floor, the
    # yardstick of every ratio and the shortest run, is taken three times a round: its median
    # of more runs steadies the ratios.
    clocks = {"cold": Clock(), "warm": Clock(), "floor": Clock(), "after_write": Clock(), "restart": Clock()}
    for _ in range(repeat):
        clocks["restart"](restart)
        clocks["floor"](floor_at.run)
        clocks["cold"](cold)
        clocks["floor"](floor_at.run)
        clocks["warm"](at.run)
        clocks["floor"](floor_at.run)
        clocks["after_write"](after_write)
    if at.exception:
        return {"page": path, "error": str(at.exception[0].value)[:300]}
    cold_s, warm_s, floor_s = (clocks[k].median for k in ("cold", "warm", "floor"))
    cpu = {k: clocks[k].median_cpu for k in clocks}
    elements = bench_floor.count(main + side)
    return {
        "page": path,
        "cold_s": cold_s,
        "warm_s": warm_s,
        "after_write_s": clocks["after_write"].median,
        "floor_s": floor_s,
        "cold_x_floor": cold_s / floor_s,
        "warm_x_floor": warm_s / floor_s,
        "cpu_s": cpu,
        "cpu_cold_x_floor": cpu["cold"] / cpu["floor"],
        "cpu_warm_x_floor": cpu["warm"] / cpu["floor"],
        "elements": elements,
        "rows_shown": sum(len(s["data"]) for s in _leaves(main + side) if s.get("el") == "dataframe"),
    }


def _leaves(specs: list[dict]) -> Iterator[dict]:
    for s in specs:
        if "block" in s:
            yield from _leaves(s["children"])
        else:
            yield s


def bench_pages(scale: int, repeat: int, only: list[str] | None) -> list[dict[str, Any]]:
    from dashboard import nav

    spec_dir = CACHE / "floors" / f"x{scale}"
    spec_dir.mkdir(parents=True, exist_ok=True)
    out = []
    with database(seeded(scale)):
        for spec in nav.PAGES:
            name = Path(spec.path).stem
            if only and name not in only:
                continue
            started = time.perf_counter()
            row = measure_page(spec.path, repeat, spec_dir)
            row["scale"] = scale
            out.append(row)
            if "error" in row:
                print(f"  x{scale} {name:<10} ERROR {row['error']}", flush=True)
            else:
                cpu = row["cpu_s"]
                print(
                    f"  x{scale} {name:<10} cold {row['cold_s']:6.3f}s  warm {row['warm_s']:6.3f}s  "
                    f"floor {row['floor_s']:6.3f}s | cpu restart {cpu['restart']:6.3f} cold {cpu['cold']:6.3f} "
                    f"warm {cpu['warm']:6.3f} floor {cpu['floor']:6.3f}  ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    return out


# --- imports ---------------------------------------------------------------------------------


def import_file(engine: Any) -> tuple[bytes, int]:
    """A sampling system's CSV with one negative result for every resident of the area."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from db.models import Resident

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["身份证号", "姓名", "手机号", "采样时间", "试管编号", "检测结果"])
    with Session(engine) as s:
        rows = s.execute(select(Resident.id, Resident.id_number, Resident.name, Resident.phone)).all()
    for i, (rid, idn, name, phone) in enumerate(rows):
        minute = 8 * 60 + (i * 7) % (10 * 60)
        w.writerow(
            [
                idn or "",
                name,
                phone or "",
                f"2022-05-29 {minute // 60:02d}:{minute % 60:02d}",
                f"B{rid // 10:07d}",
                "阴性",
            ]
        )
    return buf.getvalue().encode("utf-8"), len(rows)


def bench_import(scale: int) -> dict[str, Any]:
    """Dry run and commit of a whole-area import into a new round, on a copy of the database."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from dashboard import auth, screening, screening_import
    from dashboard.store import run_write
    from db import make_engine
    from db.models import User

    engine = make_engine(f"sqlite:///{working_copy(scale)}")
    with Session(engine) as s:
        shuji = auth.to_current(s, s.scalar(select(User).where(User.username == "shuji")))
    round_id = run_write(engine, screening.create_round, shuji, "antigen", DAY, "all", now=NOW)
    data, rows = import_file(engine)
    t0 = time.perf_counter()
    with Session(engine) as s:
        dry = screening_import.dry_run(s, shuji, round_id, data, "bench.csv", now=NOW)
    dry_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    done = run_write(engine, screening_import.import_results, shuji, round_id, data, "bench.csv", now=NOW)
    commit_s = time.perf_counter() - t0
    summary = screening_import.summary(done)
    engine.dispose()
    return {
        "scale": scale,
        "rows": rows,
        "bytes": len(data),
        "dry_run_s": dry_s,
        "commit_s": commit_s,
        "added": summary["add"],
        "refused": len(dry.rejected_rows),
    }


# --- the brief -------------------------------------------------------------------------------


def bench_brief(scale: int, repeat: int = 3) -> list[dict[str, Any]]:
    from sqlalchemy.orm import Session

    from dashboard.cli import FORMATS
    from db import make_engine

    engine = make_engine(f"sqlite:///{seeded(scale)}")
    out = []
    for fmt, fn in FORMATS.items():
        sizes = []

        def once(fn: Callable = fn, sizes: list = sizes) -> None:
            with Session(engine) as s:
                sizes.append(len(fn(s, DAY)))

        out.append({"scale": scale, "format": fmt, "s": _median(once, repeat), "bytes": sizes[-1]})
        print(f"  x{scale} brief {fmt:<5} {out[-1]['s']:.3f} s", flush=True)
    engine.dispose()
    return out


# --- memory of a real server with 12 sessions ------------------------------------------------

USERS = ["shuji", *[f"grid{n:02d}" for n in range(1, 11)], "meeting"]


def bench_memory(scale: int) -> dict[str, Any]:
    """RSS of `streamlit run` serving 12 signed-in Chromium sessions (the secretary, ten grid
    leaders, the meeting screen), each on its overview and then the map."""
    import psutil
    from playwright.sync_api import sync_playwright

    from tests import browser as harness
    from tests.test_browser_flows import LAPTOP, sign_in, visit

    if not harness.CHROMIUM.exists():
        return {"scale": scale, "error": f"no {harness.CHROMIUM}"}
    db = working_copy(scale)
    proc, served = harness.start_server(
        db, CACHE / f"streamlit-x{scale}.log", env={"JUWEI_ASSETS": "local", "JUWEI_TILES": "none"}
    )
    try:
        server = psutil.Process(proc.pid)
        rss = lambda: server.memory_info().rss / 2**20  # noqa: E731
        idle_mb = peak = rss()
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=str(harness.CHROMIUM), args=harness.CHROMIUM_ARGS)
            pages = []
            started = time.perf_counter()
            for username in USERS[:SESSIONS]:
                page = chromium.new_context(viewport=LAPTOP).new_page()
                sign_in(page, served.url, username)
                pages.append(page)
                peak = max(peak, rss())
            for page in pages:
                visit(page, "map.title")
                peak = max(peak, rss())
            opened_s = time.perf_counter() - started
            rss_mb = rss()
            sessions = len(pages)
            chromium.close()
    finally:
        harness.stop_server(proc)
    return {
        "scale": scale,
        "sessions": sessions,
        "idle_mb": idle_mb,
        "rss_mb": rss_mb,
        "peak_mb": max(peak, rss_mb),
        "open_all_s": opened_s,
    }


# --- report ----------------------------------------------------------------------------------


def verdicts(results: dict[str, Any]) -> list[str]:
    """Every goal missed, in words (empty when all are met)."""
    missed = []
    top = max(results["scales"])
    pages = {(r["page"], r["scale"]): r for r in results.get("pages", [])}
    for (page, scale), r in sorted(pages.items()):
        if "error" in r:
            missed.append(f"{page} x{scale}: {r['error']}")
            continue
        if scale != top:
            continue
        if r["cpu_warm_x_floor"] > GOALS["warm_x_floor"]:
            missed.append(f"{page} x{scale}: warm {r['cpu_warm_x_floor']:.1f}× the floor (goal ≤ 2×)")
        if r["cpu_cold_x_floor"] > GOALS["cold_x_floor"]:
            missed.append(f"{page} x{scale}: cold {r['cpu_cold_x_floor']:.1f}× the floor (goal ≤ 5×)")
        small = pages.get((page, 1))
        if small and "error" not in small and top > 1:
            growth = r["cpu_s"]["cold"] / small["cpu_s"]["cold"]
            r["cold_growth"] = growth
            if growth > GOALS["cold_growth"]:
                missed.append(f"{page}: cold grows {growth:.1f}× from x1 to x{top} (goal ≤ 3×)")
    for b in results.get("brief", []):
        if b["scale"] == top and b["s"] > GOALS["brief_s"]:
            missed.append(f"brief {b['format']} x{top}: {b['s']:.1f} s (goal ≤ 3 s)")
    mem = results.get("memory")
    if mem and "error" not in mem and mem["peak_mb"] > GOALS["memory_mb"]:
        missed.append(f"{SESSIONS} sessions: {mem['peak_mb']:.0f} MB (goal ≤ 1024 MB)")
    return missed


def markdown(results: dict[str, Any]) -> str:
    """The figures as markdown tables (what the README's 'Measured figures' shows)."""
    m = results["machine"]
    lines = [
        f"Measured {results['when']} on {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, "
        f"Python {m['python']}, SQLite; load average at start {m['load_avg_at_start']}.",
        "",
    ]
    pages = results.get("pages", [])
    if pages:
        scales = sorted({r["scale"] for r in pages})
        top = scales[-1]
        head = ["page"]
        for sc in scales:
            head += [f"x{sc} restart", f"x{sc} cold", f"x{sc} after a write", f"x{sc} warm", f"x{sc} floor"]
        head += [f"x{top} cold ÷ floor", f"x{top} warm ÷ floor"]
        if len(scales) > 1:
            head.append(f"cold x{scales[0]}→x{top}")
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        by_page: dict[str, dict[int, dict]] = {}
        for r in pages:
            by_page.setdefault(r["page"], {})[r["scale"]] = r
        for page, rows in by_page.items():
            cells = [Path(page).stem]
            for sc in scales:
                r = rows.get(sc)
                if r is None or "error" in r:
                    cells += ["—"] * 5
                else:
                    cells += [
                        f"{r['cpu_s'][k]:.3f}" for k in ("restart", "cold", "after_write", "warm", "floor")
                    ]
            r = rows.get(top)
            ok = r is not None and "error" not in r
            cells += [f"{r['cpu_cold_x_floor']:.1f}×", f"{r['cpu_warm_x_floor']:.1f}×"] if ok else ["—", "—"]
            if len(scales) > 1:
                cells.append(f"{r['cold_growth']:.1f}×" if ok and r.get("cold_growth") else "—")
            lines.append("| " + " | ".join(cells) + " |")
        lines += [
            "",
            "Seconds of CPU time of the process running the page, median of the runs (on this shared "
            "machine the wall clock also counts other people's jobs; it is in the JSON beside). restart = "
            "the first run after the server started (caches empty, a new engine: new connections, no "
            "compiled statements); cold = st.cache_data and st.cache_resource cleared, every cached read "
            "computed again (as when they expire) by the process's engine; after a write = a delivery was "
            "just recorded (its tables get new data versions: the cached reads of them are read again); "
            "warm = caches full; floor = the same elements drawn from "
            "constants (tests/bench_floor.py).",
            "",
        ]
    if results.get("imports"):
        lines += ["| import | rows | dry run (s) | commit (s) |", "|---|---|---|---|"]
        for r in results["imports"]:
            lines.append(
                f"| screening x{r['scale']} | {r['rows']:,} | {r['dry_run_s']:.2f} | {r['commit_s']:.2f} |"
            )
        lines.append("")
    if results.get("brief"):
        formats = list(dict.fromkeys(b["format"] for b in results["brief"]))
        lines += ["| brief (s) | " + " | ".join(formats) + " |", "|---|" + "---|" * len(formats)]
        for sc in sorted({b["scale"] for b in results["brief"]}):
            got = {b["format"]: b["s"] for b in results["brief"] if b["scale"] == sc}
            lines.append(f"| x{sc} | " + " | ".join(f"{got[f]:.2f}" for f in formats) + " |")
        lines.append("")
    mem = results.get("memory")
    if mem and "error" not in mem:
        lines.append(
            f"Server memory (RSS of `streamlit run`, x{mem['scale']}): {mem['idle_mb']:.0f} MB idle, "
            f"{mem['rss_mb']:.0f} MB with {mem['sessions']} signed-in sessions on the overview and the map "
            f"(peak {mem['peak_mb']:.0f} MB)."
        )
        lines.append("")
    missed = results.get("missed", [])
    lines.append("Goals: all met." if not missed else "Goals missed:\n" + "\n".join(f"- {m}" for m in missed))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--parts", nargs="+", default=["pages", "imports", "brief", "memory"])
    parser.add_argument("--pages", nargs="+", default=None, help="page names (overview, map …); default all")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
    _quiet()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import tests.conftest  # noqa: F401 - AppTest runs through the frame (navigation mode)

    _one_script_cache()

    results: dict[str, Any] = {
        "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "scales": args.scales,
        "goals": GOALS,
    }
    for scale in args.scales:
        seeded(scale)
    if "pages" in args.parts:
        print(f"pages (AppTest rerun, median of {args.repeat}) …", flush=True)
        results["pages"] = [r for s in args.scales for r in bench_pages(s, args.repeat, args.pages)]
    if "imports" in args.parts:
        print("imports …", flush=True)
        results["imports"] = []
        for s in args.scales:
            results["imports"].append(bench_import(s))
            r = results["imports"][-1]
            print(f"  x{s} {r['rows']:,} rows: dry run {r['dry_run_s']:.2f} s, commit {r['commit_s']:.2f} s")
    if "brief" in args.parts:
        print("brief …", flush=True)
        results["brief"] = [b for s in args.scales for b in bench_brief(s)]
    if "memory" in args.parts:
        print(f"memory ({SESSIONS} sessions) …", flush=True)
        results["memory"] = bench_memory(max(args.scales))
        print(f"  {results['memory']}", flush=True)
    results["missed"] = verdicts(results)
    text = markdown(results)
    print()
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for name in (f"bench-{stamp}", "latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
        (RESULTS / f"{name}.md").write_text(text, encoding="utf-8")
    return 1 if results["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
