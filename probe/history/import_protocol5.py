"""Protocol No. 5 table 1: the web form, FAQ and survey columns as organisation reviews; the
phone and e-mail columns compared with what the imported checks give."""

from __future__ import annotations

from dataclasses import dataclass

from probe.history.context import ACTOR, ImportContext
from probe.history.document import (
    Protocol5Row,
)
from probe.reviews import ChannelPresence, ReviewField
from probe.scoring import score_campaign
from probe.scoring.model import ChannelState
from storage.checks import add_review
from storage.models import Organisation

_YES_NO: dict[str, bool | None] = {"да": True, "нет": False, "": None}
_CHANNELS = ("phone", "e-mail", "web form", "FAQ section", "survey")
_OPERATOR_FIELDS = (ReviewField.WEB_FORM, ReviewField.FAQ, ReviewField.SURVEY)
_PRESENCE: dict[tuple[bool | None, bool | None], ChannelPresence] = {
    (True, True): ChannelPresence.WORKING,
    (True, False): ChannelPresence.NOT_WORKING,
    (False, False): ChannelPresence.ABSENT,
    (False, None): ChannelPresence.ABSENT,
}


@dataclass(frozen=True)
class _Written:
    """A phone or e-mail pair of Protocol 5 as the document has it, kept for the comparison."""

    row: int
    organisation_id: int
    channel: str
    column: int
    state: ChannelState


def _flag(text: str, where: str, column: int, problems: list[str]) -> tuple[bool, bool | None]:
    """(read, value): «да» True, «нет» False, empty None; anything else is not read."""
    folded = text.strip().lower()
    if folded in _YES_NO:
        return True, _YES_NO[folded]
    problems.append(f"{where}, column {column}: '{text}' is neither 'да' nor 'нет'; not read")
    return False, None


def _presence(state: ChannelState, where: str, what: str, column: int) -> ChannelPresence | str:
    """The review value for a web channel's pair, or the problem that keeps it unimported."""
    found = _PRESENCE.get((state.present, state.working))
    if found is not None:
        return found
    columns = f"columns {column}-{column + 1}"
    if state.present is None and state.working is None:
        return f"{where}: {what} ({columns}) is empty; left pending"
    present, working = (_yes_no_text(state.present), _yes_no_text(state.working))
    return (
        f"{where}: {what} ({columns}) reads present '{present}', working '{working}'; "
        "not imported, left pending"
    )


def _yes_no_text(flag: bool | None) -> str:
    return "" if flag is None else ("да" if flag else "нет")


def _import_protocol5_row(
    ctx: ImportContext, row: Protocol5Row, org: Organisation, written: list[_Written]
) -> None:
    where = f"Protocol No. 5, row {row.number}"
    problems: list[str] = []
    assert org.id is not None
    for index, (column, present_text, working_text) in enumerate(row.channels):
        read_present, present = _flag(present_text, where, column, problems)
        read_working, working = _flag(working_text, where, column + 1, problems)
        what = _CHANNELS[index]
        state = ChannelState(present, working)
        if index < 2:
            if read_present and read_working:
                written.append(_Written(row.number, org.id, what, column, state))
            continue
        if not (read_present and read_working):
            problems.append(f"{where}: {what} not imported, left pending")
            continue
        value = _presence(state, where, what, column)
        if not isinstance(value, ChannelPresence):
            problems.append(value)
            continue
        add_review(
            session=ctx.session,
            author=ACTOR,
            field=_OPERATOR_FIELDS[index - 2].value,
            value=value.value,
            reason=f"Protocol No. 5, row {row.number}, columns {column}-{column + 1}",
            organisation_id=org.id,
            campaign_id=ctx.campaign.id,
        )
        ctx.report.reviews += 1
    ctx.report.add(1, row.number, problems, protocol=5)
    ctx.report.protocol5_rows += 1


def _compare_protocol5(ctx: ImportContext, written: list[_Written]) -> None:
    """Report where the document's phone and e-mail pairs differ from what the checks give."""
    if not written:
        return
    score = score_campaign(session=ctx.session, campaign=ctx.campaign, audit=False)
    ours = {r.organisation_id: r for r in score.protocol5}
    for item in written:
        row = ours.get(item.organisation_id)
        if row is None:
            continue
        computed = row.phone if item.channel == "phone" else row.email
        source = "the imported calls" if item.channel == "phone" else "the imported letters"
        pairs = (
            ("present", item.column, item.state.present, computed.present, "the directory"),
            ("working", item.column + 1, item.state.working, computed.working, source),
        )
        for what, column, theirs, mine, by in pairs:
            if theirs is None or theirs == mine:
                continue
            given = f"'{_yes_no_text(mine)}'" if mine is not None else "nothing yet (pending)"
            message = (
                f"Protocol No. 5, row {item.row}: {item.channel} {what} (column {column}): "
                f"the document says '{_yes_no_text(theirs)}', {by} give {given}; "
                f"{by} are kept"
            )
            ctx.report.add(1, item.row, [message], protocol=5)


def import_protocol5(
    ctx: ImportContext, rows: list[Protocol5Row], orgs: dict[int, Organisation]
) -> None:
    if not rows:
        missing = "the file has no Protocol No. 5 before Protocol No. 6; web form, FAQ and survey"
        ctx.report.add(1, None, [f"{missing} are left pending"], protocol=5)
        return
    written: list[_Written] = []
    for row in rows:
        if row.number in orgs:
            _import_protocol5_row(ctx, row, ctx.session.merge(orgs[row.number]), written)
    _compare_protocol5(ctx, written)
