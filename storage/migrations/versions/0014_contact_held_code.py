"""a held contact's reason as a code and values

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

`contact.held` kept an English sentence ("also published by row 3 (ЦСО): not called until an
operator confirms it is this organisation's"), which the web page translated by matching its
words. It now keeps a code ("shared") and `held_values` its values ({"by": [{"name", "source",
"row"}]}); the CLI's English and the web's Russian are both made from them
(probe/directory/reasons.py HELD, probe/web/import_text.py HELD). The old sentences are parsed
once here; one that does not parse (written by hand) is kept whole under the code "noted".
"""

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_CONTACT = sa.table("contact", sa.column("id"), sa.column("held"), sa.column("held_values", _JSON))
_SENTENCE = re.compile(
    r"^also published by (.+): not called until an operator confirms it is this organisation's$",
    re.S,
)
# As probe.directory.reasons.Publisher wrote them: "row 3 (ЦСО), row 4 (ЦСО Азова)" for rows of
# the same file, or one "ЦСО Азова (azov.csv, row 4)" for an organisation imported before.
_IN_FILE = re.compile(r"(?:^|, )row (\d+|None) \(")
_ELSEWHERE = re.compile(r"^(.+) \(([^()]*), row (\d+|None)\)$", re.S)


def _row(text: str) -> int | None:
    return None if text == "None" else int(text)


def held_values(sentence: str) -> tuple[str, dict[str, Any]]:
    """An old `held` sentence as (code, values)."""
    match = _SENTENCE.match(sentence)
    if match is None:
        return "noted", {"text": sentence}
    names = match[1]
    if names.startswith("row "):
        parts = _IN_FILE.split(names)[1:]
        rows, named = parts[0::2], parts[1::2]
        if all(n.endswith(")") for n in named):
            by = [{"name": n[:-1], "source": None, "row": _row(r)} for r, n in zip(rows, named)]
            return "shared", {"by": by}
    elsewhere = _ELSEWHERE.match(names)
    if elsewhere is None:
        return "noted", {"text": sentence}
    name, source, row = elsewhere.groups()
    return "shared", {"by": [{"name": name, "source": source, "row": _row(row)}]}


def sentence(code: str, values: dict[str, Any]) -> str:
    if code != "shared":
        return str(values.get("text", code))
    names = ", ".join(
        f"row {p['row']} ({p['name']})"
        if p["source"] is None
        else f"{p['name']} ({p['source']}, row {p['row']})"
        for p in values["by"]
    )
    return (
        f"also published by {names}: not called until an operator confirms it is this "
        "organisation's"
    )


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_values", _JSON, nullable=True))
    bind = op.get_bind()
    held = bind.execute(
        sa.select(_CONTACT.c.id, _CONTACT.c.held).where(_CONTACT.c.held.is_not(None))
    ).all()
    for contact_id, text in held:
        code, values = held_values(text)
        bind.execute(
            _CONTACT.update()
            .where(_CONTACT.c.id == contact_id)
            .values(held=code, held_values=values)
        )


def downgrade() -> None:
    bind = op.get_bind()
    held = bind.execute(
        sa.select(_CONTACT.c.id, _CONTACT.c.held, _CONTACT.c.held_values).where(
            _CONTACT.c.held.is_not(None)
        )
    ).all()
    for contact_id, code, values in held:
        bind.execute(
            _CONTACT.update()
            .where(_CONTACT.c.id == contact_id)
            .values(held=sentence(code, values or {}))
        )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("held_values")
