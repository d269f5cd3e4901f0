"""The control probe's evidence is stored relative to the data folder, like a check's (issue
16): a data folder copied or mounted elsewhere still finds it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from probe.channels import ChannelSpec, OutcomeSpec, ProbeContext, ProbeTarget, add_plugin
from probe.results import CheckResult, EvidenceRef
from probe.settings import Settings
from schedules.control import place_control


class _Options(BaseModel):
    pass


@dataclass
class _Recorder:
    """A channel whose probe writes a recording and names it by its absolute path."""

    spec: ChannelSpec

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        context.evidence_dir.mkdir(parents=True)
        recording = context.evidence_dir / "control.wav"
        recording.write_bytes(b"RIFF")
        now = datetime.now(UTC)
        return CheckResult(
            channel=target.channel,  # type: ignore[arg-type]
            outcome="answered",  # type: ignore[arg-type]
            started_at=now,
            finished_at=now,
            evidence=[EvidenceRef(kind="recording", path=str(recording.absolute()))],
        )


def test_the_control_probes_evidence_is_relative_to_the_data_folder(tmp_path: Path) -> None:
    spec = ChannelSpec(
        name="ctl",
        label="контроль",
        backend="test",
        outcomes=(OutcomeSpec("answered", "ответили", success=True),),
        config_model=_Options,
    )
    remove = add_plugin(_Recorder(spec))
    try:
        settings = Settings(data_dir=tmp_path / "var")
        result = asyncio.run(
            place_control("ctl", "+73812000001", settings=settings, options={}, timeout=5)
        )
    finally:
        remove()
    assert result.error_class is None
    [ref] = result.evidence
    path = Path(ref.path)
    assert not path.is_absolute()
    assert path.parts[:3] == ("evidence", "control", "ctl")
    assert (tmp_path / "var" / path).read_bytes() == b"RIFF"
