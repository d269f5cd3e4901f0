"""The phone channel: SIP calls through PJSUA2 in a pool of call-worker processes.

`plugin` is what the registry loads (entry point `phone` in the `probe.channels` group). This
module imports no pjsua2: only the worker processes do, so `probe --help` never loads it.
"""

from __future__ import annotations

from adapters.sip.plugin import PhonePlugin

plugin = PhonePlugin()

__all__ = ["PhonePlugin", "plugin"]
