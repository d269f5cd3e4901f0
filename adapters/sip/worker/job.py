"""One check in the worker: its call legs, timers, prompt, DTMF, recorder and live analysis."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from adapters.sip.analysis.frames import FrameAnalyser
from adapters.sip.analysis.tones import ToneSegment
from adapters.sip.analysis.vad import SpeechSegment
from adapters.sip.dialplan import uri_host
from adapters.sip.worker.legs import Leg
from adapters.sip.worker.media import FramePort, PortPool
from probe.errors import DestinationRefusedError
from probe.netguard import ensure_destination_allowed

# A greeting has ended after this long without speech.
GREETING_PAUSE = 0.7
# After every leg is down, wait at most this long for answers to our BYE (SDD) or CANCEL.
BYE_GRACE = 2.0
# A leg PJSUA never started (a transfer it could not place) is given up after this.
STILLBORN = 3.0
MAX_LEGS = 3
# 100 ms blocks analysed per call per pass (one pass every 20 ms): ten times real time at most,
# so a backlog clears while timers and other calls are still served.
MAX_FRAMES_PER_TICK = 2
# Calls are dropped this long after their last callback, never while one may be running.
SETTLE = 0.1
# How long to wait for the recorder to close its WAV after the call.
WAV_CLOSE_WAIT = 1.0


class Job:
    def __init__(
        self,
        spec: dict[str, Any],
        *,
        account: Any,
        emit: Callable[[dict[str, Any]], None],
        claim: Callable[[str, str, int], None],
        network: str,
        ports: PortPool,
    ) -> None:
        self.id: str = spec["id"]
        self.spec = spec
        self.account = account
        self._emit = emit
        self._claim = claim
        self.network = network
        self.legs: list[Leg] = []
        self.t_start = time.monotonic()
        self.t_answer: float | None = None
        self.active: Leg | None = None
        self.hangup_reason: str | None = None
        self.t_hangup: float | None = None
        self.redirects = 0
        self.finished = False
        # Requests of ours still waiting for their final response ("BYE", "INVITE" after our
        # CANCEL): the far end's answer to them is part of the record (SDD, the 487).
        self.awaiting: set[str] = set()
        self.analyser = FrameAnalyser()
        self.ports = ports
        self.port: FramePort | None = ports.acquire()
        self.recorder: Any = None
        if spec.get("record"):
            self.recorder = pj.AudioMediaRecorder()
            self.recorder.createRecorder(spec["record"])
        self.player: Any = None
        self.prompt_state = "waiting" if spec.get("prompt") else "none"
        self.dtmf: str | None = spec.get("dtmf") or None
        self.dtmf_sent = False
        self.greeting_ref: float | None = None
        self.greeting_heard = False
        self.closing: tuple[float, dict[str, Any]] | None = None

    # -- events out ----------------------------------------------------------------------

    def emit(self, event: dict[str, Any]) -> None:
        self._emit({**event, "id": self.id})

    def emit_error(self, text: str) -> None:
        self.emit({"ev": "log", "level": "error", "text": text})

    def claim(self, leg: Leg) -> None:
        self._claim(leg.call_id, self.id, leg.index)

    def observe_sip(self, event: dict[str, Any]) -> None:
        """Every traced message of this job (any thread): what we still wait an answer for."""
        first, _, rest = event["text"].partition("\r\n")
        if event["dir"] == "TX":
            if first.startswith("BYE "):
                self.awaiting.add("BYE")
            elif first.startswith("CANCEL "):
                self.awaiting.add("INVITE")
            return
        if not first.startswith("SIP/2.0 ") or first[8:9] == "1":
            return
        for line in rest.split("\r\n"):
            if line.lower().startswith(("cseq:", "cseq ")):
                self.awaiting.discard(line.rsplit(" ", 1)[-1].strip())
                return

    # -- start ---------------------------------------------------------------------------

    def start(self) -> None:
        leg = Leg(self, 0, self.account)
        self.legs.append(leg)
        prm = pj.CallOpParam(True)
        prm.opt.audioCount = 1
        prm.opt.videoCount = 0
        self.emit({"ev": "dial", "t": time.monotonic(), "uri": self.spec["uri"]})
        try:
            leg.makeCall(self.spec["uri"], prm)
        except Exception as error:
            leg.release_slot()  # PJSUA freed any slot it took: the leg must not keep its id
            self.legs.clear()
            self._end(error=("sip_make_call", _pj_reason(error)))
            return
        try:
            info = leg.getInfo()
        except Exception:
            return  # over already: its DISCONNECTED callback ran inside makeCall (and claimed it)
        if info.callIdString and not leg.call_id:
            leg.call_id = info.callIdString
            self.claim(leg)

    # -- callbacks (from legs) -----------------------------------------------------------

    def on_state(self, leg: Leg, info: Any, stamp: float) -> None:
        self.emit(
            {
                "ev": "state",
                "t": stamp,
                "leg": leg.index,
                "state": info.stateText,
                "code": int(info.lastStatusCode),
                "reason": info.lastReason,
            }
        )
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            if self.t_answer is None:
                self.t_answer = stamp
                self.greeting_ref = stamp
            self.active = leg
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            leg.disconnected = True
            leg.disconnected_at = stamp
            if self.active is leg:
                self.active = next((x for x in self.legs if not x.disconnected), None)

    def on_media(self, leg: Leg, info: Any, stamp: float) -> None:
        for index, media in enumerate(info.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            status = int(media.status)
            self.emit(
                {"ev": "media", "t": stamp, "leg": leg.index, "status": _MEDIA_STATUS.get(status)}
            )
            if status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
                leg.media_index = index
                self._connect(leg, index)

    def on_refer(self, leg: Leg, prm: Any, stamp: float) -> None:
        target = str(prm.dstUri)
        refused = self._refusal(target)
        if refused is None and len(self.legs) >= MAX_LEGS:
            refused = "too many legs"
        if refused is None and self.hangup_reason is not None:
            refused = "hanging up"
        self.emit(
            {"ev": "leg", "t": stamp, "kind": "refer", "from_leg": leg.index, "target": target}
            | ({"refused": refused} if refused else {"leg": len(self.legs)})
        )
        if refused is not None:
            prm.statusCode = 603
            return
        prm.statusCode = 202
        new = Leg(self, len(self.legs), self.account)
        self.legs.append(new)
        prm.newCall = new

    def on_redirect(self, leg: Leg, prm: Any, stamp: float) -> int:
        target = str(prm.targetUri)
        refused = self._refusal(target)
        if refused is None and self.redirects >= int(self.spec.get("max_redirects", 5)):
            refused = "too many redirects"
        if refused is None and self.hangup_reason is not None:
            refused = "hanging up"
        self.emit(
            {"ev": "leg", "t": stamp, "kind": "redirect", "from_leg": leg.index, "target": target}
            | ({"refused": refused} if refused else {})
        )
        if refused is not None:
            return int(pj.PJSIP_REDIRECT_REJECT)
        self.redirects += 1
        return int(pj.PJSIP_REDIRECT_ACCEPT)

    def _refusal(self, target: str) -> str | None:
        # A transfer target is chosen by the far end: it passes the same network guard as ours.
        try:
            ensure_destination_allowed(uri_host(target), network=self.network)
        except (DestinationRefusedError, ValueError) as error:
            return str(error)
        return None

    # -- media ---------------------------------------------------------------------------

    def _connect(self, leg: Leg, index: int) -> None:
        audio = leg.getAudioMedia(index)
        if self.port is not None:
            audio.startTransmit(self.port)
        if self.recorder is not None:
            audio.startTransmit(self.recorder)
        if self.player is not None and self.prompt_state == "playing":
            self.player.startTransmit(audio)

    def _play_prompt(self, now: float) -> None:
        self.prompt_state = "playing"
        try:
            self.player = pj.AudioMediaPlayer()
            self.player.createPlayer(self.spec["prompt"], pj.PJMEDIA_FILE_NO_LOOP)
            for leg in self.legs:
                if not leg.disconnected and leg.media_index is not None:
                    self.player.startTransmit(leg.getAudioMedia(leg.media_index))
        except Exception as error:
            self.emit_error(f"prompt: {_pj_reason(error)}")
            self.player = None
            self.prompt_state = "failed"
            return
        self.emit({"ev": "action", "t": now, "kind": "prompt_started"})

    def _drain_frames(self, limit: int | None = MAX_FRAMES_PER_TICK) -> None:
        if self.port is None:
            return
        frames = self.port.frames
        # Bounded, so timers and other calls are served even if analysis falls behind.
        for _ in range(len(frames) if limit is None else min(len(frames), limit)):
            stamp, pcm = frames.popleft()
            for segment in self.analyser.feed_block(pcm, stamp):
                self._emit_segment(segment)

    def _emit_segment(self, segment: SpeechSegment | ToneSegment) -> None:
        if isinstance(segment, ToneSegment):
            self.emit(
                {
                    "ev": "audio",
                    "kind": "tone",
                    "start": segment.start,
                    "end": segment.end,
                    "freq": round(segment.freq, 1),
                }
            )
            return
        self.emit({"ev": "audio", "kind": "speech", "start": segment.start, "end": segment.end})
        if self.greeting_ref is not None and segment.end >= self.greeting_ref:
            self.greeting_heard = True

    # -- the loop --------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        if self.finished:
            return
        if self.closing is not None:
            if _wav_final(self.spec.get("record")) or now >= self.closing[0]:
                self._emit_end(self.closing[1])
            return
        self._drain_frames()
        self._timers(now)
        if self.t_answer is not None and self.hangup_reason is None:
            self._after_answer(now)
        self._poll_rtp(now)
        if self._all_down(now):
            self._end()

    def _timers(self, now: float) -> None:
        if self.hangup_reason is not None:
            if self.t_hangup is not None and now - self.t_hangup > 10.0:
                self._end(error=("sip_hangup_stuck", "legs still up 10 s after hang-up"))
            return
        ring = float(self.spec["ring_timeout"])
        listen = float(self.spec["listen"])
        if self.t_answer is None and now - self.t_start >= ring:
            self.hangup("ring_timeout")
        elif self.t_answer is not None and now - self.t_answer >= listen:
            self.hangup("listen_time")
        elif now - self.t_start >= ring + listen + 10.0:
            self.hangup("deadline")

    def _after_answer(self, now: float) -> None:
        assert self.t_answer is not None
        if self.dtmf and not self.dtmf_sent:
            if now - self.t_answer >= float(self.spec.get("dtmf_delay", 2.0)) and self.active:
                self.dtmf_sent = True
                try:
                    self.active.dialDtmf(self.dtmf)
                    self.emit({"ev": "action", "t": now, "kind": "dtmf_sent", "digits": self.dtmf})
                except Exception as error:
                    self.emit_error(f"dtmf: {_pj_reason(error)}")
                self.greeting_ref = now
                self.greeting_heard = False
            return
        if self.prompt_state != "waiting" or self.greeting_ref is None:
            return
        speech = self.analyser.speech
        quiet = not speech.in_speech and now - speech.last_speech_end >= GREETING_PAUSE
        waited = now - self.greeting_ref >= float(self.spec.get("prompt_wait", 5.0))
        if quiet and (self.greeting_heard or waited):
            self._play_prompt(now)

    def _poll_rtp(self, now: float) -> None:
        for leg in list(self.legs):
            if leg.first_rtp or leg.media_index is None or leg.disconnected:
                continue
            try:
                packets = leg.getStreamStat(leg.media_index).rtcp.rxStat.pkt
            except Exception:
                continue
            if packets:
                leg.first_rtp = True
                self.emit({"ev": "media", "t": now, "leg": leg.index, "status": "first_rtp"})

    def _all_down(self, now: float) -> bool:
        if not self.legs:
            return False
        last = 0.0
        for leg in list(self.legs):
            if leg.disconnected:
                last = max(last, leg.disconnected_at or 0.0)
            elif leg.started or now - leg.created < STILLBORN:
                return False
        if now - last < SETTLE:
            return False  # the DISCONNECTED callback may still be running on the SIP thread
        return not self.awaiting or now - last >= BYE_GRACE

    def hangup(self, reason: str) -> None:
        if self.hangup_reason is not None or self.finished or self.closing is not None:
            return
        now = time.monotonic()
        self.hangup_reason, self.t_hangup = reason, now
        self.emit({"ev": "action", "t": now, "kind": "hangup", "reason": reason})
        for leg in self.legs:
            if leg.disconnected or not leg.started:
                continue
            try:
                leg.hangup(pj.CallOpParam(True))
            except Exception as error:
                self.emit_error(f"hangup leg {leg.index}: {_pj_reason(error)}")

    def _end(self, error: tuple[str, str] | None = None) -> None:
        self._drain_frames(limit=None)
        for segment in self.analyser.flush():
            self._emit_segment(segment)
        legs = [
            {"leg": leg.index, "call_id": leg.call_id, "first_rtp": leg.first_rtp}
            for leg in self.legs
        ]
        # Drop every reference to calls and media now: PJSUA aborts at libDestroy otherwise,
        # and deleting the recorder is what finalises its WAV header.
        self.player = None
        self.recorder = None
        if self.port is not None:
            self.ports.release(self.port)
        self.port = None
        self.legs = []
        self.active = None
        # The bridge removes ports on its next clock tick (PJSIP 2.14+), and only then is the
        # WAV closed and its header written: wait for that before saying the call is over.
        self.closing = (time.monotonic() + WAV_CLOSE_WAIT, {"legs": legs, **_error(error)})
        self.tick(time.monotonic())

    def _emit_end(self, extra: dict[str, Any]) -> None:
        self.finished = True
        event: dict[str, Any] = {
            "ev": "end",
            "t": time.monotonic(),
            "hangup_reason": self.hangup_reason,
            "recording": self.spec.get("record"),
            "frames": self.analyser.frames,
            "loud_frames": self.analyser.loud_frames,
            **extra,
        }
        self.emit(event)


_MEDIA_STATUS = {
    int(pj.PJSUA_CALL_MEDIA_NONE): "none",
    int(pj.PJSUA_CALL_MEDIA_ACTIVE): "active",
    int(pj.PJSUA_CALL_MEDIA_LOCAL_HOLD): "local_hold",
    int(pj.PJSUA_CALL_MEDIA_REMOTE_HOLD): "remote_hold",
    int(pj.PJSUA_CALL_MEDIA_ERROR): "error",
}


def _error(error: tuple[str, str] | None) -> dict[str, str]:
    return {} if error is None else {"error_class": error[0], "error_detail": error[1]}


def _wav_final(path: str | None) -> bool:
    """True once the recorder has closed the file: the RIFF size matches the file's."""
    if not path:
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return True  # nothing was recorded (no media): nothing to wait for
    return len(head) == 8 and head[:4] == b"RIFF" and int.from_bytes(head[4:], "little") + 8 == size


def _pj_reason(error: Exception) -> str:
    reason = getattr(error, "reason", None)
    return str(reason) if reason else repr(error)
