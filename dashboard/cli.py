"""The command line: `python -m dashboard brief --date 2022-05-29 --format text|json|xlsx|pdf [--out FILE]`, ..."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from dashboard import cli_admin, config, reports
from dashboard.i18n import t
from db import make_engine, upgrade

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(
    name: str,
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    def deco(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = fn
        return fn

    return deco


def _engine(args: argparse.Namespace):  # noqa: ANN202 - an Engine
    engine = make_engine(getattr(args, "database_url", None))
    upgrade(engine)
    return engine


def _write_out(data: str | bytes, out: str | None) -> None:
    if out:
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(out, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
            fh.write(data)
    elif isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        print(data)


def _say(key: str, **params: object) -> None:
    """A refusal on standard error, in both languages (the command line has no language setting)."""
    print(f"{t(key, lang='zh', **params)} / {t(key, lang='en', **params)}", file=sys.stderr)


FORMATS: dict[str, Callable[[Session, dt.date, str], str | bytes]] = {
    "json": reports.brief_json,
    "text": reports.brief_text,
    "xlsx": reports.brief_xlsx,
    "pdf": reports.brief_pdf,
}


@command("brief")
def brief(args: argparse.Namespace) -> int:
    engine = _engine(args)
    with Session(engine) as s:
        if config.committee(s) is None:
            _say("cli.empty_db")
            return 2
        try:
            day = dt.date.fromisoformat(args.date) if args.date else config.today(s)
        except ValueError:
            _say("cli.bad_date", value=args.date)
            return 2
        if isinstance(day, dt.date) and day > config.today(s):
            _say("cli.future_date", value=day)
            return 2
        if args.format in ("xlsx", "pdf") and not args.out and sys.stdout.isatty():
            _say("cli.binary_to_terminal")
            return 2
        _write_out(FORMATS[args.format](s, day, args.lang), args.out)
    return 0


@command("migrate")
def migrate(args: argparse.Namespace) -> int:
    engine = _engine(args)
    print(f"database ready: {engine.url.render_as_string(hide_password=True)}", file=sys.stderr)
    return 0


@command("assets")
def assets_cmd(args: argparse.Namespace) -> int:
    from dashboard import assets

    return assets.main(force=args.force)


COMMANDS.update(cli_admin.COMMANDS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Juwei command line")
    parser.add_argument("--database-url", help="default: DATABASE_URL or data/juwei.db")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the database schema")
    a = sub.add_parser(
        "assets", help="download the map's Leaflet/Bootstrap/Font Awesome files (npm, verified)"
    )
    a.add_argument("--force", action="store_true", help="download again even when present")
    p = sub.add_parser("brief", help="the daily brief")
    p.add_argument("--date", help="YYYY-MM-DD (default: today, or the demo's last day)")
    p.add_argument("--format", choices=sorted(FORMATS), default="text")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of text, xlsx and pdf")
    p.add_argument("--out", help="write to this file instead of standard output")
    cli_admin.add_parsers(sub)  # user, backup, restore
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "brief" and args.format not in FORMATS:
        parser.error(f"unknown format {args.format}")
    return COMMANDS[args.command](args)
