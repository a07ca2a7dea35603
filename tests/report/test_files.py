"""ReportFolder: the new folder is built beside the old one and swapped in; a reader sees the old
complete folder or the new one; nothing of the user's is lost or replaced; nothing is left
beside it, whatever interrupts the run."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

import pytest

import wdtheory.report.files
from wdtheory.core.errors import WdtheoryError
from wdtheory.report.files import MANIFEST, ReportFolder


def listing(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root`` (hidden ones too): files with their bytes, links with their
    target, folders marked."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            entries[name] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            entries[name] = "<dir>"
        else:
            entries[name] = path.read_bytes()
    return entries


def manifest(root: Path) -> list[str]:
    return (root / MANIFEST).read_text().splitlines()


def replace(out: Path, files: dict[str, str | bytes]) -> ReportFolder:
    folder = ReportFolder(out)
    folder.check(files)
    folder.replace(files)
    return folder


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "reports"


# --- writing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "data", "expected"),
    [
        ("index.md", "# hello\n", b"# hello\n"),
        ("derivations/logistic-l2.md", "λ → η·λ\n", "λ → η·λ\n".encode()),
        ("deep/er/page.md", b"\x00\x01binary", b"\x00\x01binary"),
        ("big.md", "x" * 3_000_000, b"x" * 3_000_000),
        ("empty.md", "", b""),
    ],
    ids=["top", "utf8", "nested-bytes", "big", "empty"],
)
def test_the_folder_holds_the_complete_content_and_nothing_is_left_beside_it(
    out: Path, relative: str, data: str | bytes, expected: bytes
) -> None:
    replace(out, {relative: data})
    assert (out / relative).read_bytes() == expected
    folders = {p.as_posix() for p in Path(relative).parents if p != Path(".")}
    assert sorted(listing(out)) == sorted({MANIFEST, relative, *folders})
    assert [p.name for p in out.parent.iterdir()] == ["reports"]


def test_the_folder_is_created_with_its_parents(tmp_path: Path) -> None:
    replace(tmp_path / "a" / "b" / "c", {"x.md": "x"})
    assert (tmp_path / "a" / "b" / "c" / "x.md").read_text() == "x"


def test_the_manifest_lists_the_files_of_this_run_sorted(out: Path) -> None:
    replace(out, {name: name for name in ["z.md", "derivations/b.md", "a.md"]})
    assert manifest(out) == ["a.md", "derivations/b.md", "z.md"]
    assert (out / MANIFEST).read_text().endswith("\n")


def test_a_later_run_drops_the_pages_it_no_longer_writes(out: Path) -> None:
    replace(out, {"a.md": "1", "derivations/old.md": "old"})
    replace(out, {"a.md": "2", "b.md": "2"})
    assert listing(out) == {MANIFEST: b"a.md\nb.md\n", "a.md": b"2", "b.md": b"2"}


def test_the_same_files_give_the_same_bytes(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"b.md": "b", "a/c.md": "c", "p.png": b"\x89PNG"}
    replace(tmp_path / "one", files)
    replace(tmp_path / "two", dict(reversed(files.items())))
    replace(tmp_path / "two", files)
    assert listing(tmp_path / "one") == listing(tmp_path / "two")


def test_files_and_folders_get_the_usual_permissions(out: Path) -> None:
    umask = os.umask(0o022)
    try:
        replace(out, {"derivations/x.md": "x"})
    finally:
        os.umask(umask)
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [out, out / "derivations"]}
    assert modes == {out: 0o755, out / "derivations": 0o755}
    assert stat.S_IMODE((out / "derivations" / "x.md").stat().st_mode) == 0o644


def test_an_existing_folder_keeps_its_permissions(out: Path) -> None:
    out.mkdir()
    out.chmod(0o750)
    replace(out, {"x.md": "x"})
    assert stat.S_IMODE(out.stat().st_mode) == 0o750


def test_the_users_files_links_and_folders_are_carried_over(out: Path) -> None:
    replace(out, {"index.md": "v1", "derivations/a.md": "a"})
    (out / "notes.txt").write_text("the user's notes")
    (out / "derivations" / "my-derivation.md").write_text("mine")
    (out / "data" / "deep").mkdir(parents=True)
    (out / "data" / "deep" / "x.csv").write_text("1,2")
    (out / "empty").mkdir()
    (out / "link").symlink_to("notes.txt")
    (out / "read-only").mkdir()
    (out / "read-only" / "kept.txt").write_text("kept")
    (out / "read-only").chmod(0o555)
    inode = (out / "notes.txt").stat().st_ino
    replace(out, {"index.md": "v2", "derivations/a.md": "a2"})
    (out / "read-only").chmod(0o755)
    assert listing(out) == {
        MANIFEST: b"derivations/a.md\nindex.md\n",
        "data": "<dir>",
        "data/deep": "<dir>",
        "data/deep/x.csv": b"1,2",
        "derivations": "<dir>",
        "derivations/a.md": b"a2",
        "derivations/my-derivation.md": b"mine",
        "empty": "<dir>",
        "index.md": b"v2",
        "link": "-> notes.txt",
        "notes.txt": b"the user's notes",
        "read-only": "<dir>",
        "read-only/kept.txt": b"kept",
    }
    assert (out / "notes.txt").stat().st_ino == inode  # the same file, not a copy
    assert [p.name for p in out.parent.iterdir()] == ["reports"]


def test_the_users_files_are_copied_where_they_cannot_be_linked(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replace(out, {"index.md": "v1"})
    (out / "notes.txt").write_text("the user's notes")
    (out / "link").symlink_to("notes.txt")

    def cannot(*args: object, **kwargs: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cannot)
    replace(out, {"index.md": "v2"})
    assert (out / "notes.txt").read_text() == "the user's notes"
    assert os.readlink(out / "link") == "notes.txt"
    assert [p.name for p in out.parent.iterdir()] == ["reports"]


def test_without_an_atomic_exchange_the_fallback_swaps_too(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wdtheory.report.files, "_libc_renameat2", lambda: None)
    replace(out, {"index.md": "v1"})
    (out / "notes.txt").write_text("mine")
    replace(out, {"index.md": "v2"})
    assert listing(out) == {MANIFEST: b"index.md\n", "index.md": b"v2", "notes.txt": b"mine"}
    assert [p.name for p in out.parent.iterdir()] == ["reports"]


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["index.md", "derivations/logistic-l2.md", "notes.txt"])
def test_a_file_it_did_not_write_is_refused_and_left_untouched(out: Path, name: str) -> None:
    (out / name).parent.mkdir(parents=True)
    (out / name).write_text("the user's own notes")
    before = listing(out.parent)
    folder = ReportFolder(out)
    with pytest.raises(WdtheoryError) as error:
        folder.check([name])
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("refusing to overwrite")
    assert name in message and MANIFEST in message
    with pytest.raises(WdtheoryError, match="refusing to overwrite"):
        folder.replace({name: "generated"})
    assert listing(out.parent) == before


def test_a_file_where_the_report_needs_a_folder_is_refused(out: Path) -> None:
    """A user's file named ``derivations`` once gave a traceback after five pages were written."""
    out.mkdir()
    (out / "derivations").write_text("mine")
    before = listing(out.parent)
    with pytest.raises(WdtheoryError) as error:
        ReportFolder(out).check(["index.md", "derivations/logistic-l2.md"])
    assert str(error.value) == (
        f"refusing to overwrite {out / 'derivations'}: it was not written by wdtheory (not in "
        f"{MANIFEST}), and {out / 'derivations' / 'logistic-l2.md'} needs a folder there"
    )
    assert listing(out.parent) == before


def test_a_folder_where_the_report_writes_a_file_is_refused(out: Path) -> None:
    (out / "index.md").mkdir(parents=True)
    with pytest.raises(WdtheoryError, match="refusing to overwrite"):
        ReportFolder(out).check(["index.md"])


def test_a_file_that_is_identical_but_not_its_own_is_still_refused(out: Path) -> None:
    out.mkdir()
    (out / "index.md").write_text("same")
    with pytest.raises(WdtheoryError, match="refusing to overwrite"):
        ReportFolder(out).replace({"index.md": "same"})


def test_a_file_listed_by_another_folders_manifest_is_not_owned(tmp_path: Path) -> None:
    replace(tmp_path / "elsewhere", {"index.md": "x"})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "index.md").write_text("mine")
    with pytest.raises(WdtheoryError, match="refusing to overwrite"):
        ReportFolder(tmp_path / "mine").check(["index.md"])


@pytest.mark.parametrize("kind", ["folder", "link"])
def test_a_manifest_that_is_not_a_file_owns_nothing(out: Path, kind: str) -> None:
    out.mkdir()
    (out / "index.md").write_text("mine")
    (out / "list").write_text("index.md\n")
    if kind == "folder":
        (out / MANIFEST).mkdir()
    else:
        (out / MANIFEST).symlink_to("list")
    with pytest.raises(WdtheoryError, match=f"refusing to .*{MANIFEST}"):
        ReportFolder(out).check(["index.md"])


@pytest.mark.parametrize(
    "relative",
    ["../escape.md", "sub/../../escape.md", "..", ".", "", "sub/..", MANIFEST],
)
def test_names_leaving_the_folder_are_refused(out: Path, relative: str) -> None:
    folder = ReportFolder(out)
    before = listing(out.parent)
    with pytest.raises(WdtheoryError) as error:
        folder.replace({relative: "x"})
    assert str(error.value).startswith(f"refusing to write {relative!r}: it is ")
    assert listing(out.parent) == before


def test_absolute_paths_are_refused_even_inside_the_folder(out: Path, tmp_path: Path) -> None:
    folder = ReportFolder(out)
    for absolute in [str(tmp_path / "escape.md"), str(out.resolve() / "inside.md")]:
        with pytest.raises(WdtheoryError, match="outside"):
            folder.check([absolute])
    assert not (tmp_path / "escape.md").exists()
    assert not out.exists()


LINKS = {  # where the link is, where it points, the file the report writes through it
    "folder link": ("derivations", "../outside", "derivations/page.md"),
    "link inside": ("derivations", "real", "derivations/page.md"),
    "file link": ("page.md", "../outside/page.md", "page.md"),
    "dangling file link": ("page.md", "../outside/new.md", "page.md"),
    "own name to the user's file": ("page.md", "notes.md", "page.md"),
}


@pytest.mark.parametrize(("link", "target", "relative"), LINKS.values(), ids=LINKS.keys())
def test_links_on_a_path_the_report_writes_are_refused(
    out: Path, tmp_path: Path, link: str, target: str, relative: str
) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "page.md").write_text("outside, not ours")
    replace(out, {"index.md": "v1"})
    (out / "real").mkdir()
    (out / "notes.md").write_text("the user's notes")
    (out / link).symlink_to(target)
    before = listing(tmp_path)
    with pytest.raises(WdtheoryError, match=f"{out / link} is a link"):
        ReportFolder(out).replace({relative: "generated"})
    assert listing(tmp_path) == before


def test_an_out_that_is_an_existing_file_is_refused(tmp_path: Path) -> None:
    existing = tmp_path / "reports"
    existing.write_text("not a folder")
    with pytest.raises(WdtheoryError) as error:
        ReportFolder(existing)
    assert str(error.value) == f"--out {existing} exists and is not a folder"
    assert existing.read_text() == "not a folder"


def test_an_out_name_longer_than_the_system_allows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WdtheoryError, match="File name too long"):
        ReportFolder(tmp_path / ("r" * 300))
    assert list(tmp_path.iterdir()) == []


def test_an_out_with_a_line_break_in_its_name_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(WdtheoryError) as error:
        ReportFolder(tmp_path / "a\nb")
    assert "\n" not in str(error.value) and "control character" in str(error.value)


def test_a_read_only_out_is_refused(out: Path) -> None:
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(WdtheoryError) as error:
            ReportFolder(out)
    finally:
        out.chmod(0o755)
    assert str(error.value) == f"--out {out} is read-only"


def test_an_out_holding_the_current_directory_is_refused(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (out / "sub").mkdir(parents=True)
    for where in [out, out / "sub"]:
        monkeypatch.chdir(where)
        with pytest.raises(WdtheoryError, match="holds the current directory"):
            ReportFolder(out)


def test_the_root_folder_is_refused() -> None:
    with pytest.raises(WdtheoryError, match="mount point"):
        ReportFolder("/")


def test_an_out_in_a_folder_it_cannot_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "out").mkdir()

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "mkdir", refused)
    with pytest.raises(WdtheoryError, match=r"cannot write beside --out .*: Permission denied"):
        ReportFolder(tmp_path / "out")


# --- interrupted runs, stale and concurrent ones ------------------------------------------------

OLD: dict[str, str | bytes] = {"index.md": "old", "derivations/a.md": "old a", "gone.md": "gone"}
NEW: dict[str, str | bytes] = {"index.md": "new", "derivations/a.md": "new a", "b.png": b"\x89"}


def old_folder(out: Path) -> None:
    """An old report with the user's files among its own."""
    replace(out, OLD)
    (out / "notes.txt").write_text("mine")
    (out / "derivations" / "mine.md").write_text("mine too")
    (out / "link").symlink_to("notes.txt")


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_an_interrupt_at_any_operation_leaves_the_old_or_the_new_complete_folder(
    tmp_path: Path, faults, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(wdtheory.report.files, "_libc_renameat2", lambda: None)
    old_folder(tmp_path / "clean" / "out")
    old = listing(tmp_path / "clean")
    faults.reset(None)
    replace(tmp_path / "clean" / "out", NEW)
    new, operations = listing(tmp_path / "clean"), faults.count
    assert operations > 20
    seen = set()
    for at in range(1, operations + 1):
        for after in (False, True):
            parent = tmp_path / f"{at}-{after}"
            faults.reset(None)
            old_folder(parent / "out")
            faults.reset(at, after)
            with contextlib.suppress(KeyboardInterrupt):
                replace(parent / "out", NEW)
            outcome = listing(parent)
            assert outcome in (old, new), (at, after)
            seen.add("old" if outcome == old else "new")
    assert seen == {"old", "new"}


def test_a_failure_while_writing_leaves_the_old_folder_and_says_so_in_one_line(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_folder(out)
    before = listing(out.parent)

    def full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(wdtheory.report.files, "_write", full)
    with pytest.raises(WdtheoryError) as error:
        replace(out, NEW)
    assert str(error.value).startswith(f"cannot write the report into {out}: No space left")
    assert listing(out.parent) == before


def dead_pid() -> int:
    """A process id that no process has (a child that has ended and been reaped)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_a_staging_folder_left_by_a_killed_run_is_removed_by_the_next(out: Path) -> None:
    """A run killed mid-write (SIGKILL) leaves its staging folder; the next run into the same
    folder removes it, without refusing its files and without losing the user's."""
    old_folder(out)
    stale = out.with_name(f".reports.wdtheory-{dead_pid()}-0123abcd")
    stale.mkdir()
    (stale / MANIFEST).write_text("index.md\nderivations/a.md\n")
    (stale / "index.md").write_text("half writ")
    os.link(out / "notes.txt", stale / "notes.txt")
    live = out.with_name(f".reports.wdtheory-{os.getpid()}-0123abcd")
    live.mkdir()  # a run in progress: left alone
    other = out.with_name(f".reports2.wdtheory-{dead_pid()}-0123abcd")
    other.mkdir()  # another folder's: left alone
    replace(out, NEW)
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(
        ["reports", live.name, other.name]
    )
    assert (out / "notes.txt").read_text() == "mine"


def test_a_file_that_appears_during_the_run_is_moved_into_the_new_folder(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_folder(out)
    swap = ReportFolder._swap

    def late_file_then_swap(self: ReportFolder, staging: Path, aside: Path) -> None:
        (out / "late.txt").write_text("written while the report was built")
        (out / "b.png").write_text("the user's, where the new report writes")
        swap(self, staging, aside)

    monkeypatch.setattr(ReportFolder, "_swap", late_file_then_swap)
    folder = replace(out, NEW)
    assert (out / "late.txt").read_text() == "written while the report was built"
    (kept,) = folder.kept
    assert kept.name.startswith("reports.kept-")
    assert listing(kept) == {"b.png": b"the user's, where the new report writes"}
    assert (out / "b.png").read_bytes() == b"\x89"


def test_two_runs_at_once_into_one_folder_both_succeed(out: Path) -> None:
    """Neither refuses the other's files, the user's survive, nothing is left beside."""
    old_folder(out)
    errors: list[BaseException] = []

    def run(files: dict[str, str | bytes]) -> None:
        try:
            for _ in range(20):
                replace(out, files)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f,)) for f in (OLD, NEW)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    written = listing(out)
    assert (out / "notes.txt").read_text() == "mine"
    assert written["derivations/mine.md"] == b"mine too"
    assert written["index.md"] in (b"old", b"new")
    assert [p.name for p in out.parent.iterdir()] == ["reports"]
