"""The organisations' staff in the sandbox: they read the questions delivered to their
mailboxes and answer the way real ones do, after a number of working days of the clock the
prober runs on (compressed in the sandbox); an auto-responder answers at once (Dovecot's Sieve
`vacation`), a dead address bounces (no mailbox), a silent one never answers.

The staff read their Maildir's `new/` folder directly (as a local delivery agent would) and
send their replies through the servers' MX port, like any other mail server."""

from __future__ import annotations

import email
import email.header
import smtplib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as day_time
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from probe.calendar import is_working_day
from probe.clock import current_clock
from probe.logs import get_logger

VACATION = """require ["vacation"];
vacation :days 1 :subject "Автоматический ответ: ваше письмо получено"
"Здравствуйте! Ваше письмо получено и будет рассмотрено в установленный срок.
Это автоматический ответ.";
"""

MODES = ("reply", "reply_no_headers", "reply_other_address", "never")

ANSWER = (
    "Добрый день!\n\nДля оформления выплаты обратитесь в МФЦ по месту пребывания с "
    "паспортом и свидетельством о рождении ребёнка. Регистрация по месту пребывания "
    "допускается.\n\nС уважением, специалист отдела социальной поддержки\n"
)

log = get_logger(component="sandbox.staff")


def compose_reply(question: Message, *, mode: str, address: str, now: datetime) -> EmailMessage:
    """A human answer to `question` from `address`, shaped by `mode` (see MODES)."""
    subject = str(email.header.make_header(email.header.decode_header(question["Subject"] or "")))
    payload = question.get_payload(decode=True)
    body = (
        payload.decode(question.get_content_charset() or "utf-8", "replace")
        if isinstance(payload, bytes)
        else ""
    )
    quoted = "\n".join("> " + line for line in body.splitlines())
    local, _, domain = address.partition("@")
    reply = EmailMessage()
    reply["To"] = question["From"]
    reply["Date"] = format_datetime(now)
    reply["Message-ID"] = make_msgid(domain=domain)
    if mode == "reply":
        reply["From"] = address
        reply["Subject"] = "Re: " + subject
        reply["In-Reply-To"] = question["Message-ID"]
        reply["References"] = question["Message-ID"]
        reply.set_content(ANSWER + "\n" + quoted, charset="utf-8")
    elif mode == "reply_no_headers":
        # A web mail client that keeps the subject but drops the threading headers.
        reply["From"] = address
        reply["Subject"] = "RE: " + subject
        reply.set_content(ANSWER, charset="windows-1251")
    elif mode == "reply_other_address":
        # A specialist's own mailbox, a new subject, the question quoted below.
        reply["From"] = f"Специалист <specialist.{local}@{domain}>"
        reply["Subject"] = "Ответ на Ваш вопрос"
        reply.set_content(ANSWER + "\n-----Исходное сообщение-----\n" + body, charset="koi8-r")
    else:
        raise ValueError(f"unknown reply mode {mode!r}; known: {', '.join(MODES[:-1])}")
    return reply


def reply_instant(received: datetime, working_days: int, *, tz: str) -> datetime:
    """When a person answers: on the n-th working day after receipt (0: the same day), an hour
    after the time of day the question came, within 09:00-17:30 local time."""
    zone = ZoneInfo(tz)
    local = received.astimezone(zone)
    day = local.date()
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        remaining -= is_working_day(day)
    at = (local + timedelta(hours=1)).time()
    if working_days > 0:
        at = min(max(at, day_time(9, 0)), day_time(17, 30))
    elif (local + timedelta(hours=1)).date() != day:
        at = day_time(23, 30)
    return datetime.combine(day, at, tzinfo=zone)


@dataclass
class Employee:
    address: str
    maildir: Path
    mode: str  # one of MODES
    working_days: int = 0
    timezone: str = "Asia/Omsk"
    pending: list[tuple[datetime, EmailMessage]] = field(default_factory=list)
    sent: list[tuple[datetime, str]] = field(default_factory=list)  # (when, subject)
    questions: int = 0


class Staff:
    """One thread playing every organisation's mailbox."""

    def __init__(self, *, mx_port: int, interval: float = 0.2) -> None:
        self.mx_port = mx_port
        self.interval = interval
        self.employees: dict[str, Employee] = {}
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-staff", daemon=True)
        self.last_activity = 0.0  # monotonic instant of the last question read or reply sent

    def add(self, employee: Employee) -> None:
        with self._lock:
            self.employees[employee.address.lower()] = employee

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def mail_counts(self) -> dict[str, tuple[int, int]]:
        """Each mailbox's address (lower case): the questions read and the replies sent."""
        with self._lock:
            return {a: (e.questions, len(e.sent)) for a, e in self.employees.items()}

    def next_due(self) -> datetime | None:
        """The next reply someone will send (the sandbox's time warp never jumps past it)."""
        with self._lock:
            dues = [at for e in self.employees.values() for at, _ in e.pending]
        return min(dues, default=None)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                employees = list(self.employees.values())
            for employee in employees:
                try:
                    if self._read(employee) or self._send_due(employee):
                        self.last_activity = time.monotonic()
                except Exception as error:
                    self.errors.append(f"{employee.address}: {error!r}")
                    log.warning("staff error", address=employee.address, error=repr(error))
            self._stop.wait(self.interval)

    def _read(self, employee: Employee) -> bool:
        new = employee.maildir / "new"
        if not new.is_dir():
            return False
        names = sorted(p.name for p in new.iterdir())
        for name in names:
            path = new / name
            question = email.message_from_bytes(path.read_bytes())
            path.rename(employee.maildir / "cur" / f"{name}:2,S")
            if employee.mode == "never" or _is_automatic(question):
                with self._lock:
                    employee.questions += 1
                continue
            now = current_clock().now()
            due = reply_instant(now, employee.working_days, tz=employee.timezone)
            reply = compose_reply(question, mode=employee.mode, address=employee.address, now=now)
            with self._lock:  # read and answered at once for the time warp (mail_counts)
                employee.questions += 1
                employee.pending.append((due, reply))
        return bool(names)

    def _send_due(self, employee: Employee) -> bool:
        now = current_clock().now()
        with self._lock:
            due = [m for at, m in employee.pending if at <= now]
        for message in due:
            message.replace_header("Date", format_datetime(now))
            with smtplib.SMTP("127.0.0.1", self.mx_port, timeout=30) as smtp:
                smtp.send_message(message)
            # Pending until sent, then sent: the time warp never sees it in neither.
            with self._lock:
                employee.pending = [(t, m) for t, m in employee.pending if m is not message]
                employee.sent.append((now, str(message["Subject"])))
        return bool(due)


def _is_automatic(message: Message) -> bool:
    """Bounces and auto-replies are not answered (no mail loops)."""
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    return auto != "no" or message.get_content_type() == "multipart/report"
