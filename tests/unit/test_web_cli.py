"""`probe user ...` and `probe web --help`: accounts from the command line."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from probe.cli.main import app
from probe.settings import get_settings
from probe.web.security import verify_password
from storage.audit import list_audit
from storage.engine import make_engine, session_scope
from storage.users import get_user_by_username, user_for_token

PASSWORD = "a long enough password\n"


def _user(name: str):  # type: ignore[no-untyped-def]
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as db:
        return get_user_by_username(session=db, username=name)


def test_an_account_is_added_with_a_hashed_password_and_an_audit_row(cli: CliRunner) -> None:
    result = cli.invoke(app, ["user", "add", "anna", "--role", "viewer", "--password-stdin"],
                        input=PASSWORD)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "user anna created (viewer)" in result.output
    user = _user("anna")
    assert user is not None and user.role == "viewer" and user.active
    assert verify_password(user.password_hash, PASSWORD.strip())
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as db:
        audit = list_audit(session=db, entity="user")[0]
    assert audit.actor.startswith("cli") and audit.after == {
        "username": "anna", "role": "viewer", "active": True
    }  # fmt: skip


def test_a_duplicate_or_a_short_password_is_refused_with_the_exact_error(cli: CliRunner) -> None:
    cli.invoke(app, ["user", "add", "anna", "--password-stdin"], input=PASSWORD)
    again = cli.invoke(app, ["user", "add", "anna", "--password-stdin"], input=PASSWORD)
    assert again.exit_code == 1
    assert "error: user 'anna' already exists" in again.output
    short = cli.invoke(app, ["user", "add", "boris", "--password-stdin"], input="short\n")
    assert short.exit_code == 1
    assert "error: password too short: at least 10 characters" in short.output
    assert _user("boris") is None


def test_passwd_disable_and_token(cli: CliRunner) -> None:
    cli.invoke(app, ["user", "add", "anna", "--role", "operator", "--password-stdin"],
               input=PASSWORD)  # fmt: skip
    token = cli.invoke(app, ["user", "token", "anna", "--name", "nightly export"])
    assert token.exit_code == 0 and token.output.startswith("prb_")
    clear = token.output.strip()
    changed = cli.invoke(app, ["user", "passwd", "anna", "--password-stdin"],
                         input="another long password\n")  # fmt: skip
    assert changed.exit_code == 0
    user = _user("anna")
    assert user is not None and verify_password(user.password_hash, "another long password")
    assert cli.invoke(app, ["user", "disable", "anna"]).exit_code == 0
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as db:
        assert user_for_token(session=db, token=clear) is None
    refused = cli.invoke(app, ["user", "token", "anna"])
    assert refused.exit_code == 1 and "error: user 'anna' is disabled" in refused.output
    missing = cli.invoke(app, ["user", "disable", "nobody"])
    assert missing.exit_code == 1 and "error: no user 'nobody'" in missing.output


def test_an_unknown_role_is_refused_by_the_command_line(cli: CliRunner) -> None:
    result = cli.invoke(app, ["user", "add", "anna", "--role", "boss", "--password-stdin"],
                        input=PASSWORD)  # fmt: skip
    assert result.exit_code == 2
    flat = " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())
    assert (
        "Invalid value for '--role': Value error, "
        "'boss' is not one of 'admin', 'operator', 'viewer'." in flat
    )


def test_probe_web_listens_on_loopback_by_default(cli: CliRunner) -> None:
    result = cli.invoke(app, ["web", "--help"])
    assert result.exit_code == 0
    assert "127.0.0.1" in result.output
