"""Admin commands of the command line (wired into dashboard/cli.py):

    python -m dashboard user add USERNAME --role R [--grid N] [--team NAME] [--display-name X] [--password-stdin]
    python -m dashboard user reset-password USERNAME [--password-stdin]
    python -m dashboard user disable|enable USERNAME
    python -m dashboard user list
    python -m dashboard backup [--out FILE]
    python -m dashboard restore FILE [--yes]

The command line acts as roles.SYSTEM; every write goes through the same functions as the pages and
is audited. A password is never an argument (it would stay in the shell history and the process list):
it is typed twice at a hidden prompt, or read from standard input with --password-stdin.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dashboard import auth, backup, config
from dashboard.errors import JuweiError
from dashboard.i18n import code, set_language, t
from dashboard.roles import ROLES, SYSTEM
from dashboard.store import run_write
from db import database_url, make_engine, upgrade

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _url(args: argparse.Namespace) -> str:
    return getattr(args, "database_url", None) or database_url()


def _engine(args: argparse.Namespace) -> Engine:
    engine = make_engine(_url(args))
    upgrade(engine)
    return engine


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _password(args: argparse.Namespace) -> str:
    """The new password: one line of standard input, or typed twice at a hidden prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(t("users.cli_password") + " ")
    if getpass.getpass(t("login.password_again") + ": ") != first:
        raise JuweiError("login.password_mismatch")
    return first


def _user(args: argparse.Namespace) -> int:
    set_language(config.env().language)
    engine = _engine(args)
    try:
        if args.action == "list":
            with Session(engine) as s:
                df = auth.accounts(s)
            df["role"] = [code("role", r) for r in df["role"]]
            print(df.to_string(index=False) if not df.empty else t("users.cli_none"))
            return 0
        if args.action == "add":
            with Session(engine) as s:
                grid_id = auth.grid_id_for_number(s, args.grid) if args.grid is not None else None
                team_id = auth.team_id_for_name(s, args.team) if args.team else None
            if args.grid is not None and grid_id is None:
                raise JuweiError("users.grid_unknown", grid=args.grid)
            if args.team and team_id is None:
                raise JuweiError("users.team_unknown", team=args.team)
            made = run_write(
                engine,
                auth.create_user,
                SYSTEM,
                args.username,
                _password(args),
                args.role,
                grid_id=grid_id,
                team_id=team_id,
                display_name=args.display_name or "",
            )
            _say(t("users.created", username=made.username))
        elif args.action == "reset-password":
            ended = run_write(engine, auth.reset_password, SYSTEM, args.username, _password(args))
            _say(t("users.reset_done", username=args.username, n=ended))
        else:
            active = args.action == "enable"
            run_write(engine, auth.set_active, SYSTEM, args.username, active)
            _say(t("users.enabled" if active else "users.disabled", username=args.username))
        return 0
    except JuweiError as exc:
        _say(exc.message())
        return 1
    finally:
        engine.dispose()


def _backup(args: argparse.Namespace) -> int:
    set_language(config.env().language)
    url = _url(args)
    if backup.sqlite_file(url) is None:
        _say(backup.POSTGRES_HELP)
        return 2
    engine = _engine(args)  # the schema must be current before it is copied
    engine.dispose()
    if args.out:
        out = Path(args.out)
    else:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = backup.sqlite_file(url).parent / "backups" / f"juwei-{stamp}.db"
    try:
        info = backup.backup(url, out)
    except JuweiError as exc:
        _say(exc.message())
        return 1
    print(info.path)
    _say(t("backup.done", path=str(info.path), tables=len(info.counts), rows=sum(info.counts.values())))
    return 0


def _restore(args: argparse.Namespace) -> int:
    set_language(config.env().language)
    url = _url(args)
    if backup.sqlite_file(url) is None:
        _say(backup.POSTGRES_HELP)
        return 2
    try:
        info = backup.read_backup(Path(args.file))
        _say(
            t(
                "backup.about",
                created=info.created_at,
                committee=info.committee,
                rows=sum(info.counts.values()),
            )
        )
        if not args.yes:
            try:
                answer = input(t("backup.confirm", path=str(backup.sqlite_file(url))) + " ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                _say(t("backup.aborted"))
                return 1
        previous = backup.restore(url, Path(args.file))
    except JuweiError as exc:
        _say(exc.message())
        return 1
    _say(t("backup.restored", path=str(backup.sqlite_file(url)), previous=str(previous or "-")))
    return 0


COMMANDS.update({"user": _user, "backup": _backup, "restore": _restore})


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add the user, backup and restore commands to the main parser's subcommands."""
    u = sub.add_parser("user", help="accounts: add, reset-password, disable, enable, list")
    actions = u.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create an account (the password is asked for, never an argument)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--grid", type=int, help="grid number (grid leaders)")
    add.add_argument("--team", help="team name (task volunteers/cadres)")
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset = actions.add_parser("reset-password", help="set a new password; ends the account's sessions")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    for name, text in (("disable", "disable an account; ends its sessions"), ("enable", "enable an account")):
        actions.add_parser(name, help=text).add_argument("username")
    actions.add_parser("list", help="every account with role, grid, team, active, locked")
    b = sub.add_parser("backup", help="copy the SQLite database into a marked backup file (online)")
    b.add_argument("--out", help="backup file (default: backups/juwei-<time>.db beside the database)")
    r = sub.add_parser("restore", help="replace the SQLite database by a backup (keeps the old one as .bak)")
    r.add_argument("file")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
