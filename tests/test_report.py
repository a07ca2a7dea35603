"""``write_report``: the pages it lists exist, hold derived content, are deterministic, and are
written only inside the chosen folder and never over a user's file.

The quick report takes several seconds, so it is written once per module (``quick_report``) and
the tests read it; only the determinism test runs it a second time, in a fresh process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import wdtheory.report
from wdtheory.derivation import Derivation, Section, Step
from wdtheory.errors import WdtheoryError
from wdtheory.files import MANIFEST
from wdtheory.losses import LOSSES
from wdtheory.report import write_report

QUICK_PAGES = [
    "index.md",
    "derivations/squared_error-l2.md",
    "derivations/logistic-l2.md",
    "derivations/softmax-l2.md",
    "conventions.md",
]


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root`` (hidden ones too): files with their bytes, folders marked."""
    return {
        path.relative_to(root).as_posix(): "<dir>" if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }


@dataclass(frozen=True)
class Run:
    out: Path
    returned: list[str]
    progress: list[str]
    sandbox_before: dict[str, bytes | str]
    sandbox_after: dict[str, bytes | str]


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """``write_report("out", quick=True)`` with a relative path, from inside a sandbox folder."""
    sandbox = tmp_path_factory.mktemp("sandbox")
    (sandbox / "neighbour.txt").write_text("a file next to the report folder\n")
    before = snapshot(sandbox)
    messages: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(sandbox)
        returned = write_report("out", quick=True, progress=messages.append)
    yield Run(sandbox / "out", returned, messages, before, snapshot(sandbox))


def page(run: Run, name: str) -> str:
    return (run.out / name).read_text(encoding="utf-8")


# --- what is written --------------------------------------------------------------------------


def test_quick_report_returns_the_index_then_the_l2_pages_and_conventions(
    quick_report: Run,
) -> None:
    assert quick_report.returned == QUICK_PAGES
    assert [f"derivations/{loss}-l2.md" for loss in LOSSES] == QUICK_PAGES[1:-1]


def test_every_returned_page_exists_and_the_manifest_lists_exactly_them(quick_report: Run) -> None:
    for name in quick_report.returned:
        assert (quick_report.out / name).is_file(), name
    files = {k for k, v in snapshot(quick_report.out).items() if v != "<dir>"}
    assert files == {*QUICK_PAGES, MANIFEST}
    manifest = (quick_report.out / MANIFEST).read_text().splitlines()
    assert manifest == sorted(QUICK_PAGES)


def test_every_link_in_the_index_points_to_a_written_page(quick_report: Run) -> None:
    index = page(quick_report, "index.md")
    links = re.findall(r"\]\(([^)]+)\)", index)
    assert links == QUICK_PAGES[1:]
    for link in links:
        assert (quick_report.out / link).is_file(), link
    assert index.startswith("# wdtheory reports\n")
    assert "`wdtheory report --quick`" in index


def test_progress_is_reported_through_the_callback(quick_report: Run) -> None:
    assert quick_report.progress == [f"deriving {name}" for name in QUICK_PAGES[1:]]


def test_nothing_is_written_outside_the_chosen_folder(quick_report: Run) -> None:
    outside_after = {
        k: v
        for k, v in quick_report.sandbox_after.items()
        if k != "out" and not k.startswith("out/")
    }
    assert outside_after == quick_report.sandbox_before
    assert not list(quick_report.out.rglob("*.tmp"))


# --- what the pages say -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pieces"),
    [
        (
            "derivations/squared_error-l2.md",
            [
                "# squared_error(l2=lambda): squared error + L2 penalty (bias unpenalised)",
                "## Closed form (ridge regression)",
                r"\mathbf{X}_{c}",
                r"\mathbf{w}^* = \left(\lambda n \mathbf{I} + \mathbf{X}_{c}^{T} \mathbf{X}_{c}\right)"
                r"^{-1} \mathbf{X}_{c}^{T} \mathbf{y}_{c}",
                r"\mathbf{w} \leftarrow \left(1 - \lambda \eta\right) \mathbf{w}",
                "## Shrinkage along singular directions",
            ],
        ),
        (
            "derivations/logistic-l2.md",
            [
                "## Minibatch SGD step",
                r"\mathbf{w} \leftarrow \left(1 - \lambda \eta\right) \mathbf{w}",
                r"\sigma",
            ],
        ),
        (
            "derivations/softmax-l2.md",
            [r"\mathbf{W} \leftarrow \left(1 - \lambda \eta\right) \mathbf{W}"],
        ),
    ],
    ids=["squared_error", "logistic", "softmax"],
)
def test_derivation_pages_hold_the_derived_formulas(
    quick_report: Run, name: str, pieces: list[str]
) -> None:
    text = page(quick_report, name)
    assert text.count("$$") % 2 == 0 and text.count("$$") >= 8
    for piece in pieces:
        assert piece in text, piece


def test_only_the_squared_error_page_has_a_closed_form(quick_report: Run) -> None:
    for loss in ("logistic", "softmax"):
        assert "Closed form" not in page(quick_report, f"derivations/{loss}-l2.md")


@pytest.mark.parametrize(
    "row",
    [
        # sklearn Ridge minimises ||r||^2 + alpha ||w||^2 = 2n (mean(r^2/2) + lambda/2 ||w||^2)
        r"| ‖r‖² + α‖w‖² (Ridge(alpha)) | $\alpha = \lambda n$ | $2 n$ |",
        r"(nn.MSELoss with weight_decay=λ) | $\lambda' = 2 \lambda$ | $2$ |",
        r"(MeanSquaredError with kernel_regularizer=l2(c)) | $c = \lambda$ | $2$ |",
        r"| $\lambda = 2 c$ | $1$ |",
        r"(Lasso(alpha)) | $\alpha = \lambda_{1}$ | $1$ |",
        r"$\alpha = \lambda_{1} + \lambda_{2}$, "
        r"$\rho = \frac{\lambda_{1}}{\lambda_{1} + \lambda_{2}}$ | $1$ |",
    ],
    ids=["ridge", "torch-mse", "keras", "keras-to-torch", "lasso", "elastic-net"],
)
def test_conventions_page_has_the_derived_rows(quick_report: Run, row: str) -> None:
    text = page(quick_report, "conventions.md")
    assert text.startswith("# Regularisation conventions across libraries\n")
    assert row in text


# --- determinism ------------------------------------------------------------------------------


def test_a_second_run_in_another_process_rewrites_its_own_folder_byte_identically(
    quick_report: Run,
) -> None:
    """Same folder, a new process with another hash seed: same bytes, manifest unchanged."""
    before = snapshot(quick_report.out)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-m", "wdtheory.cli", "report", "--quick", "--out", str(quick_report.out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote 5 pages to {quick_report.out}\n"
    after = snapshot(quick_report.out)
    assert sorted(after) == sorted(before)
    for name in before:
        assert after[name] == before[name], f"{name} differs between runs"


# --- a user's file in the way -----------------------------------------------------------------


def test_a_users_clashing_file_stops_the_report_and_is_not_modified(tmp_path: Path) -> None:
    user_file = tmp_path / "derivations" / "squared_error-l2.md"
    user_file.parent.mkdir()
    user_file.write_text("my own notes on ridge\n")
    before = snapshot(tmp_path)
    with pytest.raises(WdtheoryError) as error:
        write_report(tmp_path, quick=True, progress=lambda message: None)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(f"refusing to overwrite {user_file}")
    assert user_file.read_text() == "my own notes on ridge\n"
    assert snapshot(tmp_path) == before


def stub_derivation(problem: object) -> Derivation:
    """A cheap stand-in for derive_problem, for tests about files rather than formulas."""
    return Derivation(f"stub {problem.text}", (Section("S", (Step(1, 1),)),))  # type: ignore[attr-defined]


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the (slow) derivations and conventions by stubs: only the files are under test."""
    monkeypatch.setattr(wdtheory.report, "derive_problem", stub_derivation)
    monkeypatch.setattr(wdtheory.report, "_conventions_page", lambda: "# stub conventions\n")


@pytest.mark.parametrize("clash", ["index.md", "conventions.md"])
def test_a_users_file_clashing_late_is_not_modified(
    tmp_path: Path, stubbed: None, clash: str
) -> None:
    (tmp_path / clash).write_text("mine\n")
    with pytest.raises(WdtheoryError, match="refusing to overwrite"):
        write_report(tmp_path, quick=True, progress=lambda message: None)
    assert (tmp_path / clash).read_text() == "mine\n"


def test_after_a_clash_is_resolved_the_report_can_be_written(tmp_path: Path, stubbed: None) -> None:
    (tmp_path / "index.md").write_text("mine\n")
    with pytest.raises(WdtheoryError):
        write_report(tmp_path, quick=True, progress=lambda message: None)
    (tmp_path / "index.md").rename(tmp_path / "my-index.md")
    assert write_report(tmp_path, quick=True, progress=lambda message: None) == QUICK_PAGES


def test_the_default_progress_goes_to_stderr(
    tmp_path: Path, stubbed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    write_report(tmp_path / "out", quick=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [f"deriving {name}" for name in QUICK_PAGES[1:]]
