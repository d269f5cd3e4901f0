"""The directory in the browser: upload the ministry's file (the importer of `probe directory
import`, unchanged), every row's problem in Russian, and the held shared contacts to confirm
(`probe directory confirm`)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select
from starlette.datastructures import FormData, UploadFile

from probe.directory.importer import (
    ImportReport,
    apply_import,
    bundled_names,
    bundled_path,
    plan_import,
)
from probe.directory.regions import UnknownRegionError, all_regions, find_region
from probe.directory.sources import DirectoryFileError, RowProblem, read_directory_file
from probe.web import import_text
from probe.web.deps import CurrentUser, PageError, csrf_form, page_admin, page_operator, web_state
from probe.web.filters import MAX_ID
from probe.web.render import render
from storage.directory import ConfirmError, confirm_contact
from storage.engine import session_scope
from storage.models import Contact, Organisation
from storage.users import Role

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 10 * 1024 * 1024  # a directory of thousands of rows is far smaller
SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".tsv", ".yaml", ".yml")


@dataclass(frozen=True)
class ShownProblem:
    row: int | None
    column: str
    value: str
    reason: str
    rejected: bool


def _shown(problem: RowProblem, cells: dict[int, dict[str, str]]) -> ShownProblem:
    field = problem.field or ""
    return ShownProblem(
        row=problem.row,
        column=import_text.FIELDS.get(field, field) or "вся строка",
        value=cells.get(problem.row or 0, {}).get(field, "") if field else "",
        reason=import_text.reason(problem.why),
        rejected=problem.severity == "error",
    )


def _held(request: Request) -> list[tuple[Contact, Organisation]]:
    with session_scope(web_state(request).engine) as db:
        rows = db.exec(
            select(Contact, Organisation)
            .join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
            .where(col(Contact.held).is_not(None), col(Contact.active).is_(True))
            .order_by(col(Organisation.id), col(Contact.id))
        ).all()
        return [(c, o) for c, o in rows]


def _page(
    request: Request, user: CurrentUser, status: int = 200, **context: object
) -> HTMLResponse:
    full = {
        "regions": all_regions(),
        "bundled": bundled_names(),
        "held": _held(request),
        "can_import": user.at_least(Role.ADMIN),
        "held_reason": import_text.held,
        "report": None,
        "problems": [],
        "error": None,
        "confirmed": request.query_params.get("confirmed"),
        **context,
    }
    return render(request, "directory.html", full, user=user, status_code=status)


@router.get("/directory", response_class=HTMLResponse)
def directory(request: Request, user: CurrentUser = Depends(page_operator)) -> Response:
    return _page(request, user)


async def _upload(form: FormData) -> tuple[str, str, bytes]:
    """The file's name as reports show it, its type (suffix) and its bytes."""
    upload = form.get("file")
    chosen = str(form.get("bundled") or "")
    if chosen and not (isinstance(upload, UploadFile) and upload.filename):
        # A directory shipped with the product (`probe directory import --bundled NAME`).
        if chosen not in bundled_names():
            raise _Refusal(f"Нет встроенного справочника «{chosen}».")
        return f"bundled:{chosen}", ".yaml", bundled_path(chosen).read_bytes()
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise _Refusal("Выберите файл справочника (.xlsx, .csv или .yaml).")
    name = Path(upload.filename).name
    if Path(name).suffix.lower() not in SUFFIXES:
        raise _Refusal(f"Файл «{name}» не принят: загрузите таблицу .xlsx, .csv или .yaml.")
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise _Refusal(f"Файл «{name}» больше 10 МБ: разделите справочник на части.")
    if not data:
        raise _Refusal(f"Файл «{name}» пуст.")
    return name, Path(name).suffix.lower(), data


class _Refusal(Exception):
    pass


def _read_and_import(
    request: Request,
    upload: tuple[str, str, bytes],
    *,
    region: str | None,
    check_only: bool,
    actor: str,
) -> tuple[ImportReport, dict[int, dict[str, str]]]:
    """The CLI's steps (read, plan, apply) on the uploaded bytes; the cells kept to show."""
    name, suffix, data = upload
    with tempfile.TemporaryDirectory(prefix="probe-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        source = read_directory_file(path, display_name=name)
    cells = {raw.row: raw.fields for raw in source.rows}
    report = plan_import(source, default_region=region)
    if not check_only:
        apply_import(report, engine=web_state(request).engine, actor=actor)
    return report, cells


@router.post("/directory/import", response_class=HTMLResponse)
async def import_file(
    request: Request, form: FormData = Depends(csrf_form), user: CurrentUser = Depends(page_admin)
) -> Response:
    region_text = str(form.get("region") or "").strip()
    check_only = form.get("check_only") == "1"
    try:
        region = find_region(region_text).code if region_text else None
        report, cells = _read_and_import(
            request,
            await _upload(form),
            region=region,
            check_only=check_only,
            actor=user.username,
        )
    except UnknownRegionError:
        return _page(request, user, 400, error=f"Неизвестный регион: «{region_text}».")
    except _Refusal as refusal:
        return _page(request, user, 400, error=str(refusal))
    except DirectoryFileError as error:
        return _page(request, user, 400, error=import_text.file_error(error.why))
    problems = [_shown(p, cells) for p in report.rejected + report.warnings]
    problems.sort(key=lambda p: (p.row or 0, not p.rejected))
    summary = {
        "file": report.file,
        "organisations": len(report.organisations),
        "contacts": import_text.contact_counts(report.contact_counts()),
        "rejected": len({p.row for p in report.rejected}),
        "warnings": len(report.warnings),
        "written": report.written,
        "stats": report.stats.as_dict() if report.stats else None,
    }
    return _page(request, user, report=summary, problems=problems)


@router.post("/directory/contacts/{contact_id}/confirm")
def confirm(
    request: Request,
    contact_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    if not 1 <= contact_id <= MAX_ID:
        raise PageError(404, "Контакт не найден.")
    reason = str(form.get("reason") or "").strip()
    if not reason:
        return _page(
            request, user, 400, error="Укажите, откуда известно, что контакт этой организации."
        )
    try:
        with session_scope(web_state(request).engine) as db:
            confirm_contact(session=db, contact_id=contact_id, actor=user.username, reason=reason)
    except ConfirmError as error:
        message = (
            f"Контакт №{contact_id} не ждёт подтверждения."
            if error.reason == "not_held"
            else f"Контакт №{contact_id} не найден или уже отключён."
        )
        return _page(request, user, 400, error=message)
    return RedirectResponse(f"/directory?confirmed={contact_id}", status_code=303)
