"""`probe mail`: what the e-mail classifier decides, and the messages no check claimed.

The e-mail channel's own command group, declared in its spec (`cli["mail"]`); the command line
adds it through the registry."""

from __future__ import annotations

from pathlib import Path

import typer

from probe.console import console, fail, load_settings, print_json


def register(app: typer.Typer) -> None:
    app.command()(classify)
    app.command()(unmatched)


def classify(
    file: Path = typer.Argument(..., help="A raw message (.eml)."),
    as_json: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """Print what the classifier decides for one message (reply, auto-reply, bounce, ...)."""
    from adapters.email.classify import classify as classify_message

    if not file.is_file():
        fail(f"no such file: {file}")
    raw = file.read_bytes()
    if not raw.strip():
        fail(f"{file}: empty file, not a message")
    decision = classify_message(raw).as_json()
    if as_json:
        print_json(decision)
        return
    console.print(f"{decision['kind']}  token={decision['matched_token']}  "
                  f"in-reply-to={decision['in_reply_to']}", highlight=False)  # fmt: skip
    if decision["bounce"]:
        console.print(f"bounce: {decision['bounce']}", highlight=False)


def unmatched(
    limit: int = typer.Option(50, "--limit", min=1, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List inbound messages that no check claimed (kept for an operator, never dropped)."""
    from adapters.email.store import list_unmatched
    from storage.engine import session_scope
    from storage.migrate import SchemaOutOfDateError, open_database

    try:
        engine = open_database(load_settings().database_url)
    except SchemaOutOfDateError as error:
        fail(str(error))
    with session_scope(engine) as session:
        rows = [
            {
                "id": m.id,
                "received_at": m.received_at.isoformat() if m.received_at else None,
                "from": m.from_address,
                "subject": m.subject,
                "kind": m.kind,
                "evidence_path": m.evidence_path,
                "sha256": m.sha256,
            }
            for m in list_unmatched(session=session, limit=limit)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no unmatched messages")
    for row in rows:
        console.print(f"{row['id']:>6}  {row['received_at']}  {row['kind']:<12} "
                      f"{row['from']}  {row['subject']}", highlight=False)  # fmt: skip
