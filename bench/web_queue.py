"""Bench: the review queue's first page on 1,000,000 checks, and the dashboard of a
1,000,000-check campaign, in PostgreSQL.

Starts a throwaway PostgreSQL (Debian's package, as the tests do), migrates it, fills it
server-side with generate_series (4,000 organisations, 12,000 contacts, 8 campaigns,
1,000,000 checks, about a million reviews: a mature installation where most checks have been
worked through), then times GET /queue through the real app under uvicorn, signed in as an
operator, with each filter. The reference, measured in the same run, is the login page (a
template, no database); the ratio says what the queue's queries cost on top of rendering.
Target: the first page in at most 200 ms.

A second database on the same server holds one campaign of `--campaign-checks` checks (the
same organisations and contacts; ring and answer times on the answered calls, working days on
the replies, operators' verdicts on most failures, a few of them overturned), and GET
/campaigns/{id} is timed: every request reads the campaign's counters as they are (nothing is
kept between requests). Target: at most 300 ms.

Both databases are filled at migration 0010 and then upgraded, as an installation would be:
migration 0011 fills each check's effective outcome and counts every campaign's counters
(storage.tally.recount), migration 0012 each check's needs-review flag
(storage.needs_review.recount); the time they took is printed.

    .venv/bin/python bench/web_queue.py [--checks 1000000] [--campaign-checks 1000000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from probe.settings import Settings  # noqa: E402
from probe.web.security import hash_password  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.users import create_user  # noqa: E402
from tests.integration.test_web_support import WebServer  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402

FILLED_AT = "0010"  # the revision the data is written at; upgraded to head after
TARGET_MS = 200.0
DASHBOARD_TARGET_MS = 300.0
PASSWORD = "bench-password-123"

DIRECTORY = """
SELECT setseed(0.42);  -- the same data every run

INSERT INTO organisation (key, name, short_name, region, kind, address, website, timezone,
    hours_raw, area_code, source, active, created_at, updated_at)
SELECT 'bench:' || g, 'Организация № ' || g, 'Орг ' || g,
       (ARRAY['omsk','rostov','novosibirsk','tomsk'])[1 + g % 4], 'КЦСОН', '', '',
       (ARRAY['Asia/Omsk','Europe/Moscow','Asia/Novosibirsk','Asia/Tomsk'])[1 + g % 4],
       '', '', 'bench', true, now(), now()
FROM generate_series(1, {orgs}) g;

INSERT INTO contact (organisation_id, channel, key, raw, value, is_fax, inferred, position,
    source, active, created_at, updated_at)
SELECT o.id, c.channel, c.channel || ':' || o.id || ':' || c.n, 'raw ' || o.id,
       CASE c.channel WHEN 'email' THEN 'org' || o.id || '@example.ru'
            ELSE '+7381' || lpad((o.id * 3 + c.n)::text, 7, '0') END,
       false, false, c.n, 'bench', true, now(), now()
FROM organisation o
CROSS JOIN (VALUES ('phone', 0), ('phone', 1), ('email', 0)) AS c(channel, n);

CREATE TEMP TABLE contact_list AS
SELECT row_number() OVER (ORDER BY id) AS n, id, organisation_id, channel FROM contact;
"""

FILL = """
INSERT INTO campaign (name, title, status, channels, spec, historical, created_at, updated_at)
SELECT 'bench-' || g, 'Кампания ' || g, 'done', '["phone","email"]'::jsonb, '{}'::jsonb,
       false, now(), now()
FROM generate_series(1, 8) g;

-- Checks in id order walk through campaigns, then contacts, then attempts: like a planner
-- that works campaign by campaign. Outcomes drawn from the check number, deterministic.
INSERT INTO check_run (campaign_id, organisation_id, contact_id, channel, status, outcome,
    attempt, historical, planned_at, started_at, finished_at, timings_ms, details, evidence,
    created_at, updated_at)
SELECT camp.id, c.organisation_id, c.id, c.channel,
       CASE WHEN s.r < 0.97 THEN 'done' WHEN s.r < 0.99 THEN 'planned' ELSE 'waiting' END,
       CASE WHEN s.r >= 0.97 THEN NULL
            WHEN c.channel = 'phone' THEN
                (ARRAY['connected','connected','connected','connected','connected','connected',
                       'connected','busy','busy','busy','no_answer','no_answer','no_answer',
                       'no_answer','no_answer','unavailable','answering_machine',
                       'answering_machine','rejected','failed'])[1 + s.o]
            ELSE (ARRAY['replied','replied','replied','replied','replied','no_reply',
                        'no_reply','no_reply','bounced','auto_replied'])[1 + s.o % 10] END,
       1 + s.k % 4, false, f.at, f.at, f.at + interval '40 seconds',
       '{}'::jsonb, '{}'::jsonb, '[]'::jsonb, f.at, f.at
FROM generate_series(0, {checks} - 1) AS g(k)
CROSS JOIN LATERAL (SELECT g.k AS k, random() AS r, (random() * 20)::int % 20 AS o) s
CROSS JOIN LATERAL (SELECT 1 + g.k * 8 / {checks} AS id) camp
JOIN contact_list c ON c.n = 1 + (g.k / 4) % (SELECT count(*) FROM contact_list)
CROSS JOIN LATERAL (
    SELECT now() - interval '730 days' + (g.k::float / {checks}) * interval '729 days' AS at
) f
ORDER BY g.k;

-- 90 % of answered checks are fully judged and 90 % of failures have a verdict, at random.
INSERT INTO review (check_id, campaign_id, author, field, value, reason, created_at)
SELECT ch.id, ch.campaign_id, 'bench', f.field, f.value, '', now()
FROM check_run ch
CROSS JOIN (VALUES ('etiquette', 'full'), ('transfers', 'none'), ('grade', 'good')) f(field, value)
WHERE ch.outcome = 'connected' AND random() >= 0.1;

INSERT INTO review (check_id, campaign_id, author, field, value, reason, created_at)
SELECT id, campaign_id, 'bench', 'grade', 'good', '', now()
FROM check_run WHERE outcome = 'replied' AND random() >= 0.1;

INSERT INTO review (check_id, campaign_id, author, field, value, reason, created_at)
SELECT id, campaign_id, 'bench', 'verdict', 'confirmed', 'bench', now()
FROM check_run
WHERE outcome IN ('busy','no_answer','unavailable','rejected','bounced','no_reply',
                  'answering_machine') AND random() >= 0.1;
"""


DASHBOARD = """
INSERT INTO campaign (name, title, status, channels, spec, historical, created_at, updated_at)
VALUES ('bench-dashboard', 'Большая кампания', 'running', '["phone","email"]'::jsonb,
        '{}'::jsonb, false, now(), now());

-- A campaign two months long, most of it done: the calls answered carry ring and answer
-- times, the replies the working days they took.
INSERT INTO check_run (campaign_id, organisation_id, contact_id, channel, status, outcome,
    attempt, historical, planned_at, started_at, finished_at, timings_ms, details, evidence,
    created_at, updated_at)
SELECT (SELECT id FROM campaign WHERE name = 'bench-dashboard'), c.organisation_id, c.id,
       c.channel, s.status, o.outcome, 1 + g.k % 4, false, f.at, f.at,
       CASE WHEN s.status = 'done' THEN f.at + interval '40 seconds' END,
       CASE WHEN o.outcome = 'connected' THEN jsonb_build_object(
                'ring', round((1000 + s.t * 40000)::numeric, 2),
                'answer', round((1400 + s.t * 40000)::numeric, 2), 'pdd', 900)
            WHEN c.channel = 'phone' AND o.outcome IS NOT NULL
            THEN jsonb_build_object('ring', round((5000 + s.t * 55000)::numeric, 2))
            ELSE '{}'::jsonb END,
       CASE WHEN o.outcome = 'replied'
            THEN jsonb_build_object('working_days', (s.t * s.t * 12)::int,
                                    'late', (s.t * s.t * 12)::int > 3)
            ELSE '{}'::jsonb END,
       '[]'::jsonb, f.at, f.at
FROM generate_series(0, {checks} - 1) AS g(k)
CROSS JOIN LATERAL (
    SELECT random() AS r, (random() * 20)::int % 20 AS o, random() AS t,
           CASE WHEN g.k < {checks} * 0.9 THEN 'done' WHEN g.k < {checks} * 0.97 THEN 'planned'
                ELSE 'waiting' END AS status
) s
JOIN contact_list c ON c.n = 1 + (g.k / 4) % (SELECT count(*) FROM contact_list)
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.status <> 'done' THEN NULL
            WHEN c.channel = 'phone' THEN
                (ARRAY['connected','connected','connected','connected','connected','connected',
                       'connected','busy','busy','busy','no_answer','no_answer','no_answer',
                       'no_answer','no_answer','unavailable','answering_machine',
                       'answering_machine','rejected','failed'])[1 + s.o]
            ELSE (ARRAY['replied','replied','replied','replied','replied','no_reply',
                        'no_reply','no_reply','bounced','auto_replied'])[1 + s.o % 10] END
           AS outcome
) o
CROSS JOIN LATERAL (
    SELECT now() - interval '60 days' + (g.k::float / {checks}) * interval '59 days' AS at
) f
ORDER BY g.k;

-- Operators' verdicts on 90 % of the failures; one in fifty overturns a busy line.
INSERT INTO review (check_id, campaign_id, author, field, value, reason, created_at)
SELECT id, campaign_id, 'bench', 'verdict',
       CASE WHEN outcome = 'busy' AND random() < 0.02 THEN 'no_answer' ELSE 'confirmed' END,
       'bench', now()
FROM check_run
WHERE outcome IN ('busy','no_answer','unavailable','rejected','bounced','no_reply',
                  'answering_machine') AND random() >= 0.1;
"""


def _execute(url: str, sql: str) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        if sql:
            connection.execute(sql)  # type: ignore[call-overload]
        connection.execute("VACUUM ANALYZE")


def fill(url: str, checks: int) -> None:
    """The queue's database: 8 finished campaigns sharing `checks` checks."""
    directory = DIRECTORY.replace("{orgs}", "4000")
    _execute(url, directory + FILL.replace("{checks}", str(int(checks))))


def fill_dashboard(url: str, checks: int) -> int:
    """The dashboard's database: one running campaign of `checks` checks; its id."""
    directory = DIRECTORY.replace("{orgs}", "4000")
    _execute(url, directory + DASHBOARD.replace("{checks}", str(int(checks))))
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        row = connection.execute("SELECT id FROM campaign WHERE name = 'bench-dashboard'")
        return int(row.fetchone()[0])  # type: ignore[index]


def counts(url: str) -> dict[str, int]:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in ("organisation", "contact", "campaign", "check_run", "review")
        }


def login(server: WebServer) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303, response.text
    return client


def timed(client: httpx.Client, path: str, repeat: int) -> tuple[float, float, int]:
    """Median and worst of `repeat` requests after one warm-up, in ms, and the rows shown."""
    client.get(path)
    samples = []
    rows = 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        rows = response.text.count("data-check-id=")
    return statistics.median(samples), max(samples), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=1_000_000, help="the queue's checks")
    parser.add_argument(
        "--campaign-checks", type=int, default=1_000_000, help="the dashboard campaign's checks"
    )
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    pg = PostgresServer()
    pg.start()
    try:
        queue_url, board_url = pg.create_database(), pg.create_database()
        for url in (queue_url, board_url):
            upgrade(url, FILLED_AT)
        start = time.perf_counter()
        fill(queue_url, args.checks)
        print(f"queue database filled in {time.perf_counter() - start:.1f} s: {counts(queue_url)}")
        start = time.perf_counter()
        campaign_id = fill_dashboard(board_url, args.campaign_checks)
        print(f"dashboard database filled in {time.perf_counter() - start:.1f} s: "
              f"{counts(board_url)}")  # fmt: skip
        for name, url in (("queue", queue_url), ("dashboard", board_url)):
            start = time.perf_counter()
            upgrade(url)
            _execute(url, "")  # VACUUM ANALYZE
            print(f"{name} database upgraded from {FILLED_AT} (effective outcomes, counters, "
                  f"needs-review flags) in {time.perf_counter() - start:.1f} s")  # fmt: skip
        with tempfile.TemporaryDirectory() as data_dir:
            print("\n== the review queue")
            worst = run(_settings(queue_url, data_dir), PATHS, args.repeat)
            print(f"\n== the dashboard of campaign {campaign_id} ({args.campaign_checks} checks)")
            board = dashboard(_settings(board_url, data_dir), campaign_id, args.repeat)
        verdicts = [
            ("slowest queue page", worst, TARGET_MS),
            ("dashboard", board, DASHBOARD_TARGET_MS),
        ]
        for name, value, target in verdicts:
            verdict = "OK" if value <= target else "TOO SLOW"
            print(f"{name}: {value:.1f} ms (target {target:.0f} ms): {verdict}")
        return 0 if all(value <= target for _, value, target in verdicts) else 1
    finally:
        pg.stop()


def _settings(url: str, data_dir: str) -> Settings:
    engine = make_engine(url)
    with session_scope(engine) as db:
        create_user(
            session=db, username="bench", password_hash=hash_password(PASSWORD),
            role="operator", actor="bench",
        )  # fmt: skip
    return Settings(database_url=url, data_dir=Path(data_dir), secret_key="bench")


@contextmanager
def _server(settings: Settings) -> Iterator[tuple[httpx.Client, float]]:
    """The app under uvicorn, a signed-in client, and the login page's median (reference)."""
    from probe.web.app import create_app

    engine = make_engine(settings.database_url)
    server = WebServer(create_app(settings=settings, engine=engine))
    server.start()
    try:
        client = login(server)
        reference, _, _ = timed(client, "/login", 15)
        print(f"reference GET /login (template, no database): median {reference:.1f} ms")
        yield client, reference
    finally:
        server.stop()


def run(settings: Settings, paths: list[str], repeat: int) -> float:
    """Time every path; the slowest median, in ms."""
    with _server(settings) as (client, reference):
        print(f"{'page':58} {'median ms':>9} {'max ms':>8} {'ratio':>6} {'rows':>5}")
        worst = 0.0
        for path in paths:
            median, top, rows = timed(client, path, repeat)
            worst = max(worst, median)
            print(f"{path:58} {median:9.1f} {top:8.1f} {median / reference:6.1f} {rows:5d}")
        return worst


def dashboard(settings: Settings, campaign_id: int, repeat: int) -> float:
    """The dashboard and its live fragment (each request reads the counters), beside the
    queue's first page of the same campaign; the dashboard's median, in ms."""
    path = f"/campaigns/{campaign_id}"
    with _server(settings) as (client, reference):
        response = client.get(path)
        assert response.status_code == 200 and "chart-ring" in response.text, response.text
        print(f"{'page':58} {'median ms':>9} {'max ms':>8} {'ratio':>6}")
        rows = []
        for shown in (path, path + "/live", f"/queue?campaign={campaign_id}"):
            median, top, _ = timed(client, shown, repeat)
            rows.append((shown, median, top))
        for name, median, top in rows:
            print(f"{name:58} {median:9.1f} {top:8.1f} {median / reference:6.1f}")
        return rows[0][1]


PATHS = [
    "/queue",
    "/queue?order=old",
    "/queue?campaign=3",
    "/queue?region=rostov",
    "/queue?region=omsk&organisation=1000",
    "/queue?channel=email",
    "/queue?outcome=no_answer",
    "/queue?outcome=bounced&region=tomsk",
    "/queue?age=7",
    "/queue?age=older30",
    "/queue?campaign=8&channel=phone&outcome=busy&age=30",
    "/queue?after=900000",
]


if __name__ == "__main__":
    sys.exit(main())
