"""Writing report files safely: atomically, only inside one folder, never over a stranger's file.

A :class:`ReportFolder` writes each file to a temporary name in the same folder and renames it
into place (readers never see half a file). It records what it wrote in a manifest
(``.wdtheory-manifest``) and refuses to overwrite a file that is not in the manifest, so a file a
person put in the folder is never replaced. Relative paths that would leave the folder (``..``,
absolute paths, links pointing outside) are refused.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from wdtheory.errors import WdtheoryError

__all__ = ["MANIFEST", "ReportFolder"]

MANIFEST = ".wdtheory-manifest"


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ReportFolder:
    """A folder the report owns: files go in atomically and are tracked in a manifest."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise WdtheoryError(f"--out {self.root} exists and is not a folder")
        self.root.mkdir(parents=True, exist_ok=True)
        self.root = self.root.resolve()
        manifest = self.root / MANIFEST
        self.owned = set(manifest.read_text().split("\n")) - {""} if manifest.exists() else set()
        self.written: list[str] = []

    def _target(self, relative: str) -> Path:
        target = (self.root / relative).resolve()
        if self.root not in target.parents or relative.startswith("/"):
            raise WdtheoryError(f"refusing to write {relative!r}: it is outside {self.root}")
        return target

    def write(self, relative: str, data: str | bytes) -> Path:
        """Write ``data`` to ``root/relative`` atomically; refuse a file the tool did not write."""
        target = self._target(relative)
        if target.exists() and relative not in self.owned:
            raise WdtheoryError(
                f"refusing to overwrite {target}: it was not written by wdtheory (not in {MANIFEST})"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = data.encode() if isinstance(data, str) else data
        if not (target.exists() and target.read_bytes() == payload):
            _atomic_write(target, payload)
        self.written.append(relative)
        return target

    def close(self) -> None:
        """Record the files written in this run (and those written before) in the manifest."""
        names = sorted(self.owned | set(self.written))
        _atomic_write(self.root / MANIFEST, ("\n".join(names) + "\n").encode())
