"""Writing the report folder as a whole: a reader of ``--out`` sees the old complete folder or the
new complete one, never a mix, and no file wdtheory did not write is lost or replaced.

:class:`ReportFolder` builds the new folder in a hidden staging folder beside the target (same
parent, so every rename stays on one filesystem): first the manifest (``.wdtheory-manifest``, the
names it writes, sorted, so the same report gives the same bytes), then every entry of the old
folder that the old manifest does not list (the user's: carried over by hard link, else copied),
then the report's files. It then swaps the staging folder in: on Linux with
``renameat2(RENAME_EXCHANGE)``, one atomic step; elsewhere the old folder is renamed aside and the
new one in, and for the instant between the two renames ``--out`` does not exist. The old folder
is then taken apart: wdtheory's files and entries the new folder holds too are removed; an entry
that appeared in it during the run is moved into the new folder, or, if its name is taken there,
the old folder is kept beside as ``NAME.kept-…`` (listed in :attr:`ReportFolder.kept`).

Refused (one-line :class:`~wdtheory.core.errors.WdtheoryError`) before anything is written: a
name that leaves the folder, a file or folder of the user's where the report writes a file or
needs a folder, a link on a path the report writes (links elsewhere are the user's: carried over
as links, never followed), a mount point inside the folder, a read-only folder, a folder holding
the current directory, a folder that cannot be created or written beside. On any exception
(``KeyboardInterrupt`` included; SIGTERM too when the caller turns it into one) the staging
folder is removed and ``--out`` is left as it was. A staging folder left by a killed run (its
name holds its process id; the process is gone) is removed by the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import filecmp
import functools
import os
import posixpath
import re
import secrets
import shutil
import signal
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from wdtheory.core.errors import WdtheoryError

__all__ = ["MANIFEST", "ReportFolder"]

MANIFEST = ".wdtheory-manifest"

#: ``renameat2`` flags (linux/fs.h) and "paths relative to the working directory" (fcntl.h)
_RENAME_NOREPLACE, _RENAME_EXCHANGE, _AT_FDCWD = 1, 2, -100


@dataclass(frozen=True)
class _Survey:
    """What a folder holds: every entry by relative POSIX name with its kind (``file``, ``dir``,
    ``link``, ``mount`` for a folder on another filesystem, ``other``), and the names its
    manifest lists."""

    entries: Mapping[str, str]
    owned: frozenset[str]

    def ours(self, name: str) -> bool:
        """Whether ``name`` is a file wdtheory wrote: a regular file its manifest lists (or the
        manifest itself). A folder or link is never ours, whatever the manifest says."""
        return self.entries.get(name) == "file" and (name in self.owned or name == MANIFEST)


class ReportFolder:
    """The folder ``--out`` names, replaced as a whole by :meth:`replace`.

    Construction checks everything about the folder itself that can fail later (and creates its
    missing parents); :meth:`check` refuses names in the way, so that both can run before the
    pages are computed."""

    def __init__(self, out: str | os.PathLike[str]) -> None:
        given = Path(out)
        if any(ord(c) < 32 or ord(c) == 127 for c in str(given)):
            raise WdtheoryError(f"--out {str(given)!r} has a control character in its name")
        if os.path.lexists(given) and not given.exists():
            raise WdtheoryError(f"--out {given} is a link to a missing folder")
        self.target = given.resolve()
        if not self.target.name or os.path.ismount(self.target):
            raise WdtheoryError(f"--out {given} is a mount point; the report replaces its folder")
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            info: os.stat_result | None = os.stat(self.target)
        except FileNotFoundError:
            info = None
        except OSError as error:
            raise WdtheoryError(f"cannot create --out {given}: {error.strerror}") from None
        if info is not None and not stat.S_ISDIR(info.st_mode):
            raise WdtheoryError(f"--out {given} exists and is not a folder")
        if info is not None and not (
            info.st_mode & stat.S_IWUSR and os.access(self.target, os.W_OK)
        ):
            raise WdtheoryError(f"--out {given} is read-only")
        cwd = Path.cwd()
        if cwd == self.target or self.target in cwd.parents:
            raise WdtheoryError(
                f"--out {given} holds the current directory; run from outside it (the report "
                "replaces the folder as a whole)"
            )
        self.mode = stat.S_IMODE(info.st_mode) if info is not None else 0o777 & ~_umask()
        short = self.target.name if len(self.target.name) <= 100 else self.target.name[:100] + "~"
        self.prefix = f".{short}.wdtheory-"
        self.kept: list[Path] = []
        probe = self._staging_name()
        with _signals_deferred():  # can we write beside it?
            self._make_staging(probe)
            probe.rmdir()

    def _staging_name(self) -> Path:
        """A fresh name beside the target, ``.NAME.wdtheory-PID-RANDOM``."""
        return self.target.with_name(f"{self.prefix}{os.getpid()}-{secrets.token_hex(4)}")

    def _make_staging(self, path: Path) -> None:
        """Create ``path`` as an empty private folder, or raise a one-line error."""
        try:
            path.mkdir(mode=0o700)
        except OSError as error:
            raise WdtheoryError(
                f"cannot write beside --out {self.target} (in {self.target.parent}): "
                f"{error.strerror}"
            ) from None

    def check(self, relatives: Iterable[str]) -> None:
        """Raise, before anything is written, if any of these files could not be written: a name
        outside the folder, or something of the user's in the way (see the module doc)."""
        _refuse(_survey(self.target), [self._name(r) for r in relatives], self.target)

    def _name(self, relative: str) -> str:
        """``relative`` normalised; refuse anything that is not a name inside the folder."""
        name = posixpath.normpath(relative)
        if (
            os.path.isabs(relative)
            or "\n" in relative
            or name in {".", ".."}
            or name.startswith("../")
        ):
            raise WdtheoryError(f"refusing to write {relative!r}: it is outside {self.target}")
        if name == MANIFEST:
            raise WdtheoryError(f"refusing to write {relative!r}: it is wdtheory's manifest")
        return name

    def replace(self, files: Mapping[str, str | bytes]) -> None:
        """Make ``--out`` hold exactly ``files``, the manifest listing them, and every entry of
        the old folder that was not wdtheory's, in one swap (see the module doc). On any
        exception the old folder stays as it was and the staging folder is removed; a system
        error (a full disk) is raised as a one-line error naming it."""
        payloads = {
            self._name(r): d.encode() if isinstance(d, str) else d for r, d in files.items()
        }
        self._remove_stale()
        survey = _survey(self.target)
        _refuse(survey, payloads, self.target)
        staging = self._staging_name()
        aside = staging.with_name(staging.name + "-old")
        try:
            self._make_staging(staging)
            self._build(staging, survey, payloads)
            self._swap(staging, aside)
        except OSError as error:
            raise WdtheoryError(
                f"cannot write the report into {self.target}: {error.strerror} ({error.filename})"
            ) from None
        finally:
            with _signals_deferred():
                for leftover in (staging, aside):
                    self._dispose(leftover)

    def _build(self, staging: Path, survey: _Survey, payloads: Mapping[str, bytes]) -> None:
        """Fill ``staging``: the manifest first (so that whatever is in it later is accounted
        for), the user's entries, the report's files; then the modes of the folders."""
        _write(staging / MANIFEST, "".join(f"{name}\n" for name in sorted(payloads)).encode())
        modes = _carry(survey, self.target, staging)
        for name in sorted(payloads):
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            _write(staging / name, payloads[name])
        for folder, mode in reversed(modes):
            if folder.is_dir():
                os.chmod(folder, mode)
        os.chmod(staging, self.mode)

    def _swap(self, staging: Path, aside: Path) -> None:
        """Put ``staging`` at the target; the old folder, if any, ends at ``staging`` (exchange)
        or at ``aside`` (the fallback, which puts it back if interrupted between its renames)."""
        if not os.path.lexists(self.target):
            try:
                if not _renameat2(staging, self.target, _RENAME_NOREPLACE):
                    os.rename(staging, self.target)
                return
            except FileExistsError:
                pass  # another run put its folder there meanwhile: exchange with it
        if _renameat2(staging, self.target, _RENAME_EXCHANGE):
            return
        try:
            os.rename(self.target, aside)
            os.rename(staging, self.target)
        except BaseException:
            if os.path.lexists(aside) and not os.path.lexists(self.target):
                os.rename(aside, self.target)
            raise

    def _remove_stale(self) -> None:
        """Dispose of the staging folders beside the target whose process is gone (a run killed
        by SIGKILL, or a power cut); only names this class makes for this target. Each is first
        renamed to a staging name of this process, so that two runs never dispose of one."""
        pattern = re.compile(re.escape(self.prefix) + r"(\d+)-[0-9a-f]{8}(?:-old)?")
        with os.scandir(self.target.parent) as entries:
            stale = [
                Path(entry.path)
                for entry in entries
                if (match := pattern.fullmatch(entry.name))
                and entry.is_dir(follow_symlinks=False)
                and not _alive(int(match[1]))
            ]
        for folder in stale:
            claimed = self._staging_name()
            with _signals_deferred():
                try:
                    os.rename(folder, claimed)
                except FileNotFoundError:
                    continue  # another run claimed it
                self._dispose(claimed)

    def _dispose(self, folder: Path) -> None:
        """Remove ``folder`` (a staging folder, or the old report after the swap) without losing
        anything: its manifest's files and the entries ``--out`` holds too are removed; any other
        entry is moved into ``--out`` if its name is free there; if something is left, the folder
        is renamed to ``NAME.kept-…`` beside ``--out`` and listed in :attr:`kept`."""
        if not folder.is_dir() or folder.is_symlink():
            return
        owned = _manifest(folder)
        _make_removable(folder)
        for directory, subfolders, names in os.walk(folder, topdown=False):
            here = Path(directory)
            for name in [*names, *(s for s in subfolders if (here / s).is_symlink())]:
                relative = (here / name).relative_to(folder).as_posix()
                if relative != MANIFEST:
                    self._dispose_entry(here / name, relative, owned)
            for subfolder in subfolders:
                path = here / subfolder
                if not path.is_symlink() and not any(path.iterdir()):
                    self._dispose_folder(path, path.relative_to(folder).as_posix(), owned)
        (folder / MANIFEST).unlink(missing_ok=True)  # last: until here it says what is ours
        if not any(folder.iterdir()):
            folder.rmdir()
            return
        kept = self.target.with_name(f"{self.target.name}.kept-{secrets.token_hex(4)}")
        os.rename(folder, kept)
        self.kept.append(kept)

    def _dispose_entry(self, path: Path, relative: str, owned: frozenset[str]) -> None:
        """Remove a file or link of a folder being disposed of if it is wdtheory's or ``--out``
        holds it too; else move it into ``--out`` if its name is free (never over anything)."""
        if (relative in owned and path.is_file() and not path.is_symlink()) or _same(
            path, self.target / relative
        ):
            path.unlink()
        elif self._free(relative):
            with contextlib.suppress(FileExistsError):  # taken meanwhile: kept where it is
                os.link(path, self.target / relative, follow_symlinks=False)
                path.unlink()

    def _dispose_folder(self, path: Path, relative: str, owned: frozenset[str]) -> None:
        """Remove an empty folder if it held wdtheory's files or ``--out`` has it too; else
        recreate it in ``--out`` if its name is free there."""
        there = self.target / relative
        if any(name.startswith(relative + "/") for name in owned) or _real_folder(there):
            path.rmdir()
        elif self._free(relative):
            with contextlib.suppress(FileExistsError):
                there.mkdir(mode=stat.S_IMODE(path.stat().st_mode))
                path.rmdir()

    def _free(self, relative: str) -> bool:
        """Whether ``relative`` can be created in ``--out`` without going through a link or over
        anything; creates the missing folders on the way."""
        if not _real_folder(self.target):
            return False
        path = self.target
        for part in relative.split("/")[:-1]:
            path = path / part
            if not os.path.lexists(path):
                path.mkdir()
            elif not _real_folder(path):
                return False
        return not os.path.lexists(self.target / relative)


def _survey(folder: Path) -> _Survey:
    """What ``folder`` holds (nothing if it does not exist). Read again if the folder was swapped
    meanwhile (a concurrent run), so that its entries and its manifest are one folder's."""
    for _ in range(10):
        before = _identity(folder)
        if before is None:
            return _Survey({}, frozenset())
        entries: dict[str, str] = {}
        for directory, subfolders, names in os.walk(folder, onerror=_unreadable):
            for name in sorted([*subfolders, *names]):
                path = Path(directory, name)
                with contextlib.suppress(FileNotFoundError):
                    entries[path.relative_to(folder).as_posix()] = _kind(path.lstat(), before[0])
            subfolders[:] = [
                s
                for s in subfolders
                if entries.get(Path(directory, s).relative_to(folder).as_posix()) == "dir"
            ]
        survey = _Survey(entries, _manifest(folder))
        if _identity(folder) == before:
            return survey
    raise WdtheoryError(f"--out {folder} keeps being replaced while it is read; another run?")


def _unreadable(error: OSError) -> None:
    """Refuse a folder whose entries cannot all be read (they could not be carried over)."""
    if not isinstance(error, FileNotFoundError):
        raise WdtheoryError(f"cannot read {error.filename}: {error.strerror}")


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _kind(info: os.stat_result, device: int) -> str:
    if stat.S_ISLNK(info.st_mode):
        return "link"
    if stat.S_ISDIR(info.st_mode):
        return "dir" if info.st_dev == device else "mount"
    return "file" if stat.S_ISREG(info.st_mode) else "other"


def _manifest(folder: Path) -> frozenset[str]:
    """The names ``folder``'s manifest lists; none if it is missing or not a regular file (a link
    there is not followed)."""
    try:
        handle = os.open(folder / MANIFEST, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return frozenset()
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        return frozenset()
    with os.fdopen(handle, "rb") as stream:
        return frozenset(stream.read().decode(errors="replace").split("\n")) - {""}


def _refuse(survey: _Survey, names: Iterable[str], target: Path) -> None:
    """Raise if writing ``names`` would replace, or write through, something not wdtheory's."""
    mounts = [name for name, kind in survey.entries.items() if kind == "mount"]
    if mounts:
        raise WdtheoryError(
            f"refusing to replace {target}: {target / mounts[0]} is a mount point inside it"
        )
    for name in [MANIFEST, *names]:
        parts = name.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            kind = survey.entries.get(prefix)
            if kind is None or (kind == "dir" and depth < len(parts)):
                continue
            if kind == "link":
                raise WdtheoryError(
                    f"refusing to write {target / name}: {target / prefix} is a link"
                )
            if not survey.ours(prefix):
                raise WdtheoryError(
                    f"refusing to overwrite {target / prefix}: it was not written by wdtheory "
                    f"(not in {MANIFEST})"
                    + ("" if depth == len(parts) else f", and {target / name} needs a folder there")
                )


def _carry(survey: _Survey, target: Path, staging: Path) -> list[tuple[Path, int]]:
    """Put every entry of the old folder that is not wdtheory's into ``staging`` at the same
    name (hard links, else copies); return the folders made and the modes they should get (set
    after the report's files are written, a read-only folder of the user's included)."""
    modes: list[tuple[Path, int]] = []
    for name, kind in sorted(survey.entries.items()):
        if survey.ours(name):
            continue
        source, copy = target / name, staging / name
        if kind == "dir":  # made here only if it held no file of wdtheory's, else made on demand
            with contextlib.suppress(FileNotFoundError):
                modes.append((copy, stat.S_IMODE(source.stat().st_mode)))
                if not any(owned.startswith(name + "/") for owned in survey.owned):
                    copy.mkdir(exist_ok=True)
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, copy, follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed meanwhile (by its owner, or a concurrent run's swap)
        except OSError:
            _copy(source, copy, kind)
    return modes


def _copy(source: Path, copy: Path, kind: str) -> None:
    """A copy of a file or link where a hard link cannot be made (another filesystem, a file
    the system will not let us link)."""
    try:
        if kind == "link":
            os.symlink(os.readlink(source), copy)
        elif kind == "file":
            shutil.copy2(source, copy, follow_symlinks=False)
        else:
            raise OSError(errno.EPERM, "neither a file nor a link, and it cannot be linked")
    except FileNotFoundError:
        return
    except OSError as error:
        raise WdtheoryError(
            f"cannot carry {source} over into the new report folder: {error.strerror}"
        ) from None


def _same(path: Path, other: Path) -> bool:
    """Whether ``other`` holds what ``path`` holds: the same file (a hard link), a copy with the
    same bytes, or a link with the same target."""
    try:
        a, b = path.lstat(), other.lstat()
        if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
            return True
        if stat.S_ISLNK(a.st_mode) and stat.S_ISLNK(b.st_mode):
            return os.readlink(path) == os.readlink(other)
        if stat.S_ISREG(a.st_mode) and stat.S_ISREG(b.st_mode):
            return filecmp.cmp(path, other, shallow=False)
    except FileNotFoundError:
        pass
    return False


def _make_removable(folder: Path) -> None:
    """Give every folder under ``folder`` its owner's write and search permission (a read-only
    folder of the user's, carried over, is otherwise not emptied)."""
    for directory, subfolders, _ in os.walk(folder):
        for subfolder in subfolders:
            path = Path(directory, subfolder)
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode) and mode & 0o300 != 0o300:
                os.chmod(path, stat.S_IMODE(mode) | 0o300)


def _real_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _write(path: Path, data: bytes) -> None:
    """A new file (never over an existing one) with the permissions an ordinary new file gets."""
    with open(path, "xb") as stream:
        stream.write(data)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on Windows, where probing could signal it: assumed)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@functools.cache
def _libc_renameat2() -> Callable[[int, bytes, int, bytes, int], int] | None:
    """glibc's ``renameat2`` (Linux, glibc 2.28 and later), or None."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def _renameat2(source: Path, destination: Path, flags: int) -> bool:
    """``renameat2(source, destination, flags)``: True if done, False if this system or
    filesystem cannot (no ``renameat2``, or the flag unsupported); any other failure raises
    ``OSError``."""
    function = _libc_renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(destination), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP}:
        return False
    raise OSError(code, os.strerror(code), str(source), None, str(destination))


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM held back in this thread until the block ends (where the system can),
    so that a second Ctrl-C cannot interrupt the cleanup it started."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
