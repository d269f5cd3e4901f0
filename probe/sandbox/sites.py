"""The centres' websites in the sandbox: one site per centre, of the kind its world entry names,
served on 127.0.0.1 by nginx (probe/sandbox/websites.py), and each centre's directory entry
pointed at its own site.

The bundled directory lists no websites, and the sandbox never fetches a real one: after the
import, each centre's `website` (and its `web` contact, what the campaign's web checks probe) is
its local site's URL, as the phones are routed to SIPp and the mailboxes live in the sandbox's
own Dovecot. The sites publish the directory's phones and addresses (plus, for a few centres, a
number the directory lacks: the review queue's «справочник может быть устаревшим»).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from probe.results import utc_now
from probe.sandbox.world import World

if TYPE_CHECKING:
    from probe.sandbox.websites import ServedSites

SOURCE = "sandbox website"


def start_sites(world: World, run_dir: Path) -> tuple[ServedSites | None, dict[int, str]]:
    """nginx serving every centre's site; the home page's URL of each protocol row."""
    from probe.sandbox.websites import KINDS, SiteRequest, start_websites

    requests = []
    for organisation, site in world.websites:
        if site.kind not in KINDS:
            raise ValueError(
                f"row {organisation.protocol_row}: unknown site kind {site.kind!r}; "
                f"known: {', '.join(KINDS)}"
            )
        phones = [p.value for p in organisation.phones]
        if site.other_phone:
            phones.append(site.other_phone)
        emails = [m.address.lower() for m in organisation.emails]
        requests.append(SiteRequest(site.kind, organisation.name, tuple(phones), tuple(emails)))
    if not requests:
        return None, {}
    served = start_websites(requests, run_dir)
    rows = [organisation.protocol_row for organisation, _ in world.websites]
    return served, dict(zip(rows, served.urls, strict=True))


def publish_sites(engine: Engine, urls: dict[int, str], *, actor: str = "sandbox") -> int:
    """Point each centre's directory entry at its local site (its `website` and a `web`
    contact); returns the number of centres."""
    from storage.engine import session_scope
    from storage.models import Contact, Organisation

    now = utc_now()
    with session_scope(engine) as session:
        organisations = session.exec(
            select(Organisation).where(col(Organisation.protocol_row).in_(list(urls)))
        ).all()
        for organisation in organisations:
            assert organisation.id is not None and organisation.protocol_row is not None
            url = urls[organisation.protocol_row]
            organisation.website = url
            organisation.updated_at = now
            session.add(organisation)
            for old in session.exec(
                select(Contact).where(
                    Contact.organisation_id == organisation.id, Contact.channel == "web"
                )
            ).all():
                if old.key != url:
                    old.active = False
                    session.add(old)
            known = session.exec(
                select(Contact).where(
                    Contact.organisation_id == organisation.id,
                    Contact.channel == "web",
                    Contact.key == url,
                )
            ).first()
            if known is None:
                session.add(
                    Contact(
                        organisation_id=organisation.id,
                        channel="web",
                        key=url,
                        raw=url,
                        value=url,
                        label="сайт",
                        source=f"{SOURCE} ({actor})",
                        created_at=now,
                        updated_at=now,
                    )
                )
        return len(organisations)
