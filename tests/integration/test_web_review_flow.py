"""The review flow in Chromium (issue 16): claim, next item, bulk confirm, the queue's total and
pages, the probe's findings pre-filled, only the judgements that apply, and the outcome after
an operator's verdict in the queue and the organisation's history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import select

from probe.scoring.names import Outcome
from storage.checks import add_review
from storage.engine import session_scope
from storage.models import AuditLog, Check, Contact, Review, ReviewClaim
from tests.integration.browser_support import guide_shot, login
from tests.integration.test_web_support import Seeded, WebServer, _done, logged_in

pytestmark = pytest.mark.integration


def _queue_ids(page: Page) -> list[int]:
    rows = page.locator("#queue-table tbody tr")
    return [int(x) for x in rows.evaluate_all("rows => rows.map(r => r.dataset.checkId)")]


def _check_url(server: WebServer, check_id: int) -> str:
    return f"{server.url}/checks/{check_id}"


def test_an_operator_takes_the_next_item_saves_and_moves_on(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    login(page, server, "operator")
    expect(page.locator("#queue-total")).to_have_text("Всего в очереди: 4")
    # Only the outcomes that reach the queue: never our own failures.
    options = page.locator("select[name=outcome] option").evaluate_all("os => os.map(o => o.value)")
    assert {"no_answer", "busy", "connected", "bounced", "replied"} <= set(options)
    assert not {"failed", "send_failed", "unknown"} & set(options)
    guide_shot(page, tmp_path, "review-queue.png")

    page.click("#form-next button")  # newest first: the Rostov call nobody answered
    expect(page).to_have_url(f"{_check_url(server, seeded.no_answer_id)}?msg=claimed")
    expect(page.locator("#claimed-by")).to_contain_text("Проверка в работе у вас ещё 30 мин")
    # No etiquette, transfers or grade on an unanswered call: only what applies.
    for absent in ("#form-etiquette", "#form-transfers", "#form-grade", "#form-call_note"):
        expect(page.locator(absent)).to_have_count(0)
    guide_shot(page, tmp_path, "review-check-claimed.png")

    page.fill("#form-verdict input[name=reason]", "прослушал запись: гудки до конца")
    page.click("#form-verdict button[name=then]")
    expect(page).to_have_url(f"{_check_url(server, seeded.replied_id)}?msg=verdict_next")
    expect(page.locator("#flash")).to_have_text(
        "Решение записано. Следующая проверка из очереди взята в работу."
    )
    expect(page.locator("#form-etiquette")).to_have_count(0)  # a letter: grade only
    expect(page.locator("#form-grade")).to_have_count(1)
    page.select_option("#form-grade select[name=value]", "good")
    page.click("#form-grade button[name=then]")
    expect(page).to_have_url(f"{_check_url(server, seeded.busy_id)}?msg=saved_next")

    with session_scope(engine) as db:
        claims = {c.check_id: c.username for c in db.exec(select(ReviewClaim))}
        assert claims == {seeded.busy_id: "operator"}  # the ones left were released
        verdict = db.exec(select(Review).where(Review.check_id == seeded.no_answer_id)).one()
        assert (verdict.field, verdict.value, verdict.author) == (
            "verdict",
            "confirmed",
            "operator",
        )
    page.goto(server.url + "/queue")
    expect(page.locator("#queue-total")).to_have_text("Всего в очереди: 2")
    expect(page.locator(f"tr[data-check-id='{seeded.busy_id}'] td.claim")).to_contain_text("вы")


def test_a_claimed_check_is_skipped_for_another_operator_and_cannot_be_saved_by_them(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    operator, token = logged_in(server, "operator")
    answer = operator.post(
        f"/checks/{seeded.no_answer_id}/claim", data={"csrf_token": token, "queue": ""}
    )
    assert answer.status_code == 303
    login(page, server, "admin")  # an admin reviews too
    expect(page.locator(f"tr[data-check-id='{seeded.no_answer_id}'] td.claim")).to_contain_text(
        "operator, ещё 30 мин"
    )
    page.click("#form-next button")
    expect(page).to_have_url(f"{_check_url(server, seeded.replied_id)}?msg=claimed")

    page.goto(_check_url(server, seeded.no_answer_id))
    expect(page.locator("#claimed-by")).to_contain_text(
        "Эту проверку сейчас разбирает operator (в работе ещё 30 мин)"
    )
    page.fill("#form-verdict input[name=reason]", "не слушал")
    page.click("#form-verdict button >> nth=0")
    expect(page.locator("#form-error")).to_contain_text(
        f"Проверку №{seeded.no_answer_id} сейчас разбирает operator (в работе ещё 30 мин): "
        "выберите другую проверку в очереди."
    )
    expect(page.locator("#form-verdict input[name=reason]")).to_have_value("не слушал")
    with session_scope(engine) as db:
        assert db.exec(select(Review).where(Review.check_id == seeded.no_answer_id)).all() == []
        # An expired claim is taken over.
        claim = db.get(ReviewClaim, seeded.no_answer_id)
        assert claim is not None
        claim.expires_at -= timedelta(minutes=31)
        db.add(claim)
    page.goto(_check_url(server, seeded.no_answer_id))
    expect(page.locator("#form-claim")).to_have_count(1)
    page.click("#form-claim button")
    expect(page.locator("#claimed-by")).to_contain_text("Проверка в работе у вас")


def test_an_operator_confirms_several_failures_at_once(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    login(page, server, "operator")
    # Only the failures waiting for a verdict can be ticked, not the calls to judge.
    expect(page.locator(f"tr[data-check-id='{seeded.connected_id}'] input")).to_have_count(0)
    page.check(f"tr[data-check-id='{seeded.busy_id}'] input[name=check]")
    page.check(f"tr[data-check-id='{seeded.no_answer_id}'] input[name=check]")
    page.fill("#form-bulk input[name=reason]", "записи прослушаны, результат верен")
    guide_shot(page, tmp_path, "review-bulk-confirm.png")
    page.click("#form-bulk button")
    expect(page.locator("#flash")).to_have_text("Подтверждено проверок: 2.")
    assert _queue_ids(page) == [seeded.replied_id, seeded.connected_id]
    with session_scope(engine) as db:
        verdicts = db.exec(select(Review).where(Review.field == "verdict")).all()
        assert sorted((v.check_id, v.value, v.reason) for v in verdicts) == [
            (seeded.busy_id, "confirmed", "записи прослушаны, результат верен"),
            (seeded.no_answer_id, "confirmed", "записи прослушаны, результат верен"),
        ]
        audited = db.exec(select(AuditLog).where(AuditLog.action == "review")).all()
        assert {(a.actor, a.entity_id) for a in audited} >= {
            ("operator", str(seeded.busy_id)), ("operator", str(seeded.no_answer_id)),
        }  # fmt: skip


def test_a_viewer_has_no_review_flow_and_a_forged_bulk_confirm_is_refused(
    page: Page, server: WebServer, seeded: Seeded
) -> None:
    login(page, server, "viewer")
    expect(page.locator("#queue-total")).to_have_text("Всего в очереди: 4")
    expect(page.locator("#form-next, #form-bulk, input[name=check]")).to_have_count(0)
    page.goto(_check_url(server, seeded.busy_id))
    expect(page.locator("#form-claim, #form-next")).to_have_count(0)
    token = page.locator("form.logout input[name=csrf_token]").get_attribute("value") or ""
    for path, form in (
        ("/queue/confirm", {"check": str(seeded.busy_id), "reason": "x"}),
        ("/queue/next", {}),
        (f"/checks/{seeded.busy_id}/claim", {}),
    ):
        answer = page.request.post(server.url + path, form={"csrf_token": token, **form})
        assert answer.status == 403, path
        refusal = "Недостаточно прав: действие доступно только оператору и администратору."
        assert refusal in answer.text()


def _more_failures(engine: Engine, seeded: Seeded, count: int) -> list[int]:
    ids = []
    with session_scope(engine) as db:
        for n in range(count):
            contact = Contact(
                organisation_id=seeded.rostov_id, channel="phone", key=f"+7863211{n:04d}",
                raw=f"+7863211{n:04d}", value=f"+7863211{n:04d}",
            )  # fmt: skip
            db.add(contact)
            db.flush()
            ids.append(_done(db, contact, seeded.campaign_id, Outcome.BUSY, 60 + n).id)
    return ids


def test_the_queue_shows_its_total_and_pages_back_and_forth(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    extra = _more_failures(engine, seeded, 56)  # 60 in the queue: two pages of 50
    login(page, server, "operator")
    expect(page.locator("#queue-total")).to_have_text("Всего в очереди: 60")
    first = _queue_ids(page)
    assert len(first) == 50 and first[0] == extra[-1]
    expect(page.locator("#prev-page")).to_have_count(0)
    page.click("#next-page")
    second = _queue_ids(page)
    assert len(second) == 10 and second[-1] == seeded.connected_id
    expect(page.locator("#next-page")).to_have_count(0)
    page.click("#prev-page")
    assert _queue_ids(page) == first
    expect(page.locator("#prev-page")).to_have_count(0)
    page.goto(server.url + "/queue?region=omsk")
    expect(page.locator("#queue-total")).to_have_text("Всего в очереди: 3")


def test_the_probes_findings_are_pre_filled_and_only_applicable_forms_offered(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as db:
        phone = db.get(Contact, seeded.phone_contact_id)
        assert phone is not None
        measured = _done(
            db, phone, seeded.campaign_id, Outcome.CONNECTED, 70,
            details={"transfers": 2, "etiquette": "full,organisation_only,"},
        ).id  # fmt: skip
        bounced = db.get(Check, seeded.replied_id)
        assert bounced is not None
        bounced.outcome = "bounced"
        db.add(bounced)
    login(page, server, "operator", target=f"/checks/{measured}")
    expect(page.locator("#form-transfers select[name=value]")).to_have_value("several")
    expect(page.locator("#measured-transfers")).to_contain_text("по замеру программы (2)")
    persons = page.locator("#form-etiquette select[name=person]")
    expect(persons).to_have_count(3)
    expect(persons.nth(0)).to_have_value("full")
    expect(persons.nth(1)).to_have_value("organisation_only")
    expect(persons.nth(2)).to_have_value("")
    page.evaluate("document.getElementById('actions').scrollIntoView()")
    guide_shot(page, tmp_path, "review-prefilled.png")
    page.click("#form-transfers button >> nth=0")  # the operator accepts the measurement
    expect(page.locator("#current-reviews tr[data-field=transfers] td.value")).to_have_text(
        "переадресовали несколько раз"
    )
    expect(page.locator("#measured-transfers")).to_have_count(0)
    # A bounced letter: no grade, only a verdict and a note.
    page.goto(_check_url(server, seeded.replied_id))
    expect(page.locator("#form-grade, #form-etiquette, #form-transfers")).to_have_count(0)
    expect(page.locator("#form-verdict, #form-note")).to_have_count(2)


def test_a_check_overturned_to_connected_enters_the_queue_for_its_judgements(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    """The queue and the organisation's history read the outcome after the verdict, not the
    automatic one (before: the overturned call left the queue and the history said «не
    отвечает»)."""
    login(page, server, "operator", target=f"/checks/{seeded.no_answer_id}")
    page.select_option("#form-verdict select[name=value]", "connected")
    page.fill("#form-verdict input[name=reason]", "на записи ответили, программа не распознала")
    page.click("#form-verdict button >> nth=0")
    expect(page.locator("#check-outcome")).to_have_text("соединение")
    page.goto(server.url + "/queue")
    row = page.locator(f"tr[data-check-id='{seeded.no_answer_id}']")
    expect(row).to_contain_text("соединение")
    expect(row).to_contain_text("оценить этикет")
    page.goto(server.url + "/queue?outcome=connected")
    assert _queue_ids(page) == [seeded.no_answer_id, seeded.connected_id]
    page.goto(server.url + "/queue?outcome=no_answer")
    expect(page.locator("#queue-empty")).to_be_visible()
    page.goto(f"{server.url}/organisations/{seeded.rostov_id}")
    history = page.locator(f"#history tr[data-check-id='{seeded.no_answer_id}'] .outcome-cell")
    expect(history).to_contain_text("соединение")
    expect(history).to_contain_text("автоматически: «не отвечает»")
    # Overturned away from a connection, the judged call leaves the queue.
    with session_scope(engine) as db:
        add_review(
            session=db, author="operator", field="verdict", value="answering_machine",
            reason="автоответчик", check_id=seeded.connected_id,
        )  # fmt: skip
    page.goto(server.url + "/queue?outcome=connected")
    assert _queue_ids(page) == [seeded.no_answer_id]
