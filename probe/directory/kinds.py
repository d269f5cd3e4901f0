"""The contact kinds the directory reads from a ministry's pages: telephone numbers and e-mail
addresses, stored as the phone and e-mail channels' contact kinds (`Contact.channel`).

The directory is a protocol part: it may name these two channels; which channels exist is the
registry's (probe.channels)."""

from __future__ import annotations

from typing import Final


class Channel:
    PHONE: Final = "phone"
    EMAIL: Final = "email"
