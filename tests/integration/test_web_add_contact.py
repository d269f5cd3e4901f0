"""«Добавить контакт» on the organisation page (issue 17: an organisation without a website gets
one from the browser), through the real app in Chromium: an operator adds a website, a bad value
and a duplicate are refused in Russian with the input kept; a viewer has no form and a forged
POST is refused. The check page's «Исправить контакт» placeholder is the contact kind's own."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.checks import create_check
from storage.corrections import correct_contact
from storage.engine import session_scope
from storage.models import AuditLog, Contact, Organisation
from tests.integration.browser_support import login
from tests.integration.test_web_support import Seeded, WebServer, logged_in


def _websites(engine: Engine, organisation_id: int) -> list[Contact]:
    with session_scope(engine) as db:
        return list(
            db.exec(
                select(Contact).where(
                    Contact.organisation_id == organisation_id, Contact.channel == "web"
                )
            ).all()
        )


def test_an_operator_adds_a_website_and_a_bad_value_or_a_duplicate_is_refused(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    assert _websites(engine, seeded.omsk_id) == []
    login(page, server, "operator", target=f"/organisations/{seeded.omsk_id}")
    form = page.locator("#form-add-contact")
    options = form.locator("select[name=kind] option")
    expect(options.filter(has_text="Адрес сайта")).to_have_count(1)
    expect(options.filter(has_text="Номер телефона")).to_have_count(1)
    # The channel that exists for tests only (not listed) is not offered to operators.
    expect(options).to_have_text(["Адрес электронной почты", "Номер телефона", "Адрес сайта"])

    form.locator("select[name=kind]").select_option(label="Адрес сайта")
    form.locator("input[name=raw]").fill("http://bad site")
    form.locator("input[name=reason]").fill("звонок в учреждение")
    form.locator("button[type=submit]").click()
    error = page.locator("#form-error")
    expect(error).to_contain_text("Не удалось распознать адрес сайта: «http://bad site».")
    expect(error).to_contain_text("введённое сохранено")
    form = page.locator("#form-add-contact")
    expect(form.locator("input[name=raw]")).to_have_value("http://bad site")
    expect(form.locator("input[name=reason]")).to_have_value("звонок в учреждение")
    expect(form.locator("select[name=kind]")).to_have_value("website")
    assert _websites(engine, seeded.omsk_id) == []

    form.locator("input[name=raw]").fill("MinSoc.OmskPortal.ru")
    form.locator("button[type=submit]").click()
    expect(page.locator("#contact-added")).to_contain_text("добавлен")
    row = page.locator("#contacts tr", has_text="https://minsoc.omskportal.ru/")
    expect(row).to_contain_text("сайт")
    expect(row).to_contain_text("MinSoc.OmskPortal.ru")
    expect(row).to_contain_text("действует")
    (added,) = _websites(engine, seeded.omsk_id)
    assert (added.value, added.active, added.source) == (
        "https://minsoc.omskportal.ru/", True, "operator addition by operator",
    )  # fmt: skip
    with session_scope(engine) as db:
        audit = db.exec(
            select(AuditLog).where(AuditLog.action == "add_contact", AuditLog.actor == "operator")
        ).one()
        assert audit.entity_id == str(added.id)
        assert "звонок в учреждение" in str(audit.after)

    # The same site again, typed differently, is the same contact: refused, nothing added.
    form = page.locator("#form-add-contact")
    form.locator("select[name=kind]").select_option("website")
    form.locator("input[name=raw]").fill("https://minsoc.omskportal.ru")
    form.locator("button[type=submit]").click()
    expect(page.locator("#form-error")).to_contain_text(
        f"У организации уже есть такой контакт: https://minsoc.omskportal.ru/ (№{added.id})."
    )
    assert len(_websites(engine, seeded.omsk_id)) == 1

    # The added website's check page offers its correction with a website's example.
    with session_scope(engine) as db:
        contact = db.get(Contact, added.id)
        assert contact is not None
        check_id = create_check(session=db, contact=contact, campaign_id=seeded.campaign_id).id
    page.goto(f"{server.url}/checks/{check_id}")
    raw = page.locator("#form-correct input[name=raw]")
    expect(raw).to_have_attribute("placeholder", "https://example.ru")
    page.goto(f"{server.url}/checks/{seeded.busy_id}")
    expect(raw).to_have_attribute("placeholder", "8 (3812) 00-00-00")


def test_a_viewer_has_no_add_contact_form_and_a_forged_post_is_refused(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    login(page, server, "viewer", target=f"/organisations/{seeded.omsk_id}")
    expect(page.locator("#contacts")).to_be_visible()
    expect(page.locator("#form-add-contact")).to_have_count(0)
    token = page.locator("form.logout input[name=csrf_token]").get_attribute("value") or ""
    answer = page.request.post(
        f"{server.url}/organisations/{seeded.omsk_id}/contacts",
        form={"csrf_token": token, "kind": "website", "raw": "https://x.ru", "reason": ""},
    )
    assert answer.status == 403
    refusal = "Недостаточно прав: действие доступно только оператору и администратору."
    assert refusal in answer.text()
    assert _websites(engine, seeded.omsk_id) == []


def test_a_contact_marked_wrong_and_added_again_is_switched_back_on(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    # The centre's phone was marked wrong and replaced; it turns out to answer after all.
    with session_scope(engine) as db:
        old = db.get(Contact, seeded.phone_contact_id)
        assert old is not None
        replacement, _ = correct_contact(
            session=db, contact=old, kind="wrong", raw="8 (3812) 35-70-09",
            value="+73812357009", extension=None, actor="operator",
        )  # fmt: skip
        replacement_id = replacement.id
    login(page, server, "operator", target=f"/organisations/{seeded.omsk_id}")
    row = page.locator(f"#contacts tr[data-contact-id='{seeded.phone_contact_id}']")
    expect(row).to_contain_text(f"заменён контактом №{replacement_id}")
    form = page.locator("#form-add-contact")
    form.locator("select[name=kind]").select_option("phone")
    form.locator("input[name=raw]").fill("+7 (3812) 35-70-00")
    form.locator("input[name=reason]").fill("дозвонились, номер работает")
    form.locator("button[type=submit]").click()
    expect(page.locator("#contact-reactivated")).to_have_text(
        f"Контакт №{seeded.phone_contact_id} у организации уже был (заменён или отключён): "
        "он снова действует. Прежнее состояние — в журнале действий."
    )
    expect(page.locator("#form-error")).to_have_count(0)
    expect(row.locator("td").nth(5)).to_have_text("действует")
    with session_scope(engine) as db:
        contact = db.get(Contact, seeded.phone_contact_id)
        assert contact is not None
        assert (contact.active, contact.superseded_by_id) == (True, None)
        audit = db.exec(select(AuditLog).where(AuditLog.action == "reactivate_contact")).one()
        assert (audit.actor, audit.entity_id) == ("operator", str(seeded.phone_contact_id))
        assert audit.after is not None and audit.after["reason"] == "дозвонились, номер работает"
    # The journal names the action in Russian.
    page.goto(f"{server.url}/audit")
    expect(page.locator("body")).to_contain_text(
        "контакт снова действует: оператор ввёл его повторно"
    )


def test_the_site_fact_shows_the_address_campaigns_check_and_the_directorys_cell_beside_it(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        org = db.get(Organisation, seeded.omsk_id)
        assert org is not None
        org.website = "ftp://kcson-old.ru"  # the directory's cell: no site's address
        db.add(org)
    client, token = logged_in(server, "operator")

    def fact() -> str:
        page = LexborHTMLParser(client.get(f"/organisations/{seeded.omsk_id}").text)
        facts = page.css(".facts dd.column-fact")
        assert len(facts) == 1
        return " ".join(facts[0].text().split())

    assert fact() == (
        "нет действующего адреса: проверять нечего — добавьте его формой «Добавить контакт» "
        "ниже в справочнике: ftp://kcson-old.ru"
    )
    added = client.post(
        f"/organisations/{seeded.omsk_id}/contacts",
        data={"csrf_token": token, "kind": "website", "raw": "Kcson.Omsk.ru", "reason": ""},
    )
    assert added.status_code == 303, added.text
    (site,) = _websites(engine, seeded.omsk_id)
    assert fact() == (
        f"https://kcson.omsk.ru/ контакт №{site.id} "
        "в справочнике: ftp://kcson-old.ru (проверяется адрес выше)"
    )
    # The directory says the same as the contact in use: nothing beside it.
    with session_scope(engine) as db:
        org = db.get(Organisation, seeded.omsk_id)
        assert org is not None
        org.website = "Kcson.Omsk.ru"
        db.add(org)
    assert fact() == f"https://kcson.omsk.ru/ контакт №{site.id}"
