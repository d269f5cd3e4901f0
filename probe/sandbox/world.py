"""The sandbox's organisations: how each phone number and e-mail address behaves.

Loaded from probe/data/sandbox/<name>.yaml (made from seed 000 by scripts/build_sandbox.py).
Each behaviour maps to a SIPp scenario (phones) or a mailbox mode (e-mail); `expected_*` say
what the prober must record for it, which the summary and CI compare with what it did record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast

import yaml
from pydantic import BaseModel, Field, ValidationError

from probe.scoring.names import Outcome

SANDBOX_DATA = Path(__file__).resolve().parent.parent / "data" / "sandbox"

PhoneBehaviour = Literal[
    "connected", "busy", "no_answer", "unavailable", "rejected", "answering_machine"
]


Greeting = Literal["full", "organisation_only", "none"]


def _full() -> list[Greeting]:
    return ["full"]


class SandboxError(ValueError):
    pass


class Phone(BaseModel):
    number: str  # E.164, or "E.164;ext=digits" as the directory lists it
    outcomes: list[PhoneBehaviour] = Field(min_length=1)  # one per attempt; the last repeats
    ring_ms: int = Field(2000, ge=0, le=20_000)
    transfers: int = Field(0, ge=0, le=2)  # on a connected call: none, once, several
    # How the persons who answer greet (Protocol 6 columns 7-9): who picks up, then the
    # specialist (the last one greets every later person too).
    greetings: list[Greeting] = Field(default_factory=_full, min_length=1, max_length=3)

    @property
    def value(self) -> str:
        return self.number.split(";ext=")[0]

    def greeting(self, leg: int) -> Greeting:
        """The greeting played on a call's leg: the reception's (leg 0), the specialist's."""
        return self.greetings[min(leg, len(self.greetings) - 1)]

    def behaviour(self, attempt: int) -> PhoneBehaviour:
        return self.outcomes[min(attempt, len(self.outcomes)) - 1]


class Mailbox(BaseModel):
    address: str
    # At most 15 working days: a reply then still falls inside the default 30-day reply window
    # whatever the holidays (seed 000's latest came after 8, rows 24 and 35).
    reply_after_working_days: int | None = Field(None, ge=0, le=15)
    auto_reply: bool = False
    bounce: bool = False
    silence: bool = False

    @property
    def replies(self) -> bool:
        return not (self.bounce or self.silence) and self.reply_after_working_days is not None


class Website(BaseModel):
    """The centre's website: the kind of site the sandbox serves for it (probe/sandbox/
    sitepages.py builds each kind), and a phone it publishes that the directory lacks."""

    kind: str
    other_phone: str | None = None  # E.164: the directory may be outdated (the review queue)


class Organisation(BaseModel):
    protocol_row: int
    name: str
    phones: list[Phone] = Field(default_factory=list)
    emails: list[Mailbox] = Field(default_factory=list)
    website: Website | None = None


class World(BaseModel):
    source: str = ""
    directory: str = "omsk-kcson"  # the bundled directory these organisations come from
    organisations: list[Organisation]

    @property
    def phones(self) -> list[Phone]:
        return [p for o in self.organisations for p in o.phones]

    @property
    def mailboxes(self) -> list[Mailbox]:
        return [m for o in self.organisations for m in o.emails]

    @property
    def websites(self) -> list[tuple[Organisation, Website]]:
        return [(o, o.website) for o in self.organisations if o.website is not None]


def load_world(name_or_path: str | Path = "omsk-kcson") -> World:
    path = Path(name_or_path)
    if not path.suffix:
        path = SANDBOX_DATA / f"{name_or_path}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SandboxError(f"cannot read sandbox organisations {path}: {error}") from None
    except yaml.YAMLError as error:
        raise SandboxError(f"{path}: not valid YAML: {error}") from None
    try:
        return World.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SandboxError(f"{path}: {where}: {first['msg']}") from None


# -- what the prober must record ----------------------------------------------------------------

# After these the attempt policy calls the same number again (seed 000's practice; a dropped
# call too, as row 6 was: calls.rejected_retry_minutes, on by default).
_RETRIED = {"busy", "no_answer", "answering_machine", "rejected"}


def expected_phone_outcomes(phone: Phone, *, per_contact: int) -> list[str]:
    """The outcome of each attempt the policy makes on this number, in order."""
    found: list[str] = []
    for attempt in range(1, per_contact + 1):
        behaviour = phone.behaviour(attempt)
        found.append(behaviour)
        if behaviour not in _RETRIED:
            break
    return found


def expected_email_outcome(mailbox: Mailbox) -> str:
    """A reply inside the campaign's reply window is a reply, however late (seed 000 counted
    replies after 6 and 8 working days); an auto-reply alone, or silence, is not."""
    if mailbox.bounce:
        return Outcome.BOUNCED
    if mailbox.replies:
        return Outcome.REPLIED
    return Outcome.AUTO_REPLIED if mailbox.auto_reply else Outcome.NO_REPLY


def expected_email_late(mailbox: Mailbox, *, deadline_working_days: int) -> bool:
    """A reply after the campaign's working-day norm is marked late."""
    return mailbox.replies and (mailbox.reply_after_working_days or 0) > deadline_working_days


# Protocol 5 columns 7-12, as rules R13/R15 score what each kind of site is built to answer.
SERVICES = ("web_form", "faq", "survey")


def expected_web_outcome(website: Website) -> str:
    from probe.sandbox.sitepages import EXPECTED

    return str(EXPECTED[website.kind]["outcome"])


def expected_web_columns(website: Website | None) -> dict[str, tuple[bool | None, bool | None]]:
    """(present, working) of each service once scored: a site that fails leaves both to the
    operator; a CAPTCHA or a login wall leaves "working" to the operator; otherwise what the
    site was built to show. No website: both wait for the operator."""
    if website is None or expected_web_outcome(website) != "site_checked":
        return dict.fromkeys(SERVICES, (None, None))
    from probe.sandbox.sitepages import EXPECTED

    found: dict[str, tuple[bool | None, bool | None]] = {}
    for service in SERVICES:
        verdict = EXPECTED[website.kind][service]
        present, working, needed = cast(tuple[bool | None, bool | None, str | None], verdict)
        found[service] = (
            (False, False) if present is False else (present, None if needed else working)
        )
    return found


def expected_indicator(
    phone: bool | None, email: bool | None, columns: dict[str, tuple[bool | None, bool | None]]
) -> int | None:
    """Indicator 1.2 (Order 344н) from the expected working columns: 30 points per working
    channel, at most 100; unknown while an unjudged channel could still change it."""
    working = [phone, email, *(False if p is False else w for p, w in columns.values())]
    points = min(100, 30 * sum(1 for w in working if w is True))
    return None if points < 100 and any(w is None for w in working) else points
