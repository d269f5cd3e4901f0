"""The centres' websites in the sandbox: one site per centre, of the kind its world entry names,
served on 127.0.0.1 by nginx (probe/sandbox/websites.py), and each centre's directory entry
pointed at its own site.

The bundled directory lists no websites, and the sandbox never fetches a real one: it imports
the directory with each centre's `website` set to its local site's URL (the importer makes the
`web` contact the campaign's web checks probe from that column), as the phones are routed to
SIPp and the mailboxes live in the sandbox's own Dovecot. The sites publish the directory's
phones and addresses (plus, for a few centres, a number the directory lacks: the review queue's
«справочник может быть устаревшим»).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from probe.sandbox.world import World

if TYPE_CHECKING:
    from probe.sandbox.websites import ServedSites


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


def directory_with_sites(source: Path, urls: dict[int, str], out: Path) -> Path:
    """A copy of the bundled directory `source` whose centres publish their local sites (the
    `website` column of each protocol row in `urls`), for the importer to read: the web
    contacts come from the directory's own column, as a ministry's file would give them."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for entry in data["organisations"]:
        url = urls.get(entry.get("protocol_row"))
        if url is not None:
            entry["website"] = url
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out
