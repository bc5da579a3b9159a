"""Changes to the knowledge folder that are all or nothing: checked on a copy first, undone if the build fails.

``assistant kb add FILE`` used to copy the file in and then build; a file the loader refused stayed in the folder,
and every later ``kb add`` and ``kb build`` failed on it too. Now a change is planned (which files go where), checked
on a staging copy of the folder (errors it would introduce refuse it, and the folder is not touched), written, and
undone byte for byte if the build after it fails. The admin page's upload checks on the same staging copy.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.retrieval.loaders import load_all
from assistant.retrieval.models import Issue

FOLDERS = {"use_case": "use-cases", "faq": "faq", "guide": "guides", "legal": "legal",
           "certificate": "certificates", "datasheet": "datasheets"}


def folder_for(name: str, data: bytes) -> str:
    """Where a new file goes: Markdown by its front-matter type, PDFs to datasheets, catalogues to the top."""
    ext = name.rsplit(".", 1)[-1].lower()
    if ext == "csv":
        return ""
    if ext == "md":
        m = re.search(rb"^type:\s*([A-Za-z_]+)", data[:4000], re.MULTILINE)
        return FOLDERS.get(m.group(1).decode() if m else "", "datasheets")
    return "datasheets"


def files_to_add(src: Path) -> dict[str, bytes]:
    """A document and its metadata sidecar, by their path relative to the knowledge folder."""
    data = src.read_bytes()
    folder = folder_for(src.name, data)
    files = {f"{folder}/{src.name}".lstrip("/"): data}
    for sidecar in (src.with_suffix(".meta.yml"), src.with_name(src.name + ".meta.yml")):
        if sidecar.is_file():
            files[f"{folder}/{sidecar.name}".lstrip("/")] = sidecar.read_bytes()
    return files


def introduced_issues(root: Path, files: dict[str, bytes], max_bytes: int,
                      removed: Iterable[str] = ()) -> list[Issue]:
    """Issues the change would bring: new errors anywhere, and every note about the files it writes."""
    removed = list(removed)
    with tempfile.TemporaryDirectory(prefix="kb-stage-") as tmp:
        staging = Path(tmp) / "knowledge"
        shutil.copytree(root, staging)
        before = load_all(staging, max_bytes)
        for rel in removed:
            (staging / rel).unlink(missing_ok=True)
        for rel, content in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_bytes(content)
        after = load_all(staging, max_bytes)
    old_errors = {str(i) for i in before.issues if i.severity == "error"}
    touched = set(files)
    issues = [i for i in after.issues if str(i) not in old_errors and (i.severity == "error" or i.path in touched)]
    if after.fatal and not before.fatal:
        issues = issues or [Issue(next(iter(touched), "products.csv"), 0, "the product catalogue cannot be read")]
    return issues


@dataclass
class Applied:
    """What a written change replaced, so that it can be put back exactly."""

    previous: dict[Path, bytes | None] = field(default_factory=dict)
    created: set[Path] = field(default_factory=set)  # folders the change made

    def undo(self) -> None:
        for path, content in self.previous.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                _write(path, content)
        for path in self.previous:  # folders the change created, if now empty
            for parent in path.parents:
                if parent in self.created:
                    try:
                        parent.rmdir()
                    except OSError:
                        break


def _write(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def apply(root: Path, files: dict[str, bytes], removed: Iterable[str] = ()) -> Applied:
    """Write (and delete) files inside the knowledge folder; the returned record undoes it."""
    root = root.resolve()
    applied = Applied()
    try:
        for rel in removed:
            path = _inside(root, rel)
            applied.previous.setdefault(path, path.read_bytes() if path.is_file() else None)
            path.unlink(missing_ok=True)
        for rel, content in files.items():
            path = _inside(root, rel)
            applied.previous.setdefault(path, path.read_bytes() if path.is_file() else None)
            missing = [p for p in path.parents if p.is_relative_to(root) and not p.exists()]
            path.parent.mkdir(parents=True, exist_ok=True)
            applied.created.update(missing)
            _write(path, content)
    except BaseException:
        applied.undo()
        raise
    return applied


def _inside(root: Path, rel: str) -> Path:
    path = (root / rel).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{rel} is outside the knowledge folder")
    return path
