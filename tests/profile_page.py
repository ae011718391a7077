"""Profile one page's rerun under AppTest with pyinstrument (a tool beside `make bench`).

    python -m tests.profile_page overview --scale 10 --mode cold
    python -m tests.profile_page cases --mode warm --runs 20

Modes: restart (caches cleared and a new engine), cold (st.cache_data and st.cache_resource cleared
before each run; the process's engine kept), after_write (a delivery was just recorded: its tables
get new data versions) and warm (caches full). Uses the bench's seeded databases (.cache/bench/;
BENCH_REUSE_SEED=1 takes the newest of the scale) and prints pyinstrument's tree.
Not collected by pytest.
"""

from __future__ import annotations

import argparse

from tests import bench


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("page", help="page file stem, e.g. overview")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--mode", choices=("restart", "cold", "after_write", "warm"), default="cold")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--interval", type=float, default=0.0005, help="sampling interval, seconds")
    ap.add_argument("--user", default=None, help="username (default: the bench's)")
    args = ap.parse_args()

    import streamlit as st
    from pyinstrument import Profiler

    from db import dispose_shared, make_engine, versions
    from tests.helpers import open_app

    bench._quiet()
    bench._one_script_cache()
    path = f"pages/{args.page}.py"
    with bench.database(bench.seeded(args.scale)):
        at = open_app(args.user or bench._page_user(path), "zh", path, timeout=600)
        at.run()

        def once() -> None:
            if args.mode in ("cold", "restart"):
                st.cache_data.clear()
                st.cache_resource.clear()
                if args.mode == "restart":
                    dispose_shared()
            elif args.mode == "after_write":
                with make_engine().begin() as connection:
                    versions.stamp(connection, bench.AFTER_WRITE_TABLES)
            at.run()

        once()  # compile and settle
        # AppTest runs the page in its own thread: profile inside that thread.
        from streamlit.runtime.scriptrunner import exec_code, script_runner

        profiler = Profiler(interval=args.interval)
        original = exec_code.exec_func_with_error_handling

        def profiled(func, ctx):  # type: ignore[no-untyped-def]
            profiler.start()
            try:
                return original(func, ctx)
            finally:
                profiler.stop()

        script_runner.exec_func_with_error_handling = profiled
        for _ in range(args.runs):
            once()
        script_runner.exec_func_with_error_handling = original
        if at.exception:
            raise SystemExit(str(at.exception[0].value))
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
