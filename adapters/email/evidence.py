"""Raw messages kept as evidence: content-addressed .eml files, size-capped, with a hash."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from probe.results import EvidenceRef, evidence_path_in


@dataclass(frozen=True)
class StoredRaw:
    path: Path
    sha256: str
    size: int  # bytes stored
    truncated: bool
    stored_as: str = ""  # the path as recorded: relative to the data folder (name_raw's data_dir)

    @property
    def recorded(self) -> str:
        return self.stored_as or str(self.path)

    def ref(self, kind: str) -> EvidenceRef:
        return EvidenceRef(
            kind=kind, path=self.recorded, sha256=self.sha256, size=self.size,
            media_type="message/rfc822",
        )  # fmt: skip


def store_raw(
    directory: Path, raw: bytes, *, max_bytes: int, full_size: int | None = None
) -> StoredRaw:
    """Write `raw` (cut at `max_bytes`) under `directory`, named by its hash; idempotent."""
    stored = name_raw(directory, raw, max_bytes=max_bytes, full_size=full_size)
    write_raw(stored, raw)
    return stored


def name_raw(
    directory: Path,
    raw: bytes,
    *,
    max_bytes: int,
    full_size: int | None = None,
    data_dir: Path | None = None,
) -> StoredRaw:
    """Where `store_raw` puts `raw`, and its hash, without writing it; with `data_dir`, the
    path to record is relative to it."""
    kept = raw[:max_bytes] if len(raw) > max_bytes else raw
    digest = hashlib.sha256(kept).hexdigest()
    path = directory / digest[:2] / f"{digest}.eml"
    truncated = len(kept) < max(len(raw), full_size or 0)
    stored_as = evidence_path_in(data_dir, path) if data_dir is not None else ""
    return StoredRaw(path, digest, len(kept), truncated, stored_as)


def write_raw(stored: StoredRaw, raw: bytes) -> None:
    """Write the bytes `stored` names (`raw` cut at its size) unless the file is there."""
    name = str(stored.path)
    # Plain os calls on descriptors: the watcher stores every message it reads, and pathlib's
    # extra work (a mkdir that fails on an existing folder each time) and a buffered file
    # object cost as much as the write.
    if os.path.exists(name):
        return
    partial = name[: -len(".eml")] + ".part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(partial, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(name), exist_ok=True)
        handle = os.open(partial, flags, 0o666)
    try:
        data = memoryview(raw)[: stored.size]
        while data:
            data = data[os.write(handle, data) :]
    finally:
        os.close(handle)
    os.replace(partial, name)  # a crash never leaves a half-written file under the final name


def inbound_dir(data_dir: Path) -> Path:
    return data_dir / "mail" / "inbound"
