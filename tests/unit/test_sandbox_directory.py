"""The sandbox's centres publish their local sites through the directory's `website` column:
the importer, not the sandbox, makes the web contacts the campaign probes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from probe.directory.importer import bundled_path, import_directory
from probe.sandbox.sites import directory_with_sites
from probe.sandbox.world import load_world
from storage.directory import list_contacts, list_organisations
from storage.engine import session_scope


def test_each_centre_gets_one_web_contact_for_its_local_site_from_the_import(
    tmp_path: Path, engine: Engine
) -> None:
    world = load_world()
    urls = {
        o.protocol_row: f"https://127.0.0.1:{20000 + o.protocol_row}/" for o, _ in world.websites
    }
    assert len(urls) == 38
    bundled = bundled_path(world.directory)
    source = directory_with_sites(bundled, urls, tmp_path / bundled.name)
    plain = import_directory(bundled, engine=None, dry_run=True)
    report = import_directory(source, engine=engine, actor="sandbox", display_name=bundled.name)
    assert report.warnings == plain.warnings  # the sites add nothing to fix
    # the same phones and addresses, and one site per centre the bundled file lacks
    assert plain.contact_counts()["website"] == 0
    assert report.contact_counts() == plain.contact_counts() | {"website": 38}
    with session_scope(engine) as session:
        organisations = list_organisations(session=session)
        assert len(organisations) == len(plain.organisations)
        for org in organisations:
            assert org.id is not None and org.protocol_row is not None
            assert org.source == "omsk-kcson.yaml"  # as the plain import names it
            web = [
                c.value
                for c in list_contacts(session=session, organisation_id=org.id)
                if c.channel == "web" and c.probeable
            ]
            assert web == ([urls[org.protocol_row]] if org.protocol_row in urls else [])
            assert org.website == urls.get(org.protocol_row, "")
    # The sandbox imports once per run; a second import of the same file changes nothing.
    again = import_directory(source, engine=engine, actor="sandbox", display_name=bundled.name)
    assert again.stats is not None and again.stats.contacts_created == 0
    assert again.stats.organisations_unchanged == len(plain.organisations)
