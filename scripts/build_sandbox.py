"""Build the sandbox's simulated organisations from seed 000's Protocol No. 6.

    python scripts/build_sandbox.py [--seeds DIR] [--check]

Each of the 38 Omsk centres behaves in the sandbox as it did for the 2020 operator:
- phones: the outcomes the operator logged for a number, in order, become that number's script
  (busy then free, never answering, an answering machine, a dropped call); a number the
  operator never dialled answers; a connected call is transferred once or several times as the
  protocol's columns 10-12 say, and rings a few seconds first; its persons greet as columns 7-9
  say (the first marked column for who picks up, the next for the specialist);
- e-mail: an address that replied answers after the same number of working days; one that
  never did stays silent; a primary address the operator had to replace bounces; a few
  centres that took longer than a day send an auto-reply first (the seed has none to copy, the
  sandbox needs one: every fourth such centre, chosen by row number);
- websites (the bundled directory lists none; the sandbox gives every centre one on 127.0.0.1):
  each row gets a kind of site from `SITE_KINDS` (probe/sandbox/sitepages.py builds them), so
  that the 38 cover every kind (menus in different words, a form a script inserts, the
  Gosuslugi widget, FAQ as an accordion, a survey link, a form whose submit fails, a CAPTCHA, a
  login wall, a site that is down, an expired certificate, a redirect chain ...); the sites of
  `OTHER_PHONE`'s rows also publish a number the directory lacks (the directory may be
  outdated).
Writes probe/data/sandbox/omsk-kcson.yaml; --check fails if the committed file differs.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from probe.calendar import working_days_elapsed  # noqa: E402
from probe.directory.importer import bundled_path, import_directory  # noqa: E402
from probe.history.calllog import parse_call_log  # noqa: E402
from probe.history.document import read_protocol6  # noqa: E402
from probe.history.letters import parse_mail_row  # noqa: E402
from probe.history.marks import TRANSFER_COLUMNS, single_mark  # noqa: E402
from probe.scoring.names import Outcome  # noqa: E402

SEED = "000_4f0d44af83f0814c.txt"
OUT = REPO / "probe" / "data" / "sandbox" / "omsk-kcson.yaml"
ZONE = ZoneInfo("Asia/Omsk")
TRANSFER_COUNT = {"none": 0, "once": 1, "several": 2}
# Rows 1-18: one of each kind; rows 19-38 as most public sites are, all three or one or two.
SITE_KINDS = (
    "all_three", "plain_form", "script_form", "gosuslugi_widget", "faq_accordion", "faq_page",
    "survey_link", "survey_form", "form_500", "captcha_form", "login_wall", "nothing",
    "redirect_chain", "robots_disallow", "down", "expired_cert", "home_error", "robots_closed",
) + (
    "all_three", "all_three", "script_form", "all_three", "faq_accordion", "survey_link",
    "gosuslugi_widget", "all_three", "redirect_chain", "faq_page", "survey_form",
) * 2  # fmt: skip
OTHER_PHONE = {3: "+73812215050", 30: "+73812216060"}
GREETING_KINDS = ("full", "organisation_only", "none")  # columns 7, 8, 9


def _key(value: str | None, extension: str | None) -> str:
    return (value or "") + (f";ext={extension}" if extension else "")


def build(seeds: Path) -> dict[str, Any]:
    document = read_protocol6(seeds / SEED)
    directory = import_directory(bundled_path("omsk-kcson"), engine=None, dry_run=True)
    by_row = {o.protocol_row: o for o in directory.organisations}
    organisations = []
    for row in document.phone_rows:
        org = by_row[row.number]
        phones = [c for c in org.contacts if c.channel == "phone" and c.value]
        area = org.area_code or None
        if area is None and phones:
            from probe.directory.phones import area_code_of

            area = area_code_of(phones[0].value or "")
        log = parse_call_log(row.log, zone=ZONE, area_code=area, where=f"row {row.number}")
        scripts: dict[str, list[str]] = defaultdict(list)
        for call in log.calls:
            for dial in call.dials:
                if dial.outcome != Outcome.UNKNOWN:
                    scripts[_key(dial.phone.value, dial.phone.extension)].append(dial.outcome)
        problems: list[str] = []
        transfers = single_mark(
            row.marks[3:6],
            TRANSFER_COLUMNS,
            first_column=10,
            what="transfers",
            where=f"row {row.number}",
            problems=problems,
        )
        phone_entries = []
        for n, contact in enumerate(phones):
            outcomes = scripts.get(_key(contact.value, contact.extension)) or ["connected"]
            phone_entries.append(
                {
                    "number": _key(contact.value, contact.extension),
                    "outcomes": outcomes,
                    "ring_ms": 1000 + 500 * ((row.number + n) % 5),
                    "transfers": TRANSFER_COUNT[transfers.value] if transfers else 0,
                    "greetings": _greetings(row.marks[0:3]),
                }
            )
        organisations.append(
            {
                "protocol_row": row.number,
                "name": org.name,
                "phones": phone_entries,
                "emails": _emails(document.mail_rows[row.number - 1], org),
                "website": _website(row.number),
            }
        )
    return {
        "source": f"seed {SEED}, Protocol No. 6 tables 1 and 2 (generated by "
        "scripts/build_sandbox.py; do not edit by hand)",
        "organisations": organisations,
    }


def _greetings(marks: list[str]) -> list[str]:
    """How the persons who answered greet, in order, as the operator marked columns 7-9 (a
    centre with no mark answers in full)."""
    kinds = [kind for kind, mark in zip(GREETING_KINDS, marks, strict=True) if mark.strip()]
    return kinds or ["full"]


def _emails(mail_row: Any, org: Any) -> list[dict[str, Any]]:
    log = parse_mail_row(mail_row)
    # The directory keeps an address's local part as published; the sandbox's mailboxes and
    # this table are keyed by the lower-cased address.
    listed = [c.value.lower() for c in org.contacts if c.channel == "email" and c.value]
    behaviour: dict[str, dict[str, Any]] = {}
    for index, letter in enumerate(log.letters):
        replaced = index < len(log.letters) - 1  # the operator wrote again elsewhere
        for address in letter.addresses:
            value = address.strip().lower()
            if replaced and letter.replied is None:
                behaviour[value] = {"bounce": True}
            elif letter.replied is None:
                behaviour[value] = {"silence": True}
            else:
                sent = _midday(letter.sent)
                days = working_days_elapsed(sent, _midday(letter.replied), tz="Asia/Omsk")
                entry: dict[str, Any] = {"reply_after_working_days": days}
                if days >= 2 and mail_row.number % 4 == 0:
                    entry["auto_reply"] = True
                behaviour[value] = entry
    return [
        {"address": value, **behaviour.get(value, {"reply_after_working_days": 1})}
        for value in listed
    ]


def _website(row: int) -> dict[str, Any]:
    site: dict[str, Any] = {"kind": SITE_KINDS[(row - 1) % len(SITE_KINDS)]}
    if row in OTHER_PHONE:
        site["other_phone"] = OTHER_PHONE[row]
    return site


def _midday(day: Any) -> Any:
    from datetime import datetime, time

    return datetime.combine(day, time(12), ZONE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = "# Generated by scripts/build_sandbox.py from the seeds; do not edit by hand.\n"
    text += yaml.safe_dump(build(args.seeds), allow_unicode=True, sort_keys=False, width=100)
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} differs from what the seeds give: run scripts/build_sandbox.py")
            return 1
        print(f"{OUT}: up to date")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
