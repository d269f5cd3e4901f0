"""Claims through the JSON API (issue 16): a check another operator has «в работе» is shown
as such, left out on request, never handed out by «next», and cannot be saved over."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.engine import session_scope
from storage.models import Review, ReviewClaim
from tests.integration.test_web_support import Seeded, WebServer, api, logged_in

pytestmark = pytest.mark.integration


def _items(client: httpx.Client, **params: object) -> dict[int, dict | None]:
    response = client.get("/api/queue", params=params)
    assert response.status_code == 200, response.text
    return {item["check"]["id"]: item["claim"] for item in response.json()["items"]}


def test_a_check_claimed_in_the_browser_is_shown_skipped_and_refused_by_the_api(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    browser, csrf = logged_in(server, "admin")
    answer = browser.post(
        f"/checks/{seeded.no_answer_id}/claim", data={"csrf_token": csrf, "queue": ""}
    )
    assert answer.status_code == 303
    operator = api(server, seeded.tokens["operator"])

    claims = _items(operator)
    assert claims[seeded.no_answer_id] is not None
    assert claims[seeded.no_answer_id]["username"] == "admin"
    assert claims[seeded.busy_id] is None
    assert seeded.no_answer_id not in _items(operator, free="true")
    detail = operator.get(f"/api/checks/{seeded.no_answer_id}").json()
    assert detail["claim"]["username"] == "admin"

    held = (
        f"Проверку №{seeded.no_answer_id} сейчас разбирает admin (в работе ещё 30 мин): "
        "выберите другую проверку в очереди."
    )
    body = {"value": "confirmed", "reason": "прослушано"}
    saved = operator.post(f"/api/checks/{seeded.no_answer_id}/verdict", json=body)
    assert (saved.status_code, saved.json()) == (409, {"detail": held})
    taken = operator.post(f"/api/checks/{seeded.no_answer_id}/claim")
    assert (taken.status_code, taken.json()) == (409, {"detail": held})
    with session_scope(engine) as db:
        assert db.exec(select(Review).where(Review.check_id == seeded.no_answer_id)).all() == []


def test_the_api_claims_the_next_free_check_and_releases_it(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    operator = api(server, seeded.tokens["operator"])
    admin = api(server, seeded.tokens["admin"])
    assert admin.post(f"/api/checks/{seeded.no_answer_id}/claim").json()["username"] == "admin"
    first = operator.post("/api/queue/next").json()["check_id"]
    assert first == seeded.replied_id  # the newest after the one the admin holds
    second = operator.post("/api/queue/next", params={"from_id": first}).json()["check_id"]
    assert second == seeded.busy_id
    with session_scope(engine) as db:
        claims = {c.check_id: c.username for c in db.exec(select(ReviewClaim))}
    assert claims == {seeded.no_answer_id: "admin", seeded.busy_id: "operator"}

    # Saving on one's own claim works; the admin cannot release the operator's claim.
    body = {"value": "confirmed", "reason": "прослушано"}
    assert operator.post(f"/api/checks/{second}/verdict", json=body).status_code == 200
    assert admin.delete(f"/api/checks/{second}/claim").json() == {"ok": False, "new_id": None}
    assert operator.delete(f"/api/checks/{second}/claim").json() == {"ok": True, "new_id": None}
    assert _items(admin)[seeded.no_answer_id] is not None
    viewer = api(server, seeded.tokens["viewer"])
    assert viewer.post(f"/api/checks/{seeded.busy_id}/claim").status_code == 403
    assert viewer.post("/api/queue/next").status_code == 403
