"""`probe user`: accounts of the review UI and API tokens for scripts."""

from __future__ import annotations

import getpass
import sys

import typer
from sqlmodel import Session

from probe.cli.common import open_engine
from probe.console import console, fail, print_json
from probe.web.security import PasswordPolicyError, hash_password
from storage.engine import session_scope
from storage.models import AppUser
from storage.users import (
    Role,
    UserError,
    create_token,
    create_user,
    get_user_by_username,
    list_users,
    set_active,
    set_password,
)

app = typer.Typer(
    help="Review UI accounts (admin, operator, viewer) and API tokens.", no_args_is_help=True
)

_STDIN_HELP = "Read the password from the first line of standard input (for scripts)."


def _actor() -> str:
    # Audit rows say the change came from the command line, and from which system account.
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        return hash_password(password)
    except PasswordPolicyError as error:
        fail(str(error))


def _existing(db: Session, username: str) -> AppUser:
    user = get_user_by_username(session=db, username=username)
    if user is None:
        fail(f"no user {username!r}")
    return user


@app.command()
def add(
    username: str = typer.Argument(..., help="Login name (no spaces)."),
    role: Role = typer.Option(Role.OPERATOR, help="admin, operator or viewer."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=_STDIN_HELP),
) -> None:
    """Create an account."""
    password_hash = _password(password_stdin)
    with session_scope(open_engine()) as db:
        try:
            create_user(
                session=db,
                username=username,
                password_hash=password_hash,
                role=role.value,
                actor=_actor(),
            )
        except UserError as error:
            fail(str(error))
    console.print(f"user {username} created ({role.value})", highlight=False)


@app.command()
def passwd(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help=_STDIN_HELP),
) -> None:
    """Set a new password (ends the user's open sessions and clears a login lock)."""
    password_hash = _password(password_stdin)
    with session_scope(open_engine()) as db:
        set_password(
            session=db, user=_existing(db, username), password_hash=password_hash, actor=_actor()
        )
    console.print(f"password of {username} changed", highlight=False)


@app.command()
def disable(username: str) -> None:
    """Disable an account: its sessions end and its API tokens are revoked."""
    with session_scope(open_engine()) as db:
        set_active(session=db, user=_existing(db, username), active=False, actor=_actor())
    console.print(f"user {username} disabled", highlight=False)


@app.command()
def enable(username: str) -> None:
    """Enable a disabled account again (its old API tokens stay revoked)."""
    with session_scope(open_engine()) as db:
        set_active(session=db, user=_existing(db, username), active=True, actor=_actor())
    console.print(f"user {username} enabled", highlight=False)


@app.command()
def token(
    username: str,
    name: str = typer.Option("", help="What the token is for, shown in the audit log."),
) -> None:
    """Create an API token for USERNAME and print it once (only its hash is stored)."""
    with session_scope(open_engine()) as db:
        user = _existing(db, username)
        if not user.active:
            fail(f"user {username!r} is disabled")
        clear, _ = create_token(session=db, user=user, name=name, actor=_actor())
    sys.stdout.write(clear + "\n")


@app.command("list")
def list_(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List accounts."""
    with session_scope(open_engine()) as db:
        rows = [
            {"username": u.username, "role": u.role, "active": u.active}
            for u in list_users(session=db)
        ]
    if json_output:
        print_json(rows)
        return
    for row in rows:
        state = "active" if row["active"] else "disabled"
        console.print(f"{row['username']}\t{row['role']}\t{state}", highlight=False)
