"""`probe sandbox`: the whole job end to end in a local region that cannot reach the outside.

1. Start the organisations' side on loopback: Postfix + Dovecot holding every directory
   address (a dead one has no mailbox and bounces; mail for any other domain bounces too), the
   staff answering after the seed's number of working days, and one SIPp instance per phone
   behaviour (ring then answer, busy, never answering, an answering machine, a REFER or a hold
   to another party, a refusal), with every directory number routed to its behaviour, attempt
   by attempt.
2. Import the bundled directory (38 Omsk centres) into a fresh SQLite database.
3. Run a phone + e-mail campaign through the ordinary runner on a compressed clock: time runs
   `speed` times faster, and when nothing is in flight it jumps to the next planned attempt or
   reply (nights, weekends and the days of waiting for replies pass in seconds).
4. Print the summary (what each organisation did against what the sandbox told it to do),
   write the protocol XLSX and a JSON summary, and serve the review UI.

Every process started here is stopped on exit, Ctrl-C included; a run killed with SIGKILL
leaves a pid file the next run uses to stop its leftovers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.channels import all_specs
from probe.clock import WarpClock, set_clock
from probe.results import CheckStatus
from probe.sandbox.campaign import CAMPAIGN, ZONE, Options, campaign_spec
from probe.sandbox.greetcheck import compare_greetings, wait_for_greetings
from probe.sandbox.mailservers import mail_servers_installed
from probe.sandbox.region import Region, stop_leftovers
from probe.sandbox.sites import directory_with_sites
from probe.sandbox.staff import Staff
from probe.sandbox.summary import SandboxReport, compare, write_summary
from probe.sandbox.transit import mail_in_transit
from probe.sandbox.world import SandboxError, World, load_world
from probe.settings import Settings
from storage.models import Check

REQUIRED_TOOLS = ("sipp", "espeak-ng", "sox", "text2wave", "postfix", "dovecot", "openssl")


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(
            select(col(Check.status), func.count()).group_by(col(Check.status))
        ).all()
    return {status: count for status, count in rows}


class TimeWarp:
    """Jumps the clock to the next thing that will happen when nothing is in flight."""

    QUIET_SECONDS = 1.0  # real seconds of calm before a jump
    # Real seconds that mail on its way holds the clock at most (a lost message must not stall
    # the run); under load Postfix and Dovecot took more than the second of calm.
    TRANSIT_SECONDS = 30.0
    MAX_JUMP = timedelta(hours=12)

    def __init__(self, clock: WarpClock, engine: Engine, staff: Staff) -> None:
        self.clock = clock
        self.engine = engine
        self.staff = staff
        self.transit_since: float | None = None  # monotonic, since mail has been on its way

    def next_event(self, counts: dict[str, int]) -> datetime | None:
        """None while something is in flight or due, mail included, or when nothing is left to
        happen (a campaign started later from the browser plans from the clock's day, not from
        a day the idle clock ran ahead to); else the next planned instant."""
        if counts.get(CheckStatus.RUNNING.value):
            return None
        now = self.clock.now()
        with Session(self.engine) as session:
            next_planned = session.exec(
                select(func.min(Check.planned_at)).where(
                    col(Check.status) == CheckStatus.PLANNED.value
                )
            ).one()
        if next_planned is not None:
            next_planned = next_planned.replace(tzinfo=next_planned.tzinfo or UTC)
            if next_planned <= now:
                return None
        # Reply deadlines end at local midnight: never jump past one unseen.
        local = now.astimezone(ZoneInfo(ZONE))
        midnight = datetime.combine(
            local.date() + timedelta(days=1), datetime.min.time(), tzinfo=local.tzinfo
        ) + timedelta(seconds=1)
        candidates = [t for t in (next_planned, self.staff.next_due()) if t is not None]
        if not candidates and not counts.get(CheckStatus.WAITING.value):
            return None
        if self.held_by_mail():
            return None
        return min([*candidates, midnight, now + self.MAX_JUMP])

    def held_by_mail(self) -> bool:
        """A letter, a reply or a bounce on its way (probe/sandbox/transit.py) holds the clock,
        for TRANSIT_SECONDS at most: a letter waiting while its bounce travelled made the warp
        jump to the next midnight."""
        with Session(self.engine) as session:
            travelling = mail_in_transit(session, self.staff.mail_counts())
        if travelling is None:
            self.transit_since = None
            return False
        self.transit_since = self.transit_since or time.monotonic()
        return time.monotonic() - self.transit_since < self.TRANSIT_SECONDS

    async def run(self, stop: asyncio.Event, on_jump: Callable[[], Any]) -> None:
        state: dict[str, int] = {}
        changed = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.25)
            counts = await asyncio.to_thread(_counts, self.engine)
            if counts != state:  # a check started, ended or began waiting: let mail settle
                state, changed = counts, time.monotonic()
            target = await asyncio.to_thread(self.next_event, counts)
            last = max(self.staff.last_activity, changed)
            quiet = time.monotonic() - last >= self.QUIET_SECONDS
            if target is None or not quiet:
                continue
            self.clock.jump_to(target)
            await on_jump()


# -- the whole run -------------------------------------------------------------------------------


@contextlib.contextmanager
def _clock(clock: WarpClock) -> Iterator[None]:
    previous = set_clock(clock)
    try:
        yield
    finally:
        set_clock(previous)


def check_tools() -> None:
    from probe.sandbox.websites import nginx_installed

    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    missing += [] if nginx_installed() else ["nginx"]
    if missing or not mail_servers_installed():
        raise SandboxError(
            f"missing {', '.join(missing) or 'Dovecot LMTP'}: run `scripts/setup.sh --sandbox` "
            "(Debian packages sip-tester, espeak-ng, sox, festival, festvox-ru, postfix, "
            "dovecot-imapd, dovecot-lmtpd, dovecot-sieve, nginx-light, chromium)"
        )
    if os.geteuid() != 0:
        raise SandboxError("the sandbox runs Postfix and Dovecot from its own config: run as root")


async def run_sandbox(
    options: Options,
    *,
    say: Callable[[str], None],
    progress: Callable[[dict[str, int], datetime], None] | None = None,
    serve_after: bool = False,
    stop: asyncio.Event | None = None,
) -> SandboxReport:
    check_tools()
    world = load_world(options.world)
    database = _fresh_data_dir(options, say)
    stop = stop or asyncio.Event()
    # Bound first: a port in use ends the run before any server is started.
    listening = _listen(options.web_port) if options.web_port is not None else None
    region = Region(world, options)
    started_real = time.monotonic()
    try:
        engine, settings, password = await _start(region, world, database, say)
        clock = WarpClock(options.start, options.speed)
        with _clock(clock):
            runner_stop = asyncio.Event()
            tasks = _start_campaign(engine, settings, clock, region, world, runner_stop)
            web = (
                _start_web(listening, settings, engine, password, say)
                if listening is not None
                else None
            )
            try:
                await _wait_until_done(engine, clock, tasks, options, stop, progress)
                # The greeting workers run with the runner: let them read the last calls.
                waited = await wait_for_greetings(engine, say=say, stop=stop)
                outcome = await _report(engine, world, clock, region, started_real, waited)
                if web is not None and serve_after:
                    # The runner and the region stay up too: a campaign created and started in
                    # the browser is carried out like the sandbox's own.
                    say("the review UI stays up, campaigns started there run: Ctrl-C to stop")
                    await stop.wait()
            finally:
                runner_stop.set()
                await asyncio.gather(*tasks, return_exceptions=True)
                if web is not None:
                    web[1].set()
                    await asyncio.gather(web[0], return_exceptions=True)
        return outcome
    finally:
        await asyncio.to_thread(region.stop)
        if listening is not None:
            listening.close()


def _fresh_data_dir(options: Options, say: Callable[[str], None]) -> Path:
    """The run's data directory without an earlier run's processes, database, evidence or
    outputs; the database's path."""
    data_dir = options.data_dir.resolve()
    options.data_dir = data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    leftovers = stop_leftovers(data_dir)
    if leftovers:
        say(f"stopped {len(leftovers)} processes a previous sandbox run left behind")
    database = data_dir / "sandbox.db"
    # the outputs too: scripts/check_demo.py must never read an earlier run's summary
    outputs = (data_dir / "sandbox-summary.json", data_dir / "sandbox-protocols.xlsx")
    # with a killed run's SQLite journal: beside a new database it reads as a disk I/O error
    journal = (data_dir / "sandbox.db-wal", data_dir / "sandbox.db-shm")
    for stale in (database, *journal, data_dir / "evidence", *outputs):
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink(missing_ok=True)
    return database


async def _start(
    region: Region, world: World, database: Path, say: Callable[[str], None]
) -> tuple[Engine, Settings, str]:
    """The region's servers, the prober's settings, the database with the bundled directory
    and an operator; the operator's password."""
    from probe.directory.importer import bundled_path, import_directory
    from storage.engine import make_engine
    from storage.migrate import upgrade

    await asyncio.to_thread(region.start, say)
    url = f"sqlite:///{database}"
    settings = await asyncio.to_thread(region.prober_settings, url)
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    bundled = source = bundled_path(world.directory)
    if region.site_urls:  # the centres publish their local sites: the importer's web contacts
        source = directory_with_sites(bundled, region.site_urls, database.parent / bundled.name)
    report = await asyncio.to_thread(
        import_directory, source, engine=engine, actor="sandbox", display_name=bundled.name
    )
    say(
        f"directory: {len(report.organisations)} organisations imported from "
        f"{world.directory}; {len(world.organisations)} play their 2020 selves"
    )
    if region.site_urls:
        sites = set(region.site_urls.values())
        published = sum(1 for o in report.organisations if o.website in sites)
        say(f"websites: {published} centres' directory entries point at their local sites")
    return engine, settings, _operator(engine)


def _start_campaign(
    engine: Engine,
    settings: Settings,
    clock: WarpClock,
    region: Region,
    world: World,
    runner_stop: asyncio.Event,
) -> list[asyncio.Task[None]]:
    """Create and start the campaign; the runner's and the time warp's tasks."""
    from schedules import campaigns as service
    from schedules.daemon import CampaignRunner
    from schedules.spec import parse_campaign

    spec = parse_campaign(campaign_spec(region.options.start, world))
    service.create(engine=engine, spec=spec, actor="sandbox")
    service.transition(
        engine=engine, name=CAMPAIGN, action="start", actor="sandbox", now=clock.now()
    )
    runner = CampaignRunner(
        engine=engine, settings=settings, clock=clock, tick_seconds=0.2, sweep_seconds=1
    )
    assert region.staff is not None
    warp = TimeWarp(clock, engine, region.staff)

    async def after_jump() -> None:
        # Deadlines passed in the jump end now, not at the sweepers' next real-time turn: each
        # channel's declared sweep (e-mail's no-reply deadline).
        for channel_spec in all_specs():
            if channel_spec.sweep is not None:
                await asyncio.to_thread(
                    channel_spec.sweep, engine=engine, now=clock.now(), sink=runner.sink
                )
        await runner.sweep()

    return [
        asyncio.create_task(runner.run_forever(runner_stop)),
        asyncio.create_task(warp.run(runner_stop, after_jump)),
    ]


def _listen(port: int) -> socket.socket:
    """A socket bound on 127.0.0.1 for the review UI: `port`, or a free one for 0 (a fixed
    default collides on a shared machine); SandboxError when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As uvicorn binds: a port the previous run's connections still hold (TIME_WAIT) is free;
    # one another process listens on is not.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as error:
        sock.close()
        raise SandboxError(
            f"the review UI cannot listen on 127.0.0.1:{port} ({error.strerror}); "
            "leave out --web-port to take a free port"
        ) from None
    # Listening at once: the address is printed before the server's task first runs, and a
    # browser opened on it then must wait in the backlog, not be refused.
    sock.listen(128)
    return sock


def _start_web(
    sock: socket.socket,
    settings: Settings,
    engine: Engine,
    password: str,
    say: Callable[[str], None],
) -> tuple[asyncio.Task[None], asyncio.Event]:
    """The review UI's task on `sock` (from `_listen`) and its stop event; says its address."""
    from probe.web.app import serve

    host, port = sock.getsockname()[:2]
    web_stop = asyncio.Event()
    web = asyncio.create_task(
        serve(settings=settings, engine=engine, host=host, port=port, stop=web_stop, sock=sock)
    )
    say(f"review UI: http://{host}:{port}/ (user operator, password {password})")
    return web, web_stop


async def _wait_until_done(
    engine: Engine,
    clock: WarpClock,
    tasks: list[asyncio.Task[None]],
    options: Options,
    stop: asyncio.Event,
    progress: Callable[[dict[str, int], datetime], None] | None,
) -> None:
    from schedules import campaigns as service

    deadline = time.monotonic() + options.timeout
    while service.get(engine=engine, name=CAMPAIGN).status != "done":
        if stop.is_set():
            raise KeyboardInterrupt
        if time.monotonic() > deadline:
            raise SandboxError(
                f"the campaign did not finish in {options.timeout:.0f} s: {_counts(engine)}"
            )
        for task in tasks:
            if task.done() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if progress is not None:
            progress(_counts(engine), clock.now())
        await asyncio.sleep(0.5)
    if progress is not None:
        progress(_counts(engine), clock.now())


async def _report(
    engine: Engine,
    world: World,
    clock: WarpClock,
    region: Region,
    started_real: float,
    waited: dict[str, Any],
) -> SandboxReport:
    """The comparison, the XLSX protocol and the JSON summary (with how the greeting wait
    ended, `waited`, so the summary says when the sandbox gave up on unread greetings)."""
    from probe.export import export_campaign

    data_dir = region.options.data_dir
    outcome = compare(engine, world)
    outcome.greetings = await asyncio.to_thread(compare_greetings, engine, world)
    if outcome.greetings.get("read"):
        outcome.greetings |= {"gave_up": waited["gave_up"], "waited_s": waited["waited_s"]}
    outcome.campaign_days = (clock.now() - region.options.start).total_seconds() / 86400
    outcome.real_seconds = time.monotonic() - started_real
    outcome.xlsx = await asyncio.to_thread(
        export_campaign,
        engine=engine,
        campaign=CAMPAIGN,
        fmt="xlsx",
        out=data_dir / "sandbox-protocols.xlsx",
    )
    assert region.staff is not None
    outcome.summary = write_summary(
        outcome,
        data_dir / "sandbox-summary.json",
        staff_errors=region.staff.errors,
        telephony=region.exchange.describe() if region.exchange else {},
    )
    return outcome


def _operator(engine: Engine) -> str:
    """An operator account for the review UI, with a fresh password each run."""
    from probe.web.security import hash_password
    from storage.engine import session_scope
    from storage.users import create_user

    password = secrets.token_urlsafe(9)
    with session_scope(engine) as session:
        create_user(
            session=session,
            username="operator",
            password_hash=hash_password(password),
            role="admin",
            actor="sandbox",
        )
    return password
