"""The web channel's settings section (PROBE_WEB__...) and a campaign's options (options.web)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class WebSettings(BaseModel):
    """How the prober behaves on somebody else's website: politely, and named."""

    model_config = ConfigDict(extra="forbid")

    # Who we are, in every request: the prober and an address a webmaster can write to.
    user_agent: str = "contact-prober/0.1 (public service availability check)"
    contact: str = "prober@localhost"
    # Where the answer to a test question submitted through a form is to be sent: a mailbox
    # the e-mail watcher reads (the IMAP account's address). Unset: a form is still submitted
    # (with `contact`) when a campaign asks, and no answer is awaited.
    reply_address: str | None = None
    # PEM bundle of extra certificate authorities trusted beside the system's (the sandbox's
    # own CA). Certificates are always verified.
    ca_bundle: Path | None = None
    # One request at a time per site, this long apart (seconds).
    pause_seconds: float = Field(1.0, ge=0.0, le=60.0)
    request_timeout_seconds: float = Field(15.0, gt=0.0, le=120.0)
    # The crawl's budget on one site: pages fetched, link depth from the home page, wall time.
    max_pages: int = Field(25, ge=1, le=500)
    max_depth: int = Field(2, ge=0, le=5)
    time_budget_seconds: float = Field(180.0, gt=0.0, le=3600.0)
    max_page_bytes: int = Field(3_000_000, ge=10_000)
    # Pages rendered in Chromium per site (those that show script-inserted content).
    max_rendered: int = Field(6, ge=0, le=100)
    # Also photograph what was found on pages read without the browser (within max_rendered).
    screenshot_static: bool = True
    chromium: Path = Path("/usr/bin/chromium")
    render_timeout_seconds: float = Field(20.0, gt=0.0, le=120.0)

    @field_validator("ca_bundle")
    @classmethod
    def _bundle_exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"no such CA bundle: {path}")
        return path

    def agent(self) -> str:
        return f"{self.user_agent} (+mailto:{self.contact})"


class Config(BaseModel):
    """A campaign's options for the web channel."""

    model_config = ConfigDict(extra="forbid")

    # auto: render the pages that show signs of script-inserted content; always; never.
    render: Literal["auto", "always", "never"] = "auto"
    # POST a test question through forms that allow it (no CAPTCHA, no login). Off by default:
    # without it a form's target is only asked with HEAD/OPTIONS/GET.
    submit_test_question: bool = False
    test_question: str = (
        "Здравствуйте! Подскажите, пожалуйста, в какие часы работает приёмная граждан?"
    )
    max_pages: int | None = Field(None, ge=1, le=500)


def config_error_message(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in error.errors()
    )
