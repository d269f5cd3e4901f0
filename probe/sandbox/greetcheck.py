"""The greetings the sandbox played against the columns the greeting worker proposed (issue 18
item 5): every person heard on a connected call gets a proposal, and it is the column of the
greeting that person's leg played (probe/sandbox/greetings.py, the world's `greetings`).

Without the speech extra no worker reads anything: the summary says so and nothing is compared.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.channels import all_specs
from probe.sandbox.greetings import COLUMNS
from probe.sandbox.world import Phone, World
from storage.greetings import backlog
from storage.models import Check, Contact, GreetingProposal, Organisation

NOT_READ = "no greeting worker ran (the speech extra probe[speech] is not installed?)"
# After the campaign, how long the sandbox waits for the workers to read the last greetings
# (about 3 s of CPU each on an idle core; far more on a loaded machine).
GREETING_WAIT_SECONDS = 300.0


def _judged() -> tuple[list[str], set[str]]:
    outcomes = {o.name for s in all_specs() for o in s.outcomes if "etiquette" in o.judgements}
    return [s.name for s in all_specs() if outcomes & {o.name for o in s.outcomes}], outcomes


def greeting_backlog(engine: Engine) -> dict[str, int]:
    channels, outcomes = _judged()
    with Session(engine) as session:
        return backlog(session=session, channels=channels, outcomes=outcomes)


async def wait_for_greetings(
    engine: Engine, *, timeout: float, say: Callable[[str], None]
) -> dict[str, int]:
    """Until every recorded greeting is read (or no worker ever ran, or `timeout`)."""
    deadline = time.monotonic() + timeout
    said = 0.0
    while True:
        counts = await asyncio.to_thread(greeting_backlog, engine)
        left = counts["waiting"] + counts["running"]
        if not counts["enqueued"] or not left or time.monotonic() > deadline:
            return counts
        if time.monotonic() - said > 30:
            say(f"greetings: {counts['done']} read, {left} still to read")
            said = time.monotonic()
        await asyncio.sleep(1.0)


def _key(contact: Contact) -> str:
    key = contact.value or contact.raw
    return key + (f";ext={contact.extension}" if contact.extension else "")


def compare_greetings(engine: Engine, world: World) -> dict[str, Any]:
    """Each person heard on a connected call: the column proposed against the one played
    (`mismatches`: a different column, or a job that failed; `unread`: not read yet)."""
    phones: dict[tuple[int | None, str], Phone] = {
        (o.protocol_row, p.number): p for o in world.organisations for p in o.phones
    }
    with Session(engine) as session:
        if not greeting_backlog(engine)["enqueued"]:
            return {"read": False, "reason": NOT_READ}
        rows = session.exec(
            select(Organisation.protocol_row, Contact, Check)
            .join(Contact, col(Contact.id) == col(Check.contact_id))
            .join(Organisation, col(Organisation.id) == col(Check.organisation_id))
            .where(col(Check.channel) == "phone", col(Check.outcome) == "connected")
        ).all()
        proposals: dict[tuple[int | None, int], GreetingProposal] = {
            (p.check_id, p.person): p for p in session.exec(select(GreetingProposal)).all()
        }
    persons = proposed = matched = 0
    problems: list[str] = []
    unread: list[str] = []
    for protocol_row, contact, check in rows:
        phone = phones.get((protocol_row, _key(contact)))
        if phone is None:
            continue
        for person in (check.details or {}).get("persons") or []:
            if person.get("recording_s") is None:
                continue  # nobody spoke there: nothing to read
            persons += 1
            played = COLUMNS[phone.greeting(int(person.get("leg", 0)))]
            row = proposals.get((check.id, int(person["person"])))
            where = f"row {protocol_row}, check {check.id}, person {person['person']}"
            if row is None or row.status != "done":
                (problems if row and row.status == "failed" else unread).append(
                    f"{where}: no proposal ({row.status if row else 'no job'})"
                )
                continue
            proposed += 1
            column = COLUMNS.get(row.etiquette or "")
            if column == played:
                matched += 1
            else:
                transcript = (row.proposal or {}).get("transcript", "")
                problems.append(
                    f"{where}: played column {played}, proposed {row.etiquette} «{transcript}»"
                )
    return {
        "read": True,
        "connected_calls": len(rows),
        "persons": persons,
        "proposed": proposed,
        "matched": matched,
        "mismatches": problems,
        # Still waiting when the sandbox stopped waiting (GREETING_WAIT_SECONDS): not judged.
        "unread": unread,
    }
