"""Render an exported workbook the way its readers see it: LibreOffice to PDF, poppler to PNG.

Used by the render test and to refresh the picture in docs/:
    python -m probe.export.render FILE.xlsx --png docs/export-protocol6-table1.png
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_S = 180


class RenderError(RuntimeError):
    pass


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RenderError(f"{name} is not installed: run `scripts/setup.sh --test`")
    return found


def convert(source: Path, out_dir: Path, *, to: str, infilter: str | None = None) -> Path:
    """`source` converted by LibreOffice into `out_dir` as `to` (a file extension); `infilter`
    is LibreOffice's import filter with its options (e.g. how to read a CSV)."""
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        # A profile of its own: a LibreOffice already running elsewhere would swallow the job.
        command = [
            _tool("libreoffice"),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            to,
            "--outdir",
            str(out_dir),
            str(source),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    result = out_dir / f"{source.stem}.{to}"
    if done.returncode != 0 or not result.is_file():
        raise RenderError(f"libreoffice failed ({done.returncode}): {done.stderr.strip()}")
    return result


def xlsx_to_pdf(xlsx: Path, out_dir: Path) -> Path:
    """The whole workbook as one PDF in `out_dir` (sheets in order, one after another)."""
    return convert(xlsx, out_dir, to="pdf")


def pdf_text(pdf: Path, *, page: int = 1) -> str:
    command = [_tool("pdftotext"), "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def pdf_page_png(pdf: Path, png: Path, *, page: int = 1, dpi: int = 80) -> Path:
    prefix = png.with_suffix("")
    command = [_tool("pdftoppm"), "-png", "-r", str(dpi), "-f", str(page), "-l", str(page)]
    subprocess.run([*command, "-singlefile", str(pdf), str(prefix)], check=True)
    return prefix.with_suffix(".png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("xlsx", type=Path)
    parser.add_argument("--png", type=Path, required=True)
    parser.add_argument("--dpi", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        pdf = xlsx_to_pdf(args.xlsx, Path(work))
        print(pdf_page_png(pdf, args.png, dpi=args.dpi))


if __name__ == "__main__":
    main()
