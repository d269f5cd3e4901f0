"""Issue 16, as its users would do it: a fresh sandbox started as `make demo` starts it, and then
only the browser. The administrator (the sandbox's `operator` account) creates an operator's and
a viewer's account, loads the directory file the sandbox ships, creates a campaign over two
centres, previews its plan and starts it; the sandbox carries it out; the operator watches the
dashboard until it is done, claims, confirms and overturns checks and exports the protocol; the
viewer watches, is refused a review in Russian and exports too. Every page shows its dates as
dd.mm.yyyy, in its date fields too.

The world is the smallest that keeps it honest (two centres: a call answered and a letter
answered the same day; a call answered after a transfer and a letter that bounces), so the
sandbox's own campaign and the browser's each take seconds. `UPDATE_DOC_SCREENSHOTS=1` copies
the journey's screenshots into docs/screenshots/guide/ (docs/guide.md)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from probe.sandbox.campaign import DEFAULT_START
from probe.sandbox.world import SANDBOX_DATA
from tests.integration.browser_support import assert_russian_dates, guide_shot, new_page

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
ROWS = (3, 12)  # «Пенаты» and the Исилькуль centre of seed 000
NAMES = ("Пенаты", "Исилькульского")
PASSWORD = "journey-pass-16"
TODAY = f"{DEFAULT_START:%d.%m.%Y}"  # the sandbox's day on its compressed clock
BOUNDED_S = 120  # the browser's campaign, from «Запустить» to «завершена»


@dataclass
class Sandbox:
    """`scripts/demo.sh` (what `make demo` runs) on a two-centre world, its output read as it
    comes."""

    proc: subprocess.Popen[str]
    data_dir: Path
    lines: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, needle: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in list(self.lines) if needle in line]
            if found:
                return found[0]
            if self.proc.poll() is not None and not any(needle in x for x in self.lines):
                break
            time.sleep(0.1)
        raise AssertionError(f"no {needle!r} from the sandbox:\n{''.join(self.lines)}")

    @property
    def url(self) -> str:
        line = self.wait_for("review UI: http://", 120)
        return re.search(r"(http://127\.0\.0\.1:\d+)/", line).group(1)  # type: ignore[union-attr]

    @property
    def admin_password(self) -> str:
        line = self.wait_for("review UI: http://", 120)
        return re.search(r"password (\S+)\)", line).group(1)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    folder = tmp_path_factory.mktemp("journey")
    data = yaml.safe_load((SANDBOX_DATA / "omsk-kcson.yaml").read_text(encoding="utf-8"))
    data["organisations"] = [o for o in data["organisations"] if o["protocol_row"] in ROWS]
    world = folder / "world.yaml"
    world.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    command = [str(REPO / "scripts" / "demo.sh"), "--data-dir", str(folder / "var")]
    # Two call workers for six calls at most at once (the default six cost a loaded machine
    # seconds to start).
    command += ["--world", str(world), "--serve", "--timeout", "300", "--workers", "2"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200", "VENV": str(REPO / ".venv")},
    )
    running = Sandbox(proc, folder / "var")
    reader = threading.Thread(target=running.read, daemon=True)
    reader.start()
    # The sandbox's servers share the machine with the browser: a page may take its time.
    expect.set_options(timeout=20_000)
    try:
        yield running
    finally:
        expect.set_options(timeout=5_000)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: every sandbox process is stopped
        try:
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        reader.join(timeout=10)
    # The sandbox's own run still matches its world (the browser's campaign is not in it).
    assert proc.returncode == 0, "".join(running.lines)


def _login(page: Page, sandbox: Sandbox, username: str, password: str = PASSWORD) -> None:
    page.goto(sandbox.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Войти')")
    expect(page).to_have_url(sandbox.url + "/queue")
    assert_russian_dates(page)


def _logout(page: Page) -> None:
    page.click("button:has-text('Выйти')")


def _admin_prepares(page: Page, sandbox: Sandbox, tmp_path: Path) -> None:
    """Accounts for the operator and the viewer; the directory file the sandbox ships."""
    _login(page, sandbox, "operator", sandbox.admin_password)  # the sandbox's admin
    page.click("nav a:has-text('Пользователи')")
    for username, role in (("anna", "operator"), ("ivan", "viewer")):
        page.fill("#form-add-user input[name=username]", username)
        page.select_option("#form-add-user select[name=role]", role)
        page.fill("#form-add-user input[name=password]", PASSWORD)
        page.click("#form-add-user button")
        expect(page.locator(f"tr[data-username={username}]")).to_contain_text("действует")
    expect(page.locator("tr[data-username=anna]")).to_contain_text("оператор")
    expect(page.locator("tr[data-username=ivan]")).to_contain_text("наблюдатель")
    assert_russian_dates(page)
    guide_shot(page, tmp_path, "journey-users.png")

    page.click("nav a:has-text('Справочник')")
    shipped = sandbox.data_dir / "omsk-kcson.yaml"  # the directory as the sandbox imported it
    page.set_input_files("#form-import input[name=file]", str(shipped))
    page.click("#form-import button")
    expect(page.locator("#import-summary")).to_contain_text("Загружено организаций — 38")
    # Loaded again, nothing duplicated; each row with a problem named with its number.
    expect(page.locator("#import-stats")).to_contain_text("новых 0, обновлено 0, без изменений 38")
    problems = page.locator("#import-problems tbody tr")
    assert problems.count() > 0
    expect(problems.first).to_contain_text("загружено с предупреждением")
    assert_russian_dates(page)


def _admin_creates_and_starts(page: Page) -> str:
    """The campaign over two centres: form, plan, start; its dashboard's address."""
    page.click("nav a:has-text('Кампании')")
    page.click("#new-campaign")
    # Today to two weeks on, today as the sandbox's clock has it, shown as Russians write it.
    expect(page.locator("input[name=start]")).to_have_value(DEFAULT_START.date().isoformat())
    assert_russian_dates(page)
    page.fill("input[name=name]", "journey")
    page.fill("input[name=title]", "Проверка из браузера")
    page.check("input[name=org_mode][value=names]")
    page.fill("textarea[name=names]", "\n".join(NAMES))
    for box in page.locator("input[name=channels]").all():
        box.set_checked(box.get_attribute("value") in ("phone", "email"))
    page.select_option("select[name=spread]", "asap")
    # The sandbox's centres greet and answer in seconds; the call's audio is real time.
    page.fill("input[name='options.phone.listen_seconds']", "12")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("#flash")).to_have_text(
        "Кампания создана (черновик). Проверьте план и запустите её."
    )
    expect(page.locator("#plan-calendar tbody tr")).to_have_count(2)
    assert "Организаций в плане: 2" in page.locator("#plan-summary").inner_text()
    assert_russian_dates(page)
    # Started while the sandbox's own campaign still runs: both are carried out, and the
    # sandbox's summary counts its own checks only (the teardown asserts it still matches).
    page.click("#action-start")
    expect(page.locator("#flash")).to_contain_text("Кампания запущена: запланировано проверок — ")
    expect(page.locator("#campaign-status")).to_have_text("идёт")
    page.click("#dashboard-link")
    return page.url.split("?")[0]


def _watch_until_done(page: Page, dashboard: str) -> float:
    """Reloads the dashboard until the campaign is done; the seconds it took."""
    started = time.monotonic()
    page.goto(dashboard)
    expect(page.locator("#counted")).to_contain_text("Состояние: идёт")  # calls take seconds
    while "завершена" not in page.locator("#counted").inner_text():
        assert time.monotonic() - started < BOUNDED_S, page.locator("#progress").inner_text()
        page.wait_for_timeout(1000)
        page.reload()
    # Counted on the sandbox's clock, as every time on the page (its days, not the wall's).
    counted = re.compile(rf"Подсчитано \d\d\.{DEFAULT_START:%m\.%Y} ")
    expect(page.locator("#counted")).to_contain_text(counted)
    return time.monotonic() - started


def _review(page: Page, sandbox: Sandbox, campaign_id: str) -> None:
    """Claim the bounced letter and confirm it; claim the first call and overturn it."""
    page.goto(f"{sandbox.url}/queue?campaign={campaign_id}&outcome=bounced")
    expect(page.locator("#queue-total")).to_have_text("Всего в очереди: 1")
    page.click("#form-next button")
    expect(page.locator("#claimed-by")).to_contain_text("Проверка в работе у вас")
    assert_russian_dates(page)
    page.fill("#form-verdict input[name=reason]", "адрес не существует: отказ сервера получателя")
    page.click("#form-verdict button >> nth=0")
    expect(page.locator("#flash")).to_have_text("Решение по результату записано.")

    page.goto(f"{sandbox.url}/queue?campaign={campaign_id}&channel=phone")
    page.click("#form-next button")
    expect(page.locator("#claimed-by")).to_contain_text("Проверка в работе у вас")
    page.select_option("#form-verdict select[name=value]", "answering_machine")
    page.fill("#form-verdict input[name=reason]", "в записи автоответчик, а не сотрудник")
    page.click("#form-verdict button >> nth=0")
    expect(page.locator("#flash")).to_have_text("Решение по результату записано.")
    expect(page.locator("#check-outcome")).to_contain_text("автоответчик")


def _export(page: Page, dashboard: str, tmp_path: Path, who: str) -> None:
    page.goto(dashboard)
    with page.expect_download() as download:
        page.click("a.export:has-text('Выгрузить XLSX')")
    path = tmp_path / f"{who}.xlsx"
    download.value.save_as(path)
    book = load_workbook(path, read_only=True)
    titles = [sheet.title for sheet in book.worksheets]
    assert titles[:3] == ["Протокол 6 табл. 1", "Протокол 6 табл. 2", "Протокол 5 табл. 1"]
    cells = {c for row in book["Протокол 5 табл. 1"].iter_rows(values_only=True) for c in row}
    assert "Протокол № 5" in cells
    names = {c for s in titles[:3] for r in book[s].iter_rows(values_only=True) for c in r}
    assert sum(1 for n in names if isinstance(n, str) and any(x in n for x in NAMES)) >= 2


def test_admin_operator_and_viewer_do_their_jobs_on_a_fresh_sandbox_in_the_browser(
    browser: Browser, sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.wait_for("review UI: http://", 120)
    started = time.monotonic()
    with new_page(browser) as page:
        _admin_prepares(page, sandbox, tmp_path)
        dashboard = _admin_creates_and_starts(page)
        _logout(page)
        laps = {"admin": time.monotonic() - started}

        _login(page, sandbox, "anna")
        waited = _watch_until_done(page, dashboard)
        assert_russian_dates(page)
        guide_shot(page, tmp_path, "journey-dashboard.png")
        campaign_id = dashboard.rstrip("/").rsplit("/", 1)[1]
        _review(page, sandbox, campaign_id)
        _export(page, dashboard, tmp_path, "anna")
        _logout(page)
        laps["operator"] = time.monotonic() - started - laps["admin"]

        _login(page, sandbox, "ivan")
        page.goto(dashboard)
        expect(page.locator("#counted")).to_contain_text("завершена")
        expect(page.locator("#form-next")).to_have_count(0)
        page.goto(f"{sandbox.url}/queue?campaign={campaign_id}")
        expect(page.locator("#form-next")).to_have_count(0)
        check = page.locator("#queue-table tbody tr").first.get_attribute("data-check-id")
        page.goto(f"{sandbox.url}/checks/{check}")
        expect(page.locator("#actions")).to_have_count(0)
        token = page.locator("form.logout input[name=csrf_token]").get_attribute("value")
        refused = page.request.post(
            f"{sandbox.url}/checks/{check}/verdict",
            form={"csrf_token": token or "", "value": "confirmed", "reason": "видел запись"},
        )
        assert refused.status == 403
        assert "Недостаточно прав: действие доступно только оператору и администратору." in (
            refused.text()
        )
        # The operators' work, as the ministry's supervisor reads it.
        page.goto(f"{sandbox.url}/audit?actor=anna")
        rows = page.locator("#audit-table tbody tr")
        expect(rows.filter(has_text="оценка или решение по проверке")).to_have_count(2)
        assert_russian_dates(page)
        _export(page, dashboard, tmp_path, "ivan")
    laps["viewer"] = time.monotonic() - started - laps["admin"] - laps["operator"]
    print(
        f"journey: sandbox up in {started - sandbox.started:.0f} s, then "
        f"{time.monotonic() - started:.0f} s in the browser ("
        + ", ".join(f"{who} {seconds:.0f} s" for who, seconds in laps.items())
        + f"; the operator waited {waited:.0f} s for the campaign)"
    )
    sandbox.wait_for("the review UI stays up", 240)  # the sandbox's summary is written
