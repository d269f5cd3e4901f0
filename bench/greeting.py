"""Greeting engine benchmark: CPU per second of speech, and the proposal's accuracy.

    .venv/bin/python bench/greeting.py [--no-espeak] [--path single|batched|worker ...]

The test set of tests/servers/greetings.py (12 greetings of the four kinds and the garbled
surname, for three organisations), spoken by festival's Russian voice as it is, faster and
higher, slower and lower, each mixed with white noise and sent through G.711 (µ-law / A-law) at
8 kHz, is made first (cached under var/bench-greeting). Then, with one CPU thread
(PROBE_SPEECH__CPU_THREADS=1, int8):

- single: each greeting transcribed alone (`analyse_greeting`, what the CLI does);
- batched: all of them through `analyse_greetings` (several greetings per Whisper pass);
- worker: the way the greeting worker reads them (adapters/sip/greetwork): each greeting in a
  recording that goes on with the line after it, read from 0.3 s before the voice for the
  window a person gets (adapters/sip/persons.GREETING_SECONDS, 10 s), in claims of
  worker.BATCH jobs through its engine (several per pass; a claim of one alone).

Printed for each: seconds of CPU (this process, all threads) per second of speech (the voice,
without the half second of line around it), proposals right / total, by kind, and the wrong
ones. espeak-ng's voice is run and reported apart (not part of the test set; docs/greeting.md).
Target (issue 18): <= 0.3 s of CPU per second of speech on one core; right >= 90 %.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.sip.greeting import (
    Clip,
    SpeechSettings,
    analyse_greeting,
    analyse_greetings,
    speech_unavailable_reason,
)
from adapters.sip.greetwork.engine import Job, load
from adapters.sip.greetwork.worker import BATCH
from adapters.sip.persons import GREETING_SECONDS, LEAD_SECONDS
from probe.settings import Settings
from tests.servers.greetings import (
    ESPEAK,
    GARBLED_SURNAME,
    GREETINGS,
    ORGANISATIONS,
    PAD,
    VOICES,
    Greeting,
    Voice,
    missing_tools,
    render,
)

PATHS = ("single", "batched", "worker")
CACHE = Path(__file__).resolve().parents[1] / "var" / "bench-greeting"


def _seconds(wav: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True, check=True)
    return float(out.stdout) - 2 * PAD


def _report(name: str, rows: list[tuple[Greeting, Voice, str, str]], cpu: float, speech: float):  # type: ignore[no-untyped-def]
    right = [r for r in rows if r[0].etiquette == r[2]]
    print(f"\n== {name}: {len(rows)} greetings, {speech:.1f} s of speech")
    print(f"   CPU {cpu:.1f} s -> {cpu / speech:.3f} s of CPU per second of speech")
    print(f"   right {len(right)}/{len(rows)} = {100 * len(right) / len(rows):.1f} %")
    kinds = Counter(r[0].etiquette for r in rows)
    good = Counter(r[0].etiquette for r in right)
    print("   by kind: " + ", ".join(f"{k} {good[k]}/{n}" for k, n in sorted(kinds.items())))
    for greeting, voice, got, text in rows:
        if greeting.etiquette != got:
            print(f"   wrong: {greeting.name} [{voice.name}] {got}: {text}")
    return len(right) / len(rows), cpu / speech


def _single(items: list[tuple[Greeting, Voice, Path]], settings: SpeechSettings):  # type: ignore[no-untyped-def]
    rows = []
    began = time.process_time()
    for greeting, voice, wav in items:
        proposal = analyse_greeting(wav, ORGANISATIONS[greeting.organisation], settings)
        rows.append((greeting, voice, proposal.etiquette, proposal.transcript))
    return rows, time.process_time() - began


def _batched(items: list[tuple[Greeting, Voice, Path]], settings: SpeechSettings):  # type: ignore[no-untyped-def]
    began = time.process_time()
    pairs = [(Clip(wav), ORGANISATIONS[g.organisation]) for g, _, wav in items]
    proposals = analyse_greetings(pairs, settings)
    cpu = time.process_time() - began
    rows = [
        (g, v, p.etiquette, p.transcript) for (g, v, _), p in zip(items, proposals, strict=True)
    ]
    return rows, cpu


def _recording(wav: Path, voice: Voice) -> Path:
    """The greeting as a person's part of a call's recording: the line (the voice's noise)
    goes on after it past the window the worker reads."""
    final = wav.with_name(f"{wav.stem}.call.wav")
    if not final.exists():
        line = wav.with_name(f".{wav.stem}.line.wav")
        subprocess.run(
            ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(line), "synth",
             f"{GREETING_SECONDS + 1}", "whitenoise", "vol", f"{voice.noise}"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(["sox", str(wav), str(line), str(final)], check=True, capture_output=True)
        line.unlink()
    return final


def _worker(items: list[tuple[Greeting, Voice, Path]], settings: Settings):  # type: ignore[no-untyped-def]
    speech = load(settings)
    jobs = [
        Job(
            _recording(wav, voice),
            PAD - LEAD_SECONDS,
            GREETING_SECONDS,
            ORGANISATIONS[greeting.organisation],
        )
        for greeting, voice, wav in items
    ]
    began = time.process_time()
    found = []
    for at in range(0, len(jobs), BATCH):
        claim = jobs[at : at + BATCH]
        found += [speech.one(claim[0])] if len(claim) == 1 else speech.many(claim)
    cpu = time.process_time() - began
    rows = [
        (g, v, f["etiquette"], f["transcript"]) for (g, v, _), f in zip(items, found, strict=True)
    ]
    return rows, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-espeak", action="store_true", help="skip the espeak-ng voice")
    parser.add_argument(
        "--path",
        action="append",
        choices=PATHS,
        help="run only these ways of reading (repeatable; default: all three)",
    )
    args = parser.parse_args()
    paths = args.path or list(PATHS)
    if missing_tools():
        print(f"missing {', '.join(missing_tools())}: run scripts/setup.sh --test")
        return 1
    settings = SpeechSettings(cpu_threads=1)
    if reason := speech_unavailable_reason(settings):
        print(reason)
        return 1
    print(f"load average at start: {os.getloadavg()}")
    greetings = [*GREETINGS, GARBLED_SURNAME]
    items = [(g, v, render(g, v, CACHE)) for v in VOICES for g in greetings]
    speech = sum(_seconds(wav) for _, _, wav in items)
    analyse_greeting(items[0][2], ORGANISATIONS["tara"], settings)  # loads the model
    found: dict[str, tuple[float, float]] = {}
    if "single" in paths:
        found["single"] = _report(
            "single (one pass per greeting)", *_single(items, settings), speech
        )
    if "batched" in paths:
        found["batched"] = _report(
            "batched (greetings share passes)", *_batched(items, settings), speech
        )
    if "worker" in paths:
        for _, voice, wav in items:
            _recording(wav, voice)  # made before the clock starts
        found["worker"] = _report(
            f"worker (10 s windows of recordings, claims of {BATCH})",
            *_worker(items, Settings(speech={"cpu_threads": 1})),
            speech,
        )
    if not args.no_espeak:
        others = [(g, ESPEAK, render(g, ESPEAK, CACHE)) for g in greetings]
        seconds = sum(_seconds(wav) for _, _, wav in others)
        _report(
            "espeak-ng voice (not in the test set), single", *_single(others, settings), seconds
        )
    print(f"\nload average at end: {os.getloadavg()}")
    print(
        "summary: "
        + " / ".join(f"{name} {cost:.3f}" for name, (_, cost) in found.items())
        + " s CPU per s of speech (target 0.3); right "
        + " / ".join(f"{name} {100 * right:.1f} %" for name, (right, _) in found.items())
        + " (target 90)"
    )
    worker_ok = "worker" not in found or found["worker"][1] <= 0.3
    return 0 if min(r for r, _ in found.values()) >= 0.9 and worker_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
