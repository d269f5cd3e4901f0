"""Mail on its way between the prober and the sandbox's organisations, as the time warp sees it.

A jump of the sandbox's clock while a letter, a reply or a bounce is still travelling through
Postfix and Dovecot skips the hours the others were about to fill: a bounce in transit while
the prober's letter waits made the warp jump to the next midnight (a waiting letter is a night
to skip), so a campaign started in the browser then was planned for the next morning, and a
question read after the jump is answered the next day. Mail is in transit while:

- a letter the prober sent has not been read by its addressee yet (the staff's count of
  questions read is behind the letters sent to the address);
- a letter to an address without a mailbox still waits: its bounce is on its way;
- a member of staff sent a reply the prober has not recorded yet (its inbound messages other
  than bounces are behind the replies sent).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Check, InboundMessage

LETTERS = "email"  # the channel whose checks are letters to the organisations' mailboxes


def mail_in_transit(session: Session, staff: dict[str, tuple[int, int]]) -> str | None:
    """What is still on its way, or None. `staff`: each mailbox's address
    (lower case) with the questions its owner read and the replies they sent
    (`Staff.mail_counts`)."""
    rows = session.exec(
        select(col(Check.status), col(Check.details)).where(
            col(Check.channel) == LETTERS, col(Check.status).in_(["waiting", "done"])
        )
    ).all()
    sent: Counter[str] = Counter()
    for status, details in rows:
        address = str((details or {}).get("recipient") or "").strip().lower()
        if not address or "sent_copy" not in (details or {}):
            continue  # never accepted by the mail server (refused, or our own failure)
        if address in staff:
            sent[address] += 1
        elif status == "waiting":
            return f"the bounce of the letter to {address}"
    for address, (questions, _replies) in staff.items():
        if sent[address] > questions:
            return f"a letter to {address}"
    replies = sum(replies for _questions, replies in staff.values())
    if replies == 0:
        return None
    # Every message but the mail servers' own (bounces, delay notices) is a reply of the staff
    # (one of them answers from another address, `reply_other_address`); a vacation notice
    # Dovecot sends counts too, so a reply can go unseen beside one: the old second of calm.
    recorded = session.exec(
        select(func.count()).where(col(InboundMessage.kind).not_in(["bounce", "delay"]))
    ).one()
    if recorded < replies:
        return f"{replies - recorded} repl{'y' if replies - recorded == 1 else 'ies'} of the staff"
    return None
