"""python -m seed [--scale N] [--random-seed S] [--database-url URL] [--if-empty]"""

from __future__ import annotations

import argparse
import sys
import time

import db
from db.migrate import is_empty
from seed.generate import SeedError, generate


def main(argv: list[str] | None = None) -> int:
    """Migrate the database, then fill it with the Huamei demo story."""
    parser = argparse.ArgumentParser(
        prog="python -m seed", description="Fill an empty database with the Huamei demo."
    )
    parser.add_argument("--scale", type=int, default=1, help="copies of the whole area (default 1)")
    parser.add_argument("--random-seed", type=int, default=2022, help="random seed (default 2022)")
    parser.add_argument(
        "--database-url", default=None, help="database URL (default: DATABASE_URL or data/juwei.db)"
    )
    parser.add_argument(
        "--if-empty", action="store_true", help="do nothing (exit 0) when data is already there"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    engine = db.make_engine(args.database_url or db.database_url())
    try:
        db.upgrade(engine)
        if args.if_empty and not is_empty(engine):
            return 0
        last = {"stage": "", "percent": -100.0}

        def progress(stage: str, fraction: float) -> None:
            percent = fraction * 100
            if stage != last["stage"] or percent - last["percent"] >= 5:
                print(f"seed: {stage:<11} {percent:5.1f}%", file=sys.stderr, flush=True)
                last.update(stage=stage, percent=percent)

        summary = generate(engine, scale=args.scale, random_seed=args.random_seed, progress=progress)
    except SeedError as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - started
    print(
        f"seed: {summary['committee']} scale {summary['scale']}: {summary['households']} households, "
        f"{summary['residents']} residents, {summary['rows']['screening_result']} screening results, "
        f"{summary['cases']} cases",
        file=sys.stderr,
    )
    print(f"seed: done in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
