"""Calls to SIPp scenarios that answer: timing, outcome, evidence."""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
import wave
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from adapters.sip.plugin import PhonePlugin
from probe.scoring.names import Outcome
from tests.servers.sipp import Audio, Dial, Sipp, phone_settings, place

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)  # fixtures: phone, sipp_audio, sipp_servers, ...


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2"), wav.getframerate()


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def ulaw_decode(data: bytes) -> np.ndarray:
    u = ~np.frombuffer(data, np.uint8)
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    magnitude = ((mantissa.astype(np.int32) << 3) + 0x84) << exponent
    return np.where(sign != 0, 0x84 - magnitude, magnitude - 0x84).astype(np.int32)


class RtpSink:
    """The organisation's media socket, played by the test: records every RTP packet."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.packets: list[tuple[float, int, int, bytes]] = []  # arrival, pt, timestamp, payload
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(2048)
            except TimeoutError:
                continue
            if len(data) > 12:
                pt = data[1] & 0x7F
                (timestamp,) = struct.unpack("!I", data[4:8])
                self.packets.append((time.monotonic(), pt, timestamp, data[12:]))

    def __enter__(self) -> RtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()

    def digits(self) -> str:
        """RFC 4733 telephone-events (payload type 101), one digit per event timestamp."""
        names = "0123456789*#ABCD"
        seen: dict[int, str] = {}
        for _, pt, timestamp, payload in self.packets:
            if pt == 101 and payload:
                seen.setdefault(timestamp, names[payload[0]] if payload[0] < 16 else "?")
        return "".join(seen[t] for t in sorted(seen))

    def loud_after_first_packet(self) -> float | None:
        """Seconds from the first audio packet to the first loud one (the prompt)."""
        audio = [(t, p) for t, pt, _, p in self.packets if pt == 0]
        if not audio:
            return None
        for arrival, payload in audio:
            if rms(ulaw_decode(payload)) > 500:
                return arrival - audio[0][0]
        return None


async def test_answer_after_ringing_is_timed_within_five_ms_of_what_sipp_sent(
    dial: Dial,
) -> None:
    org = Sipp("answer_wait.xml", pause_ms=700)
    result = await dial(org, listen_seconds=0.5)
    assert result.outcome == Outcome.CONNECTED, result.details
    assert result.details["sip_code"] == 200
    truth_ms = (org.sent_at("SIP/2.0 200") - org.sent_at("SIP/2.0 180")) * 1000.0
    assert abs(result.timings_ms["ring"] - truth_ms) <= 5.0, (result.timings_ms, truth_ms)
    assert abs(result.timings_ms["ring"] - 700.0) <= 10.0, result.timings_ms
    assert result.timings_ms["pdd"] < 50.0
    assert result.timings_ms["trying"] <= result.timings_ms["pdd"]
    assert result.timings_ms["answer"] == pytest.approx(
        result.timings_ms["pdd"] + result.timings_ms["ring"], abs=0.05
    )
    assert 450.0 <= result.timings_ms["duration"] <= 700.0
    assert result.details["hangup"] == {"by": "us", "reason": "listen_time"}
    assert result.details["transfers"] == 0
    assert "sdd" in result.timings_ms
    kinds = {e.kind for e in result.evidence}
    assert kinds == {"sip_trace", "recording"}


async def test_received_messages_are_dated_by_their_arrival_which_sipp_logged_just_after(
    dial: Dial,
) -> None:
    org = Sipp("answer_wait.xml", pause_ms=300)
    result = await dial(org, listen_seconds=0.3)
    assert result.outcome == Outcome.CONNECTED, result.details
    trace = next(Path(e.path) for e in result.evidence if e.kind == "sip_trace").read_text()
    arrivals: dict[str, float] = {}  # the first of each (a 200 to our BYE comes later)
    for stamp, source, first in re.findall(
        r"^== (\S+) \+\S+ ms leg 0 RX received from UDP \S+ "
        r"\((\w+); callback \+[\d.]+ ms\)\n(.*)$",
        trace,
        re.M,
    ):
        if source == "kernel":
            arrivals.setdefault(first[:11], datetime.fromisoformat(stamp).timestamp())
    assert {"SIP/2.0 100", "SIP/2.0 180", "SIP/2.0 200"} <= set(arrivals), trace[:2000]
    for first_line in ("SIP/2.0 180", "SIP/2.0 200"):
        # The kernel dates a datagram inside SIPp's sendto; SIPp takes its own stamp just after.
        after = org.sent_at(first_line) - arrivals[first_line]
        assert -0.00002 <= after <= 0.05, (first_line, after)


async def test_speech_after_the_answer_is_found_and_the_far_end_hang_up_is_timed(
    dial: Dial,
    sipp_audio: Audio,
) -> None:
    org = Sipp(
        "answer_play.xml", pause_ms=200, keys={"audio_ms": "3000"}, audio=sipp_audio["speech"]
    )
    result = await dial(org, listen_seconds=10)
    assert result.outcome == Outcome.CONNECTED, result.details
    assert result.details["hangup"] == {"by": "them", "reason": None}
    truth = (org.sent_at("BYE") - org.sent_at("SIP/2.0 200")) * 1000.0
    assert abs(result.timings_ms["duration"] - truth) <= 5.0, (result.timings_ms, truth)
    # 0.5 s of silence precedes the greeting in the clip.
    assert 480 <= result.timings_ms["first_speech"] <= 700, result.timings_ms
    assert result.timings_ms["media_start"] < 60
    assert result.details["answering_machine"] is False
    assert result.details["speech"], "no speech interval"
    assert result.details["transfers"] == 0


async def test_the_recording_is_a_wav_of_the_far_end_as_long_as_the_call(
    dial: Dial,
    sipp_audio: Audio,
) -> None:
    org = Sipp(
        "answer_play.xml", pause_ms=100, keys={"audio_ms": "2500"}, audio=sipp_audio["speech"]
    )
    result = await dial(org, listen_seconds=10)
    recording = next(e for e in result.evidence if e.kind == "recording")
    samples, rate = read_wav(Path(recording.path))
    assert rate == 8000
    assert len(samples) / rate == pytest.approx(result.timings_ms["duration"] / 1000, abs=0.15)
    silent_lead = samples[: int(0.4 * rate)]
    speech = samples[int(0.7 * rate) : int(2.0 * rate)]
    assert rms(silent_lead) < 50 < 1000 < rms(speech)
    assert recording.sha256 and recording.size and recording.media_type == "audio/wav"


async def test_early_media_then_answer_is_connected_and_its_ringback_is_no_transfer(
    dial: Dial,
    sipp_audio: Audio,
) -> None:
    org = Sipp("early_media.xml", pause_ms=1500, audio=sipp_audio["ringback"])
    result = await dial(org, listen_seconds=0.5)
    assert result.outcome == Outcome.CONNECTED, result.details
    truth = (org.sent_at("SIP/2.0 200") - org.sent_at("SIP/2.0 183")) * 1000.0
    assert abs(result.timings_ms["ring"] - truth) <= 5.0, (result.timings_ms, truth)
    tones = result.details["tones"]
    assert [t["kind"] for t in tones] == ["ringback"] and tones[0]["early_media"] is True
    assert result.details["transfers"] == 0


async def test_a_long_monologue_with_a_beep_is_an_answering_machine(
    dial: Dial,
    sipp_audio: Audio,
) -> None:
    org = Sipp(
        "answer_play.xml", pause_ms=100, keys={"audio_ms": "9000"}, audio=sipp_audio["machine"]
    )
    result = await dial(org, listen_seconds=15)
    assert result.outcome == Outcome.ANSWERING_MACHINE, result.details
    assert result.details["answering_machine"] is True
    # Issue 14: told by the beep after the message (and the hang-up), not by its length.
    assert result.details["outcome_reason"].endswith(" Hz beep after speech")
    beeps = [t for t in result.details["tones"] if t["kind"] == "beep"]
    assert len(beeps) == 1 and beeps[0]["freq"] == pytest.approx(1000, abs=30)


async def test_the_extension_is_dialled_by_rfc4733_events_after_the_answer(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    with RtpSink() as sink:
        org = Sipp("answer_dtmf.xml", keys={"rtp_port": str(sink.port)}).start()
        sipp_servers.append(org)
        result = await place(
            phone,
            phone_settings(phone_data_dir),
            tmp_path,
            sip_uri=org.uri,
            extension="1380",
            dtmf_delay_seconds=0.2,
            listen_seconds=1.5,
        )
    assert result.outcome == Outcome.CONNECTED, result.details
    assert result.details["dtmf_sent"] is True
    assert sink.digits() == "1380"


async def test_the_prompt_is_played_to_the_far_end_when_nobody_speaks(
    phone: PhonePlugin,
    phone_data_dir: Path,
    tmp_path: Path,
    sipp_servers: list[Sipp],
    sipp_audio: Audio,
) -> None:
    prompt = sipp_audio.directory / "greeting.wav"
    with RtpSink() as sink:
        org = Sipp("answer_dtmf.xml", keys={"rtp_port": str(sink.port)}).start()
        sipp_servers.append(org)
        result = await place(
            phone,
            phone_settings(phone_data_dir),
            tmp_path,
            sip_uri=org.uri,
            prompt=str(prompt),
            prompt_wait_seconds=0.3,
            listen_seconds=2.5,
        )
    assert result.outcome == Outcome.CONNECTED, result.details
    started = result.details["prompt_started_ms"] - result.timings_ms["answer"]
    assert 300 <= started <= 350, started  # the worker looks every 20 ms
    loud = sink.loud_after_first_packet()
    assert loud is not None and abs(loud - started / 1000) <= 0.15, (loud, started)
