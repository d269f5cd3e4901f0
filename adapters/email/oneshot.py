"""One probe outside any campaign: send it, then watch the mailbox for its reply or bounce.

Nothing is written to the database (no check, no mailbox state): the campaign watcher still
sees and records the same messages later.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aioimaplib

from adapters.email import imap
from adapters.email.classify import Classified, Kind, classify
from adapters.email.matching import Candidate, match
from adapters.email.names import CHANNEL
from adapters.email.plugin import plugin
from probe.channels import ProbeContext, ProbeTarget
from probe.logs import get_logger
from probe.results import CheckResult
from probe.settings import Settings


@dataclass
class OneShot:
    result: CheckResult
    outcome: str  # the final outcome, or "pending" when the wait ended first
    reply: dict[str, Any] | None = None
    auto_replies: list[dict[str, Any]] = field(default_factory=list)
    waited_seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "result": self.result.model_dump(mode="json"),
            "reply": self.reply,
            "auto_replies": self.auto_replies,
            "waited_seconds": round(self.waited_seconds, 3),
        }


async def probe_and_wait(
    *, settings: Settings, address: str, wait: float, options: dict[str, Any], evidence_dir: Path
) -> OneShot:
    client = await imap.connect(settings.imap, network=settings.network) if wait > 0 else None
    try:
        last_uid = 0
        if client is not None:
            selected = await imap.select(client, settings.imap.mailbox)
            last_uid = (selected.uidnext or 1) - 1
        target = ProbeTarget(check_id=0, channel=CHANNEL, value=address, options=options)
        context = ProbeContext(settings=settings, evidence_dir=evidence_dir, log=get_logger())
        try:
            result = await plugin.probe(target, context)
        finally:
            await plugin.close()
        shot = OneShot(result=result, outcome=result.outcome if result.outcome else "pending")
        if client is None or not result.pending:
            return shot
        await _wait(client, shot, last_uid, wait)
        return shot
    finally:
        await imap.close(client)


async def _wait(client: aioimaplib.IMAP4, shot: OneShot, last_uid: int, wait: float) -> None:
    details = shot.result.details
    candidate = Candidate(
        check_id=0,
        message_id=details["message_id"],
        token=details["token"],
        recipient=details["recipient"],
        subject=details["subject"],
        sent_at=datetime.fromisoformat(details["accepted_at"]),
    )
    started = time.monotonic()
    while (left := wait - (time.monotonic() - started)) > 0:
        uids = await imap.uids_after(client, last_uid)
        for fetched in await imap.fetch(client, uids, max_bytes=5 * 1024 * 1024):
            last_uid = max(last_uid, fetched.uid)
            classified = classify(fetched.raw)
            at = fetched.internaldate or datetime.now(UTC)
            found = match(classified, [candidate], received_at=at)
            if found is None:
                continue
            if _settle(shot, classified, found.method, at):
                shot.waited_seconds = time.monotonic() - started
                return
        await _idle(client, min(left, 60.0))
    shot.waited_seconds = time.monotonic() - started


def _settle(shot: OneShot, classified: Classified, method: str, at: datetime) -> bool:
    summary = {**classified.as_json(), "match_method": method, "received_at": at.isoformat()}
    accepted = datetime.fromisoformat(shot.result.details["accepted_at"])
    summary["latency_hours"] = round((at - accepted).total_seconds() / 3600, 4)
    if classified.kind is Kind.AUTO_REPLY:
        shot.auto_replies.append(summary)
        return False
    if classified.kind is Kind.DELAY:
        return False
    shot.reply = summary
    shot.outcome = "bounced" if classified.kind is Kind.BOUNCE else "replied"
    return True


async def _idle(client: aioimaplib.IMAP4, seconds: float) -> None:
    if not client.has_capability("IDLE"):
        await asyncio.sleep(min(seconds, 5.0))
        return
    idle = await client.idle_start(timeout=seconds)
    with contextlib.suppress(TimeoutError):
        await client.wait_server_push(timeout=seconds + 1)
    client.idle_done()
    await asyncio.wait_for(idle, 10)
