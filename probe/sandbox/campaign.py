"""The sandbox's campaign: the run's options and the phone + e-mail + web campaign it plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from probe.sandbox.world import (
    World,
)

CAMPAIGN = "sandbox"
ZONE = "Asia/Omsk"
# A Monday of the 2026 production calendar; the clock starts before the centres open.
DEFAULT_START = datetime(2026, 4, 6, 8, 40, tzinfo=ZoneInfo(ZONE))
PER_CONTACT = 3
DEADLINE_WORKING_DAYS = 3
RING_TIMEOUT_SECONDS = 8
# The answering machine beeps after 9 s of monologue; a call handed on twice is heard to the
# end of the third person's greeting (9 s greeting, REFER, 6.5 s ring, hold, 9 s greeting).
LISTEN_SECONDS = 28


@dataclass
class Options:
    data_dir: Path = Path("var/sandbox")
    world: str = "omsk-kcson"
    speed: float = 30.0  # campaign seconds per real second while anything is in flight
    start: datetime = DEFAULT_START
    workers: int = 6  # call-worker processes: 12 calls, 2 each, leave a slot per REFER leg
    web_port: int | None = 0  # 0: a free port on 127.0.0.1 (printed); None: no review UI
    timeout: float = 1200.0  # real seconds before the run is declared stuck


def campaign_spec(start: datetime, world: World) -> dict[str, Any]:
    return {
        "name": CAMPAIGN,
        "title": "Песочница: КЦСОН Омской области",
        "organisations": {"names": [o.name for o in world.organisations]},
        "channels": ["phone", "email", *(["web"] if world.websites else [])],
        "start": start.date().isoformat(),
        "end": (start + timedelta(days=25)).date().isoformat(),
        "windows": "hours",
        "spread": "asap",
        "calls": {"per_contact": PER_CONTACT, "per_organisation": 9},
        "email": {"deadline_working_days": DEADLINE_WORKING_DAYS},
        "limits": {"calls_in_parallel": 12, "checks_in_parallel": 16, "emails_per_minute": 30},
        "options": {
            "phone": {
                "ring_timeout_seconds": RING_TIMEOUT_SECONDS,
                "listen_seconds": LISTEN_SECONDS,
                "prompt": "default",
            },
            "email": {},
            **({"web": {}} if world.websites else {}),
        },
    }
