"""Planning a campaign of 100,000 organisations x 3 contacts over 10 working days.

Prints the planning time, the peak memory of the process, and the ratio to a reference
measured in the same run: building the same number of planned attempts with their instants
already known (the floor any planner pays to produce its output). Targets (issue 5): <= 5 s,
<= 500 MB.

    .venv/bin/python bench/plan_campaign.py [--organisations 100000]
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import UTC, datetime, timedelta

from probe.directory.hours import parse_hours
from schedules.planner import plan_campaign
from schedules.spec import parse_campaign
from storage.planning import ContactInput, OrganisationInput, PlannedAttempt

HOURS = [
    "пн-чт 8:30-17:45, пт 8:30-16:30, перерыв с 13.00 до 14.00",
    "понедельник, вторник, среда, четверг –c 9.00 до 18.00, пятница – с 9.00 до 17.00, "
    "суббота с 9.00 до 14.00",
    "пн-пт 9:00-18:00, перерыв с 12.00 до 12.48",
    "ежедневно с 8.00 до 20.00",
]
ZONES = ["Asia/Omsk", "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk"]


def organisations(count: int) -> list[OrganisationInput]:
    schedules = [(text, parse_hours(text).model_dump(mode="json")) for text in HOURS]
    orgs = []
    for i in range(count):
        text, hours = schedules[i % len(schedules)]
        contacts = (
            ContactInput(i * 3 + 1, "phone", 0),
            ContactInput(i * 3 + 2, "phone", 1),
            ContactInput(i * 3 + 3, "email", 0),
        )
        orgs.append(OrganisationInput(i + 1, ZONES[(i // 4) % len(ZONES)], hours, text, contacts))
    return orgs


def reference(count: int, start: datetime) -> float:
    began = time.perf_counter()
    out = []
    for i in range(count * 3):
        out.append(
            PlannedAttempt(i // 3, i, "phone", start + timedelta(seconds=i), "first attempt")
        )
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=100_000)
    args = parser.parse_args()
    spec = parse_campaign(
        {
            "name": "bench",
            "organisations": {"all": True},
            "channels": ["phone", "email"],
            "start": "2026-03-02",
            "end": "2026-03-16",
        }  # 10 working days (09.03 is a day off)
    )
    orgs = organisations(args.organisations)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    began = time.perf_counter()
    result = plan_campaign(spec, orgs, now=now)
    planning = time.perf_counter() - began
    floor = reference(args.organisations, now)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"organisations: {args.organisations}, attempts planned: {len(result.attempts)}, "
        f"skipped: {len(result.skipped)}"
    )
    print(f"planning: {planning:.2f} s (target <= 5 s)")
    print(f"reference (building the same attempts, instants known): {floor:.2f} s")
    print(f"ratio planning / reference: {planning / floor:.1f}x")
    print(f"peak memory of the process: {peak_mb:.0f} MB (target <= 500 MB)")


if __name__ == "__main__":
    main()
