"""The greetings the sandbox played against the columns the greeting worker proposed (issue 18
item 5): every person who greeted on a connected call gets a proposal, and it is the column of
the greeting that person's leg played (probe/sandbox/greetings.py, the world's `greetings`).

The sandbox waits for the workers to read every greeting: until none is left, or until none
has been read for GREETING_STALL_SECONDS (the workers stopped, or the machine is starved), or
GREETING_WAIT_SECONDS in all; what is left then is named, and scripts/check_demo.py fails on it.

Without the speech extra no worker reads anything: the summary says so and nothing is compared.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.channels import all_specs
from probe.sandbox.campaign import CAMPAIGN
from probe.sandbox.greetings import COLUMNS
from probe.sandbox.world import Phone, World
from storage.greetings import backlog
from storage.models import Campaign, Check, Contact, GreetingProposal, Organisation

NOT_READ = "no greeting worker ran (the speech extra probe[speech] is not installed?)"
# After the campaign the sandbox waits for the workers to read the last greetings (a few
# seconds of CPU for a claim of six; far more on a loaded machine): while they make progress,
# up to this long in all...
GREETING_WAIT_SECONDS = 1800.0
# ...but no longer than this without a greeting read (the workers are gone or starved).
GREETING_STALL_SECONDS = 300.0
PROGRESS_SECONDS = 20.0


def _judged() -> tuple[list[str], set[str]]:
    outcomes = {o.name for s in all_specs() for o in s.outcomes if "etiquette" in o.judgements}
    return [s.name for s in all_specs() if outcomes & {o.name for o in s.outcomes}], outcomes


def greeting_backlog(engine: Engine) -> dict[str, int]:
    channels, outcomes = _judged()
    with Session(engine) as session:
        return backlog(session=session, channels=channels, outcomes=outcomes)


async def wait_for_greetings(
    engine: Engine,
    *,
    say: Callable[[str], None],
    timeout: float = GREETING_WAIT_SECONDS,
    stall: float = GREETING_STALL_SECONDS,
    stop: asyncio.Event | None = None,
) -> dict[str, Any]:
    """Until every recorded greeting is read (or no worker ever ran); the backlog then, with
    `gave_up` saying why the sandbox stopped waiting before that (None when it did not):
    `timeout` in all, `stall` without a greeting read, or `stop` (Ctrl-C)."""
    began = time.monotonic()
    said = began
    moved, read = began, -1
    while True:
        counts: dict[str, Any] = await asyncio.to_thread(greeting_backlog, engine)
        left = counts["waiting"] + counts["running"]
        now = time.monotonic()
        if counts["done"] + counts["failed"] != read:
            moved, read = now, counts["done"] + counts["failed"]
        gave_up = None
        if stop is not None and stop.is_set():
            gave_up = f"interrupted, {left} greetings still to read"
        elif now - began > timeout:
            gave_up = f"{left} greetings still to read after {timeout:.0f} s"
        elif now - moved > stall:
            gave_up = f"no greeting read for {stall:.0f} s, {left} still to read"
        if not counts["enqueued"] or not left or gave_up:
            if gave_up:
                say(f"greetings: GAVE UP WAITING: {gave_up}")
            elif counts["enqueued"]:
                say(f"greetings: all {counts['done']} read after {now - began:.0f} s of waiting")
            return counts | {"gave_up": gave_up, "waited_s": round(now - began, 1)}
        if now - said >= PROGRESS_SECONDS:
            load = os.getloadavg()[0]
            say(
                f"greetings: {counts['done']} read, {left} still to read "
                f"({now - began:.0f} s waiting, load average {load:.1f})"
            )
            said = now
        await asyncio.sleep(1.0)


def _key(contact: Contact) -> str:
    key = contact.value or contact.raw
    return key + (f";ext={contact.extension}" if contact.extension else "")


def plays_greeting(phone: Phone, leg: int) -> bool:
    """Whether the sandbox plays a greeting on this leg of a connected call: who picks up
    always does (refer_greeting.xml before a REFER); the specialist after one REFER does
    (answer_wait.xml); one who holds and passes the call on again (hold_update.xml) is silent."""
    return leg == 0 or phone.transfers == 1


def _connected(engine: Engine) -> tuple[list[Any], dict[tuple[int, int], GreetingProposal]]:
    # The sandbox's own campaign only, as the summary: not one started in the review UI.
    with Session(engine) as session:
        rows = session.exec(
            select(Organisation, Contact, Check)
            .join(Contact, col(Contact.id) == col(Check.contact_id))
            .join(Organisation, col(Organisation.id) == col(Check.organisation_id))
            .join(Campaign, col(Campaign.id) == col(Check.campaign_id))
            .where(
                col(Campaign.name) == CAMPAIGN,
                col(Check.channel) == "phone",
                col(Check.outcome) == "connected",
            )
            .order_by(col(Organisation.protocol_row), col(Check.id))
        ).all()
        proposals = {(p.check_id, p.person): p for p in session.exec(select(GreetingProposal))}
    return list(rows), proposals


def _state(row: GreetingProposal | None) -> str:
    if row is None:
        return "no job"
    return row.status + (f": {row.error}" if row.error else "")


def compare_greetings(engine: Engine, world: World) -> dict[str, Any]:
    """Each person who greeted on a connected call: the column proposed against the one played.
    `mismatches`: a different column; `unread`: no proposal (a job failed, still waiting, or
    never made: a greeting played but no speech heard); `silent`: persons on a leg that plays
    nothing (not judged)."""
    phones: dict[tuple[int | None, str], Phone] = {
        (o.protocol_row, p.number): p for o in world.organisations for p in o.phones
    }
    if not greeting_backlog(engine)["enqueued"]:
        return {"read": False, "reason": NOT_READ}
    rows, proposals = _connected(engine)
    persons = proposed = matched = silent = 0
    mismatches: list[str] = []
    unread: list[str] = []
    calls_without = []
    for organisation, contact, check in rows:
        phone = phones.get((organisation.protocol_row, _key(contact)))
        if phone is None:
            continue
        call_proposed = 0
        for person in (check.details or {}).get("persons") or []:
            leg = int(person.get("leg", 0))
            if not plays_greeting(phone, leg):
                silent += 1
                continue
            persons += 1
            played = COLUMNS[phone.greeting(leg)]
            row = proposals.get((check.id or 0, int(person["person"])))
            where = (
                f"row {organisation.protocol_row} «{organisation.short_name or organisation.name}»"
                f" {phone.number}, check {check.id}, person {person['person']}"
            )
            if row is None or row.status != "done":
                unread.append(f"{where}: column {played} played, no proposal ({_state(row)})")
                continue
            proposed += 1
            call_proposed += 1
            column = COLUMNS.get(row.etiquette or "")
            if column == played:
                matched += 1
            else:
                transcript = (row.proposal or {}).get("transcript", "")
                mismatches.append(
                    f"{where}: played column {played}, proposed {column or row.etiquette} "
                    f"«{transcript}»"
                )
        if not call_proposed:
            calls_without.append(f"check {check.id} (row {organisation.protocol_row})")
    return {
        "read": True,
        "connected_calls": len(rows),
        "calls_without_proposal": calls_without,
        "persons": persons,
        "proposed": proposed,
        "matched": matched,
        "mismatches": mismatches,
        "unread": unread,
        "silent": silent,
    }
