"""`probe check phone TARGET`: one call now, printed as one JSON object (or a short summary)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import structlog
import typer

from adapters.sip.names import CHANNEL
from probe.channels import ProbeContext, ProbeTarget
from probe.results import CheckResult, utc_now

if TYPE_CHECKING:
    from adapters.sip.plugin import PhonePlugin

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def summary_json(result: CheckResult) -> dict[str, Any]:
    details = result.details
    recording = next((e.path for e in result.evidence if e.kind == "recording"), None)
    trace = next((e.path for e in result.evidence if e.kind == "sip_trace"), None)
    return {
        "outcome": result.outcome,
        "sip_code": details.get("sip_code"),
        "reason": details.get("reason"),
        "outcome_reason": details.get("outcome_reason"),
        "error_class": result.error_class,
        "error_detail": result.error_detail,
        "request_uri": details.get("request_uri"),
        "timings_ms": result.timings_ms,
        "transfers": {
            "count": details.get("transfers", 0),
            "class": details.get("transfer_class", "none"),
            "list": details.get("transfer_list", []),
        },
        "forwards": details.get("forwards", []),
        "answering_machine": details.get("answering_machine", False),
        "hangup": details.get("hangup"),
        "speech": details.get("speech", []),
        "tones": details.get("tones", []),
        "recording": recording,
        "sip_trace": trace,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat() if result.finished_at else None,
    }


def _target(value: str, sip_uri: str | None) -> tuple[str, str | None]:
    """(number or URI as recorded, SIP URI to call instead of the dial plan)."""
    if value.startswith(("sip:", "sips:")):
        return value, value
    if not _E164.match(value):
        raise ValueError(
            f"TARGET must be an E.164 number (+73812357000) or a SIP URI (sip:...): {value!r}"
        )
    return value, sip_uri


def register(app: typer.Typer, plugin: PhonePlugin) -> None:
    @app.command("phone")
    def phone(
        target: Annotated[str, typer.Argument(help="E.164 number (via the trunk) or a SIP URI.")],
        sip_uri: Annotated[
            str | None, typer.Option("--sip-uri", help="Call this URI instead (sandbox).")
        ] = None,
        listen: Annotated[
            float | None, typer.Option("--listen", help="Seconds on the line after the answer.")
        ] = None,
        ring_timeout: Annotated[
            float | None, typer.Option("--ring-timeout", help="Seconds to wait for an answer.")
        ] = None,
        extension: Annotated[
            str | None, typer.Option("--extension", help="Dial this extension by DTMF.")
        ] = None,
        prompt: Annotated[
            str | None, typer.Option("--prompt", help="WAV to play, 'default' or 'none'.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Place one call now and report how it went (outcome, timings, transfers, evidence)."""
        from probe.console import fail, load_settings, print_json

        settings = load_settings()
        try:
            value, uri = _target(target, sip_uri)
        except ValueError as error:
            fail(str(error), code=2)
        options: dict[str, Any] = {
            k: v
            for k, v in {
                "sip_uri": uri,
                "listen_seconds": listen,
                "ring_timeout_seconds": ring_timeout,
                "prompt": prompt,
            }.items()
            if v is not None
        }
        probe_target = ProbeTarget(
            check_id=0, channel=CHANNEL, value=value, extension=extension, options=options
        )
        stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
        directory = settings.data_dir / "evidence" / "adhoc" / f"{stamp}-{uuid.uuid4().hex[:6]}"
        context = ProbeContext(
            settings=settings, evidence_dir=directory, log=structlog.get_logger()
        )
        try:
            result = asyncio.run(plugin.probe(probe_target, context))
        finally:
            plugin.close_all()
        if result.error_class in ("bad_phone_options", "bad_phone_target"):
            fail(f"{result.error_detail}", code=2)
        data = summary_json(result)
        if as_json:
            print_json(data)
        else:
            _print_summary(data)

    _ = phone


def _print_summary(data: dict[str, Any]) -> None:
    from probe.console import console

    console.print(f"outcome: [bold]{data['outcome']}[/] ({data['outcome_reason'] or ''})")
    if data["sip_code"]:
        console.print(f"final response: {data['sip_code']} {data['reason'] or ''}")
    if data["error_class"]:
        console.print(f"error: {data['error_class']}: {data['error_detail']}")
    for name, value in data["timings_ms"].items():
        console.print(f"  {name:>13}: {value:10.1f} ms")
    console.print(f"transfers: {data['transfers']['count']} ({data['transfers']['class']})")
    for forward in data["forwards"]:
        console.print(f"forwarded before the answer: {forward['kind']} {forward['detail']}")
    console.print(f"answering machine: {'yes' if data['answering_machine'] else 'no'}")
    for kind in ("recording", "sip_trace"):
        if data[kind]:
            console.print(f"{kind}: {data[kind]}")
