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
from collections.abc import Iterable
from pathlib import Path

from wdtheory.core.errors import WdtheoryError

__all__ = ["MANIFEST", "ReportFolder"]

MANIFEST = ".wdtheory-manifest"


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place, with the
    permissions an ordinary new file would get (``mkstemp`` alone would make it private)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class ReportFolder:
    """A folder the report owns: files go in atomically and are tracked in a manifest."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise WdtheoryError(f"--out {self.root} exists and is not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WdtheoryError(f"cannot create --out {self.root}: {error.strerror}") from None
        self.root = self.root.resolve()
        manifest = self.root / MANIFEST
        self.owned = set(manifest.read_text().split("\n")) - {""} if manifest.exists() else set()

    def _target(self, relative: str) -> tuple[str, Path]:
        """The normalised name and the path it is written to; refuse anything outside the root
        and any link (a link could point a page of ours at a file of the user's)."""
        name = os.path.normpath(relative)
        path = self.root / name
        if os.path.isabs(relative) or "\n" in name or self.root not in path.resolve().parents:
            raise WdtheoryError(f"refusing to write {relative!r}: it is outside {self.root}")
        if path.is_symlink():
            raise WdtheoryError(f"refusing to write {path}: it is a link")
        return name, path

    def check(self, relatives: Iterable[str]) -> None:
        """Raise, before anything is written, if any of these files could not be written."""
        for relative in relatives:
            name, target = self._target(relative)
            if target.exists() and name not in self.owned:
                raise WdtheoryError(
                    f"refusing to overwrite {target}: it was not written by wdtheory (not in {MANIFEST})"
                )

    def write(self, relative: str, data: str | bytes) -> Path:
        """Write ``data`` to ``root/relative`` atomically; refuse a file the tool did not write."""
        self.check([relative])
        name, target = self._target(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if name not in self.owned:  # record ownership before the file exists
            self.owned.add(name)
            _atomic_write(self.root / MANIFEST, ("\n".join(sorted(self.owned)) + "\n").encode())
        payload = data.encode() if isinstance(data, str) else data
        if not (target.exists() and target.read_bytes() == payload):
            _atomic_write(target, payload)
        return target
