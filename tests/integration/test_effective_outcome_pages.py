"""The outcome after operators' verdicts, as the pages show it (issue 16): the queue's total
under an outcome filter counts what the filter shows, and the organisation page's tally per
campaign counts each check by its effective outcome."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.engine import Engine

from probe.scoring.names import Outcome
from storage.checks import add_review
from storage.engine import session_scope
from storage.models import Contact
from tests.integration.test_web_support import Seeded, WebServer, _done, logged_in

pytestmark = pytest.mark.integration


def _busy_failures(engine: Engine, seeded: Seeded, count: int) -> None:
    with session_scope(engine) as db:
        for n in range(count):
            value = f"+7863211{n:04d}"
            contact = Contact(
                organisation_id=seeded.rostov_id, channel="phone", key=value, raw=value, value=value
            )
            db.add(contact)
            db.flush()
            _done(db, contact, seeded.campaign_id, Outcome.BUSY, 60 + n)


def _verdict(engine: Engine, check_id: int, value: str) -> None:
    with session_scope(engine) as db:
        add_review(
            session=db,
            author="operator",
            field="verdict",
            value=value,
            reason="прослушал запись",
            check_id=check_id,
        )


def _total(html: str) -> str:
    found = re.search(r'id="queue-total">Всего в очереди: <strong>([^<]+)</strong>', html)
    assert found is not None, html
    return found.group(1)


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-check-id="(\d+)"', html)]


def test_the_queue_total_under_an_outcome_filter_leaves_out_failures_overturned_elsewhere(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    # 56 busy lines in the queue (the seeded one and 55 more): two pages of 50. An operator
    # hears the seeded one answered: «соединение», which still needs its etiquette.
    _busy_failures(engine, seeded, 55)
    _verdict(engine, seeded.busy_id, "connected")
    client, _ = logged_in(server, "operator")
    first = client.get("/queue?outcome=busy").text
    second = client.get(f"/queue?outcome=busy&after={_ids(first)[-1]}").text
    shown = _ids(first) + _ids(second)
    assert seeded.busy_id not in shown and len(shown) == 55
    assert _total(first) == "55"
    connected = client.get("/queue?outcome=connected").text
    assert seeded.busy_id in _ids(connected) and _total(connected) == "2"


def _history_cell(html: str, campaign_id: int, channel: str) -> str:
    row = re.search(rf'<tr data-campaign-id="{campaign_id}"[^>]*>(.*?)</tr>', html, re.S)
    assert row is not None, html
    cell = re.search(rf'<td data-channel="{channel}">(.*?)</td>', row.group(1), re.S)
    assert cell is not None, row.group(1)
    return re.sub(r"<[^>]+>", " ", cell.group(1))


def test_the_organisation_page_tallies_each_campaign_by_the_effective_outcome(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    # Omsk's phone in the campaign: busy (retried), no answer, connected (judged), connected,
    # busy. The last busy line was answered (overturned to «соединение»); the retried one was
    # overturned to «не отвечает» and then confirmed busy after all (the newest verdict wins).
    _verdict(engine, seeded.busy_id, "connected")
    _verdict(engine, seeded.retried_id, "no_answer")
    _verdict(engine, seeded.retried_id, "confirmed")
    client, _ = logged_in(server, "viewer")
    page = client.get(f"/organisations/{seeded.omsk_id}")
    assert page.status_code == 200
    cell = " ".join(_history_cell(page.text, seeded.campaign_id, "phone").split())
    assert cell.startswith("да: 3 из 5"), cell
    assert "соединение: 3" in cell.lower(), cell
    assert "занято: 1" in cell.lower() and "не отвечает: 1" in cell.lower(), cell


def test_the_dashboard_counts_an_organisation_reached_by_its_effective_outcome(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    # Rostov's only check: no answer, overturned to «соединение» (the operator heard an answer).
    _verdict(engine, seeded.no_answer_id, "connected")
    client, _ = logged_in(server, "viewer")
    html = client.get(f"/campaigns/{seeded.campaign_id}").text
    table = re.search(r'<table class="grid groups" id="by-region">(.*?)</table>', html, re.S)
    assert table is not None, html
    rows = [re.findall(r"<td>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", table.group(1))]
    rostov = [r for r in rows if r and "Ростов" in r[0]]
    assert rostov and rostov[0][-1] == "100 %", rows


def test_a_queue_beyond_the_counted_cap_says_more_than(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    _busy_failures(engine, seeded, 100)  # 104 in the queue, counted up to 100
    client, _ = logged_in(server, "operator")
    assert _total(client.get("/queue").text) == "более 100"
    omsk = client.get("/queue?region=omsk").text
    assert _total(omsk) == "3"  # one page: its rows
    # The region's organisations to choose from (storage.directory.organisation_choices).
    select = re.search(r'<select name="organisation">(.*?)</select>', omsk, re.S)
    assert select is not None, omsk
    choices = re.findall(r'<option value="(\d+)"\s*>([^<]+)</option>', select.group(1))
    assert choices == [
        (
            str(seeded.omsk_id),
            "КЦСОН &lt;script&gt;alert(&#39;org&#39;)&lt;/script&gt; Кировского округа",
        )
    ]
    assert _total(client.get("/queue?outcome=busy").text) == "более 100"
