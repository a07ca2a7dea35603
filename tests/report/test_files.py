"""ReportFolder: atomic writes inside one folder, a manifest, and never a stranger's file."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import pytest

from wdtheory.core.errors import WdtheoryError
from wdtheory.report.files import MANIFEST, ReportFolder


def listing(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: files with their bytes, links with their target, folders."""
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
def test_write_puts_the_complete_content_in_place_and_leaves_no_temporary_files(
    out: Path, relative: str, data: str | bytes, expected: bytes
) -> None:
    folder = ReportFolder(out)
    target = folder.write(relative, data)
    assert target == out.resolve() / relative
    assert target.read_bytes() == expected
    assert sorted(listing(out)) == sorted(
        {MANIFEST, relative, *(p.as_posix() for p in Path(relative).parents if p != Path("."))}
    )
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_the_folder_is_created_with_its_parents(tmp_path: Path) -> None:
    ReportFolder(tmp_path / "a" / "b" / "c").write("x.md", "x")
    assert (tmp_path / "a" / "b" / "c" / "x.md").read_text() == "x"


def test_every_file_written_is_recorded_sorted_in_the_manifest(out: Path) -> None:
    folder = ReportFolder(out)
    for name in ["z.md", "derivations/b.md", "a.md"]:
        folder.write(name, name)
    assert manifest(out) == ["a.md", "derivations/b.md", "z.md"]
    assert (out / MANIFEST).read_text().endswith("\n")


def test_a_later_run_keeps_the_earlier_entries_of_the_manifest(out: Path) -> None:
    first = ReportFolder(out)
    first.write("a.md", "1")
    second = ReportFolder(out)
    second.write("b.md", "2")
    assert manifest(out) == ["a.md", "b.md"]


@pytest.mark.parametrize("new", ["version 2\n", "version 1\n"], ids=["changed", "same"])
def test_rewriting_its_own_file_works_in_a_later_run(out: Path, new: str) -> None:
    first = ReportFolder(out)
    first.write("index.md", "version 1\n")
    second = ReportFolder(out)
    second.write("index.md", new)
    assert (out / "index.md").read_text() == new
    assert manifest(out) == ["index.md"]


def test_rewriting_unchanged_content_does_not_touch_the_file(out: Path) -> None:
    first = ReportFolder(out)
    target = first.write("index.md", "same\n")
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    before = target.stat()
    ReportFolder(out).write("index.md", "same\n")
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_written_files_get_the_usual_permissions(out: Path) -> None:
    umask = os.umask(0o022)
    try:
        target = ReportFolder(out).write("index.md", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["index.md", "derivations/logistic-l2.md", "notes.txt"])
def test_a_file_it_did_not_write_is_refused_and_left_untouched(out: Path, name: str) -> None:
    (out / name).parent.mkdir(parents=True)
    (out / name).write_text("the user's own notes")
    folder = ReportFolder(out)
    with pytest.raises(WdtheoryError) as error:
        folder.write(name, "generated")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("refusing to overwrite")
    assert name in message and MANIFEST in message
    assert (out / name).read_text() == "the user's own notes"
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_a_file_that_is_identical_but_not_its_own_is_still_refused(out: Path) -> None:
    out.mkdir()
    (out / "index.md").write_text("same")
    with pytest.raises(WdtheoryError, match="refusing to overwrite"):
        ReportFolder(out).write("index.md", "same")


def test_a_file_listed_by_another_folders_manifest_is_not_owned(tmp_path: Path) -> None:
    elsewhere = ReportFolder(tmp_path / "elsewhere")
    elsewhere.write("index.md", "x")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "index.md").write_text("mine")
    with pytest.raises(WdtheoryError, match="refusing to overwrite"):
        ReportFolder(tmp_path / "mine").write("index.md", "x")


@pytest.mark.parametrize(
    "relative",
    ["../escape.md", "sub/../../escape.md", "..", ".", "", "sub/.."],
)
def test_paths_leaving_the_folder_are_refused(out: Path, relative: str) -> None:
    folder = ReportFolder(out)
    before = listing(out.parent)
    with pytest.raises(WdtheoryError) as error:
        folder.write(relative, "x")
    assert str(error.value).startswith(f"refusing to write {relative!r}: it is outside")
    assert listing(out.parent) == before


def test_absolute_paths_are_refused_even_inside_the_folder(out: Path, tmp_path: Path) -> None:
    folder = ReportFolder(out)
    for absolute in [str(tmp_path / "escape.md"), str(out.resolve() / "inside.md")]:
        with pytest.raises(WdtheoryError, match="outside"):
            folder.write(absolute, "x")
    assert not (tmp_path / "escape.md").exists()
    assert not (out / "inside.md").exists()


@pytest.mark.parametrize("kind", ["folder link", "file link", "dangling file link"])
def test_links_inside_the_folder_pointing_outside_are_refused(
    out: Path, tmp_path: Path, kind: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "page.md").write_text("outside, not ours")
    out.mkdir()
    if kind == "folder link":
        (out / "derivations").symlink_to(outside, target_is_directory=True)
        relative = "derivations/page.md"
    elif kind == "file link":
        (out / "page.md").symlink_to(outside / "page.md")
        relative = "page.md"
    else:
        (out / "page.md").symlink_to(outside / "new.md")
        relative = "page.md"
    before = listing(tmp_path)
    with pytest.raises(WdtheoryError, match="outside"):
        ReportFolder(out).write(relative, "generated")
    assert listing(tmp_path) == before


def test_a_link_inside_pointing_inside_is_followed(out: Path) -> None:
    (out / "real").mkdir(parents=True)
    (out / "alias").symlink_to(out / "real", target_is_directory=True)
    ReportFolder(out).write("alias/page.md", "x")
    assert (out / "real" / "page.md").read_text() == "x"


def test_a_link_from_its_own_name_to_a_users_file_is_not_written_through(out: Path) -> None:
    first = ReportFolder(out)
    first.write("index.md", "generated v1")
    (out / "notes.md").write_text("the user's notes")
    (out / "index.md").unlink()
    (out / "index.md").symlink_to("notes.md")
    with contextlib.suppress(WdtheoryError):  # refusing is a fine fix too
        ReportFolder(out).write("index.md", "generated v2")
    assert (out / "notes.md").read_text() == "the user's notes"


def test_an_out_that_is_an_existing_file_is_refused(tmp_path: Path) -> None:
    existing = tmp_path / "reports"
    existing.write_text("not a folder")
    with pytest.raises(WdtheoryError) as error:
        ReportFolder(existing)
    assert str(error.value) == f"--out {existing} exists and is not a folder"
    assert existing.read_text() == "not a folder"


# --- failures mid-write -----------------------------------------------------------------------


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()], ids=repr)
@pytest.mark.parametrize("existing", [None, "old complete content\n"], ids=["new", "rewrite"])
def test_a_failure_while_renaming_leaves_no_partial_target_and_no_temporary(
    out: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException, existing: str | None
) -> None:
    if existing is not None:
        first = ReportFolder(out)
        first.write("page.md", existing)
    folder = ReportFolder(out)
    before = listing(out)

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(type(error)):
        folder.write("page.md", "new content\n" * 1000)
    monkeypatch.undo()
    assert listing(out) == before  # old file intact, or no file at all; no temporary left


def test_a_failure_half_way_through_the_data_leaves_nothing_behind(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ReportFolder(out)
    first.write("page.md", "old complete content\n")
    folder = ReportFolder(out)
    before = listing(out)
    real_fdopen = os.fdopen

    class HalfWritten:
        """A stream that writes half of the data, then fails as a full disk would."""

        def __init__(self, stream: object) -> None:
            self.stream = stream

        def __enter__(self) -> HalfWritten:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()  # type: ignore[attr-defined]

        def write(self, data: bytes) -> int:
            self.stream.write(data[: len(data) // 2])  # type: ignore[attr-defined]
            self.stream.flush()  # type: ignore[attr-defined]
            raise OSError("no space left on device")

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: HalfWritten(real_fdopen(*a, **k)))
    with pytest.raises(OSError, match="no space left"):
        folder.write("page.md", "new content\n" * 1000)
    monkeypatch.undo()
    assert listing(out) == before
