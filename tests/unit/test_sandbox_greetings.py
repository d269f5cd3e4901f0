"""The sandbox's greetings (issue 18 item 5): each centre's persons greet as the 2020 operator
marked Protocol 6 columns 7-9, and a bad greeting in a world file is refused by name."""

from __future__ import annotations

import pytest

from adapters.sip.greeting import OrganisationNames, Transcript, propose
from probe.sandbox.greetings import COLUMNS, KINDS, REPLY, TEXTS, VOICES, WORDINGS, variant
from probe.sandbox.world import Phone, SandboxError, load_world


def test_the_bundled_world_plays_every_kind_of_greeting_as_the_seed_marked_it() -> None:
    world = load_world("omsk-kcson")
    rows = {o.protocol_row: o for o in world.organisations}
    kinds = {k for p in world.phones for k in p.greetings}
    assert kinds == {"full", "organisation_only", "none"}
    # Row 2: columns 7 and 9 marked (who picked up greeted in full, the specialist did not).
    assert rows[2].phones[0].greetings == ["full", "none"]
    assert [rows[2].phones[0].greeting(leg) for leg in (0, 1, 2)] == ["full", "none", "none"]
    # Row 3: only column 8; row 14: only column 7.
    assert rows[3].phones[0].greetings == ["organisation_only"]
    assert rows[14].phones[0].greeting(1) == "full"


def test_each_kind_has_its_words_and_column() -> None:
    assert COLUMNS == {"full": 7, "organisation_only": 8, "none": 9}
    assert "Николаевна" in TEXTS["full"] and "Николаевна" not in TEXTS["organisation_only"]
    assert "центр" not in TEXTS["none"]


def test_every_wording_is_its_kind_for_every_centre_and_neighbours_greet_differently() -> None:
    # Several wordings and voices per kind: a shared Whisper pass of the greeting worker
    # holds different greetings, as a campaign's recordings do (identical ones make it loop).
    world = load_world("omsk-kcson")
    forms = {(o.name.split()[0], o.name.count('"')): o for o in world.organisations}
    for organisation in forms.values():  # each form of the names (БУ, АУ, a «name» or not)
        names = OrganisationNames(organisation.name)
        for kind in KINDS:
            for text in WORDINGS[kind]:
                proposal = propose(Transcript.from_text(text), names)
                assert proposal.column == COLUMNS[kind], (organisation.name, text)
        # The answer to our question names nobody: heard with a greeting it changes nothing.
        assert propose(Transcript.from_text(REPLY), names).column == 9
    for kind in KINDS:
        assert len(set(WORDINGS[kind])) >= 3
        count = max(len(WORDINGS[kind]), len(VOICES))
        assert {variant(kind, person) for person in range(count)} == set(range(count))
        assert variant(kind, 0) != variant(kind, 1)


def test_a_world_with_an_unknown_greeting_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert Phone(number="+73812000000", outcomes=["connected"]).greetings == ["full"]
    path = tmp_path / "w.yaml"
    path.write_text(
        "organisations:\n- protocol_row: 1\n  name: X\n  phones:\n"
        "  - number: '+73812000000'\n    outcomes: [connected]\n    greetings: [polite]\n",
        encoding="utf-8",
    )
    with pytest.raises(SandboxError, match=r"organisations\.0\.phones\.0\.greetings\.0"):
        load_world(path)
