"""`probe analyse greeting FILE.wav --organisation NAME`: the proposed etiquette of a greeting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    @app.command("greeting")
    def greeting(
        wav: Annotated[Path, typer.Argument(help="The recording (WAV; any rate, mono or not).")],
        organisation: Annotated[
            str, typer.Option("--organisation", help="The organisation's full name.")
        ],
        short: Annotated[
            str | None, typer.Option("--short", help="Its short name, e.g. «КЦСОН «Любава».")
        ] = None,
        start: Annotated[
            float, typer.Option("--start", min=0, help="Seconds into the file where speech starts.")
        ] = 0.0,
        seconds: Annotated[
            float | None, typer.Option("--seconds", min=0.5, max=60, help="Seconds transcribed.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Transcribe a greeting on this machine and propose its etiquette column (7, 8 or 9)."""
        from adapters.sip.greeting import OrganisationNames, SpeechUnavailable, analyse_greeting
        from probe.console import fail, load_settings, print_json

        settings = load_settings()
        try:
            names = OrganisationNames(organisation, short)
        except ValueError as error:
            fail(str(error), code=2)
        try:
            proposal = analyse_greeting(wav, names, settings, start=start, seconds=seconds)
        except (FileNotFoundError, ValueError) as error:
            fail(str(error), code=2)
        except SpeechUnavailable as error:
            fail(str(error), code=3)
        data = proposal.to_dict()
        summary: dict[str, Any] = {
            key: data[key] for key in ("transcript", "etiquette", "found", "confidence")
        }
        if as_json:
            print_json({**summary, "column": proposal.column, "parts": data["parts"]})
        else:
            _print(summary, proposal.column, data["parts"])

    _ = greeting


def _print(summary: dict[str, Any], column: int | None, parts: list[dict[str, Any]]) -> None:
    from probe.console import console

    console.print(f"transcript: {summary['transcript']}", highlight=False, markup=False)
    where = f"column {column}" if column else "not a person"
    console.print(f"etiquette: [bold]{summary['etiquette']}[/] ({where}), "
                  f"confidence {summary['confidence']:.2f}")  # fmt: skip
    for part in parts:
        console.print(
            f"  {part['part']:>12}: {part['words']} ({part['start']:.2f}-{part['end']:.2f} s)",
            highlight=False,
            markup=False,
        )
