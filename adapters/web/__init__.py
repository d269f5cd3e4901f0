"""The web channel: an organisation's website, walked politely, for the three electronic
services Protocol 5 scores (a feedback form, a FAQ, a survey) and whether each works.

`plugin` is what the registry loads (entry point `http` in the `probe.channels` group).
Playwright and Chromium are loaded only when a page needs rendering. See docs/web.md.
"""

from __future__ import annotations

from adapters.web.plugin import WebPlugin

plugin = WebPlugin()

__all__ = ["WebPlugin", "plugin"]
