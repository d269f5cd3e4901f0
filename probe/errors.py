"""Errors a channel raises; the runner turns them into outcomes and error classes.

Modelled on healthchecks' TransportError(message, permanent=...): the exception says whether the
failure is ours (our trunk, our SMTP account: never held against the organisation) and whether
retrying can help.
"""

from __future__ import annotations


class ProbeError(Exception):
    """A failure while probing. `error_class` is a short stable name for grouping and alerts."""

    error_class = "probe_error"

    def __init__(
        self, message: str, *, error_class: str | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        if error_class:
            self.error_class = error_class
        self.permanent = permanent


class OurSideError(ProbeError):
    """Our infrastructure failed (SMTP auth, trunk registration, TLS): pause, alert, retry."""

    error_class = "our_side"


class DestinationRefusedError(OurSideError, PermissionError):
    """The network policy forbids this destination (PROBE_NETWORK=loopback)."""

    error_class = "destination_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)
