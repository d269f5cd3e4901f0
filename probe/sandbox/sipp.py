"""SIPp as the organisation's side of a call: one scenario per behaviour, on loopback ports.

Used by the sandbox and by the phone tests. Scenarios live in probe/data/sipp/*.xml. Audio is
raw mu-law (SIPp's rtp_stream plays raw mu-law; a PCM WAV comes out as noise), generated from
espeak-ng speech and sox tones by `make_audio` into a cache directory, never committed. Every
SIPp instance runs in the foreground with its own working directory (where `audio.ulaw` is),
logs every message it sends and receives with its own timestamps (the "truth" the tests compare
our timings with), and is stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from probe.sandbox.net import free_udp_port, port_bound

SCENARIOS = Path(__file__).resolve().parent.parent / "data" / "sipp"
SPEECH_GREETING = "Соцзащита, Иванова, слушаю вас."
SPEECH_MONOLOGUE = (
    "Здравствуйте, вы позвонили в центр социального обслуживания. "
    "Сейчас никто не может ответить, оставьте сообщение после сигнала."
)
SPEECH_ANNOUNCEMENT = "Неправильно набран номер."


# -- audio -----------------------------------------------------------------------------------


def _sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True, timeout=60)


def _silence(path: Path, seconds: float) -> Path:
    _sox("-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "trim", "0", f"{seconds}")
    return path


def _tone(path: Path, seconds: float, freq: float) -> Path:
    _sox(
        "-n",
        "-r",
        "8000",
        "-c",
        "1",
        "-b",
        "16",
        str(path),
        "synth",
        f"{seconds}",
        "sine",
        f"{freq}",
        "vol",
        "0.4",
    )
    return path


def _speech(path: Path, text: str) -> Path:
    raw = path.with_suffix(".22k.wav")
    subprocess.run(
        ["espeak-ng", "-v", "ru", "-s", "175", "-w", str(raw), text],
        check=True,
        capture_output=True,
        timeout=60,
    )
    _sox(str(raw), "-r", "8000", "-c", "1", "-b", "16", str(path))
    return path


def _concat(target: Path, parts: list[Path]) -> Path:
    """Concatenate 8 kHz PCM parts and write raw mu-law (what rtp_stream plays)."""
    _sox(*[str(p) for p in parts], "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw", str(target))
    return target


def seconds_of_ulaw(path: Path) -> float:
    return path.stat().st_size / 8000.0


@dataclass
class Audio:
    """Generated clips; `leading` is the silence before the first speech of each (seconds)."""

    directory: Path
    clips: dict[str, Path] = field(default_factory=dict)
    leading: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Path:
        return self.clips[name]


def make_audio(directory: Path) -> Audio:
    directory.mkdir(parents=True, exist_ok=True)
    d = directory
    greeting = _speech(d / "greeting.wav", SPEECH_GREETING)
    monologue = _speech(d / "monologue.wav", SPEECH_MONOLOGUE)
    announcement = _speech(d / "announcement.wav", SPEECH_ANNOUNCEMENT)
    audio = Audio(d)
    audio.clips["silence"] = _concat(d / "silence.ulaw", [_silence(d / "s1.wav", 1.0)])
    audio.clips["speech"] = _concat(d / "speech.ulaw", [_silence(d / "s05.wav", 0.5), greeting])
    audio.leading["speech"] = 0.5
    audio.clips["ringback_speech"] = _concat(
        d / "ringback_speech.ulaw",
        [
            _silence(d / "s03.wav", 0.3),
            _tone(d / "rb.wav", 0.8, 425),
            _silence(d / "s12.wav", 1.2),
            d / "rb.wav",
            _silence(d / "s08.wav", 0.8),
            greeting,
        ],
    )
    audio.clips["machine"] = _concat(
        d / "machine.ulaw",
        [d / "s03.wav", monologue, d / "s03.wav", _tone(d / "beep.wav", 0.5, 1000)],
    )
    sit = [_tone(d / f"sit{f}.wav", 0.33, f) for f in (950, 1400, 1800)]
    audio.clips["sit"] = _concat(d / "sit.ulaw", [d / "s03.wav", *sit, d / "s05.wav", announcement])
    audio.clips["ringback"] = _concat(
        d / "ringback.ulaw", [d / "s03.wav", d / "rb.wav", _silence(d / "s32.wav", 3.2)]
    )
    for name in ("ringback_speech", "machine", "sit", "ringback"):
        audio.leading.setdefault(name, 0.3)
    return audio


# -- SIPp --------------------------------------------------------------------------------------


@dataclass
class SentMessage:
    wall: float  # SIPp's own timestamp (epoch seconds)
    direction: str  # "sent" / "received"
    first_line: str
    text: str


class Sipp:
    """One SIPp instance playing a scenario as a UAS (or a registrar), on free loopback ports."""

    def __init__(
        self,
        scenario: str,
        *,
        pause_ms: int = 0,
        keys: dict[str, str] | None = None,
        fill: dict[str, str] | None = None,
        audio: Path | None = None,
        calls: int = 1,
        transport: str = "u1",
        extra: list[str] | None = None,
    ) -> None:
        self.scenario = SCENARIOS / scenario
        assert self.scenario.is_file(), self.scenario
        self.pause_ms = pause_ms
        self.keys = dict(keys or {})
        self.fill = dict(fill or {})  # @name@ in the XML, replaced before SIPp reads it
        self.audio = audio
        self.calls = calls
        self.transport = transport
        self.extra = list(extra or [])
        self.port = free_udp_port()
        self.media_port = free_udp_port(span=4)
        self.workdir = Path(tempfile.mkdtemp(prefix="probe-sipp-"))
        self.messages = self.workdir / "messages.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        suffix = ";transport=tcp" if self.transport.startswith("t") else ""
        return f"sip:org@127.0.0.1:{self.port}{suffix}"

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _scenario_file(self) -> Path:
        if not self.fill:
            return self.scenario
        text = self.scenario.read_text()
        for name, value in self.fill.items():
            text = text.replace(f"@{name}@", value)
        path = self.workdir / self.scenario.name
        path.write_text(text)
        return path

    def command(self) -> list[str]:
        cmd = ["sipp", "-sf", str(self._scenario_file()), "-i", "127.0.0.1", "-mi", "127.0.0.1"]
        cmd += ["-p", str(self.port), "-mp", str(self.media_port), "-t", self.transport]
        cmd += ["-d", str(self.pause_ms), "-timer_resol", "1", "-nostdin", "-m", str(self.calls)]
        cmd += ["-trace_msg", "-message_file", str(self.messages)]
        cmd += ["-trace_err", "-error_file", str(self.workdir / "errors.log")]
        for key, value in self.keys.items():
            cmd += ["-key", key, value]
        return cmd + self.extra

    def start(self) -> Sipp:
        if self.audio is not None:
            shutil.copy(self.audio, self.workdir / "audio.ulaw")
        else:
            (self.workdir / "audio.ulaw").write_bytes(b"\xff" * 8000)  # 1 s of mu-law silence
        self.proc = subprocess.Popen(
            self.command(),
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "stderr.log", "wb"),  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not port_bound(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"SIPp exited at start: {self.diagnostics()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"SIPp did not bind port {self.port}: {self.diagnostics()}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def wait(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def diagnostics(self) -> str:
        parts = []
        for name in ("stderr.log", "errors.log"):
            path = self.workdir / name
            if path.is_file():
                parts.append(path.read_text(errors="replace")[-2000:])
        return "\n".join(parts)

    def log(self) -> list[SentMessage]:
        """Every message SIPp sent or received, with SIPp's own timestamps."""
        if not self.messages.is_file():
            return []
        found: list[SentMessage] = []
        blocks = self.messages.read_text(errors="replace").split("-" * 47 + " ")
        for block in blocks[1:]:
            stamp, _, rest = block.partition("\n")
            head, _, text = rest.partition("\n\n")
            if "message sent" in head:
                direction = "sent"
            elif "message received" in head:
                direction = "received"
            else:
                continue
            wall = datetime.strptime(stamp.strip(), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            text = text.strip("\n")
            found.append(SentMessage(wall, direction, text.split("\n", 1)[0].strip(), text))
        return found

    def sent_at(self, first_line_prefix: str, call_id: str | None = None) -> float:
        """SIPp's timestamp of the first message it sent starting with this text."""
        for message in self.log():
            if call_id is not None and f"Call-ID: {call_id}" not in message.text:
                continue
            if message.direction == "sent" and message.first_line.startswith(first_line_prefix):
                return message.wall
        raise LookupError(
            f"SIPp sent no {first_line_prefix!r}: {[m.first_line for m in self.log()]}"
        )

    def __enter__(self) -> Sipp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
