"""``write_report``: the committed ``reports/`` is exactly what the code writes now; the pages
hold derived and computed content; files are written only inside the chosen folder and never
over a user's file.

The quick report takes about half a minute, so it is written once per module (``quick_report``)
and the tests read it. File-handling tests stub the computation out (``compute_files``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import wdtheory.report.build
from wdtheory.analysis.questions import read_questions
from wdtheory.claims.catalogue import CLAIMS
from wdtheory.core.errors import WdtheoryError
from wdtheory.core.printing import plain_markdown
from wdtheory.core.roundoff import ROUNDOFF
from wdtheory.report.build import planned_files, write_report
from wdtheory.report.files import MANIFEST
from wdtheory.report.settings import Settings

COMMITTED = Path(__file__).resolve().parents[2] / "reports"
#: the questions make report answers (the committed reports hold their pages)
QUESTIONS = Path(__file__).resolve().parents[2] / "questions.toml"
TOPICS = [
    "seed-experiment",
    "lambda-sweep",
    "l1-vs-l2",
    "classification",
    "momentum-adam",
    "early-stopping",
    "modern-view",
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
def quick_report(tmp_path_factory: pytest.TempPathFactory, claim_results) -> Iterator[Run]:
    """``write_report("out", quick=True, questions=...)`` with a relative path, from inside a
    sandbox folder, as ``make report`` writes it; its claims pages show the session's catalogue
    run (``claim_results``)."""
    sandbox = tmp_path_factory.mktemp("sandbox")
    (sandbox / "neighbour.txt").write_text("a file next to the report folder\n")
    before = snapshot(sandbox)
    messages: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(sandbox)
        returned = write_report(
            "out",
            quick=True,
            progress=messages.append,
            claim_results=list(claim_results.values()),
            questions=QUESTIONS,
        )
    yield Run(sandbox / "out", returned, messages, before, snapshot(sandbox))


def page(run: Run, name: str) -> str:
    return (run.out / name).read_text(encoding="utf-8")


# --- the committed report is the current code's output ----------------------------------------


def test_the_committed_reports_folder_is_what_the_code_writes_now(quick_report: Run) -> None:
    """Regenerate with ``make report`` (``wdtheory report --quick``) when this fails."""
    written, committed = snapshot(quick_report.out), snapshot(COMMITTED)
    assert sorted(written) == sorted(committed), "the set of report files changed"
    different = [name for name in written if written[name] != committed[name]]
    assert not different, f"these report files differ from the code's output: {different}"


def test_no_page_prints_round_off_by_its_digits(quick_report: Run) -> None:
    """Round-off digits differ between CPUs (BLAS kernels), which would break the byte check
    above on another machine: such numbers are printed as ``< 1e-12``."""
    for name in quick_report.returned:
        if name.endswith(".md"):
            numbers = re.findall(r"\d(?:\.\d+)?e[-−]\d+", page(quick_report, name))
            tiny = [x for x in numbers if float(x.replace("−", "-")) < ROUNDOFF]
            assert not tiny, f"{name} prints round-off digits: {tiny}"


# --- every page renders ------------------------------------------------------------------------

#: what no emphasis span holds: the brackets, operators and underscores of a formula that leaked
#: out of its math (SymPy's ``(1 - eta*lambda) w`` turns into emphasis at its ``*``)
FORMULA = re.compile(r"[()\[\]{}^/*\\_|]")


def markdown_tokens(text: str) -> list:
    """Block and inline tokens of ``text`` as GitHub renders it: CommonMark, GFM tables, and
    ``$...$`` / ``$$...$$`` math (markdown-it-py with the dollarmath plugin)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    parser = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin, double_inline=True)
    tokens = parser.parse(text)
    return [*tokens, *(child for token in tokens for child in token.children or [])]


def test_every_page_renders_as_markdown_with_its_tables_math_and_links(quick_report: Run) -> None:
    """Tables are tables, formulas are math (no emphasis made of their ``*``), no raw HTML, and
    every link and image resolves to a file of the report."""
    root = quick_report.out.resolve()
    for name in (p.relative_to(root).as_posix() for p in sorted(root.rglob("*.md"))):
        text = page(quick_report, name)
        tokens = markdown_tokens(text)
        assert not [t for t in tokens if t.type.startswith("html")], name
        in_blocks = {
            line
            for t in tokens
            if t.type in ("table_open", "fence", "math_block") and t.map
            for line in range(*t.map)
        }
        loose = [
            line
            for i, line in enumerate(text.splitlines())
            if line.startswith("|") and i not in in_blocks
        ]
        assert not loose, f"{name}: table lines that are no table: {loose[:2]}"
        for span in emphasised(tokens):
            assert not FORMULA.search(span), f"{name}: emphasis made of a formula: {span!r}"
        for token in tokens:
            target = token.attrs.get("href") or token.attrs.get("src") if token.attrs else None
            if target and not re.match(r"[a-z]+://", str(target)):
                resolved = ((root / name).parent / str(target).split("#")[0]).resolve()
                assert resolved.is_relative_to(root) and resolved.is_file(), (name, target)


def emphasised(tokens: list) -> Iterator[str]:
    """The text of every emphasis span (``*...*`` or ``**...**``) among inline tokens."""
    depth, text = 0, []
    for token in tokens:
        if token.type in ("em_open", "strong_open"):
            depth += 1
        elif token.type in ("em_close", "strong_close"):
            depth -= 1
            if depth == 0:
                yield "".join(text)
                text = []
        elif depth:
            text.append(token.content)


# --- what is written --------------------------------------------------------------------------


def test_the_index_comes_first_and_lists_every_page(quick_report: Run) -> None:
    assert quick_report.returned[0] == "index.md"
    index = page(quick_report, "index.md")
    for name in quick_report.returned[1:]:
        assert f"]({name})" in index
        assert (quick_report.out / name).is_file()


def test_the_index_answers_first_with_the_verdicts_of_this_run(
    quick_report: Run, claim_results
) -> None:
    """The headline questions, each with the verdict the session's catalogue run derived."""
    from wdtheory.report.pages.index import HEADLINES

    index = page(quick_report, "index.md")
    assert index.index("## The answers") < index.index("## Pages")
    # derived in the run: where L2 and decoupled decay part, and where each rests
    assert (
        "| plain SGD | `symbolic(torch.sgd(momentum=0))` | `symbolic(sgdw(momentum=0))` | **identical** | none |"
        in index
    )
    assert "| **different** | 2 |" in index and "| **different** | 1 |" in index
    assert (
        r"| `symbolic(sgdw(momentum=mu, dampening=tau))` | ridge, $\lambda_{\mathrm{eff}} = "
        in index
    )
    for question, claim in HEADLINES:
        row = next(
            line
            for line in index.splitlines()
            if line.startswith(f"| {plain_markdown(question)} |")
        )
        assert f"**{claim_results[claim].evidence.verdict}**" in row


def test_every_topic_of_the_experiments_has_a_page_and_a_plot(quick_report: Run) -> None:
    for topic in TOPICS:
        assert f"{topic}.md" in quick_report.returned
        text = page(quick_report, f"{topic}.md")
        assert f"]({topic}.png)" in text
        png = (quick_report.out / f"{topic}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_the_manifest_lists_exactly_the_files_written(quick_report: Run) -> None:
    listed = set((quick_report.out / MANIFEST).read_text().split())
    files = {name for name, value in snapshot(quick_report.out).items() if value != "<dir>"}
    assert listed == files - {MANIFEST}


def test_progress_is_reported_as_a_bar(quick_report: Run) -> None:
    assert quick_report.progress
    assert all(
        re.fullmatch(r"report \[#+\.*\] \d+/\d+", message) for message in quick_report.progress
    )
    assert quick_report.progress[-1].endswith(
        f"{len(quick_report.progress)}/{len(quick_report.progress)}"
    )


def test_nothing_is_written_outside_the_chosen_folder(quick_report: Run) -> None:
    outside = {k: v for k, v in quick_report.sandbox_after.items() if not k.startswith("out")}
    assert outside == quick_report.sandbox_before


def test_the_claims_page_agrees_with_every_claim(quick_report: Run) -> None:
    claims = page(quick_report, "claims.md")
    assert f"{len(CLAIMS)} of {len(CLAIMS)} agree" in claims
    assert "(expected" not in claims
    for claim in CLAIMS:
        assert plain_markdown(claim.statement) in claims


def test_the_audit_covers_every_seed_claim(quick_report: Run) -> None:
    audit = page(quick_report, "audit.md")
    seed_claims = [c for c in CLAIMS if "seed" in c.source]
    assert len(seed_claims) >= 20
    for claim in seed_claims:
        assert plain_markdown(claim.statement) in audit
    for verdict in ("**true**", "**false**", "**conditional**", "**not checkable**"):
        assert verdict in audit


@pytest.mark.parametrize(
    ("name", "derived"),
    [
        (
            "derivations/squared_error-l2.md",
            r"\left(\lambda n \mathbf{I} + \mathbf{X}_{c}^{T} \mathbf{X}_{c}\right)^{-1}",
        ),
        ("derivations/logistic-l1.md", r"\operatorname{sign}"),
        ("seed-experiment.md", "they coincide"),
        ("conventions.md", r"$\alpha = \lambda n$"),
        ("conventions.md", "`paper.adamw(weight_decay=0.00001)`"),
        ("optimizers.md", r"\mathrm{add\_decayed\_weights}"),
        ("modern-view.md", r"\sqrt{2}"),
    ],
)
def test_pages_hold_derived_content(quick_report: Run, name: str, derived: str) -> None:
    assert derived in page(quick_report, name)


# --- a user's file in the way, interrupted runs (the computation is stubbed: only files are under
# test) -----------------------------------------------------------------------------------------


STUB = {
    "index.md": "# index\n",
    "a.md": "# a\n",
    "derivations/b.md": "# b\n",
    "claims.md": "# claims\n",
    "audit.md": "# audit\n",
    "plot.png": b"\x89PNG stub",
}


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def compute(
        settings: object,
        workers: int,
        say: object,
        claim_results: object,
        command: str,
        questions: object,
    ) -> dict[str, str | bytes]:
        calls.append(1)
        return {**STUB, "index.md": f"# index, written by {command}\n"}  # differs with --quick

    monkeypatch.setattr(wdtheory.report.build, "compute_files", compute)
    return calls


def test_the_planned_files_are_the_pages_the_report_writes(quick_report: Run) -> None:
    """What is refused before computing is exactly the set of pages (only plots are not)."""
    planned = planned_files(Settings.make(quick=True), read_questions(QUESTIONS))
    assert sorted(planned) == sorted(quick_report.returned)
    assert len(set(planned)) == len(planned)


def test_a_stubbed_report_writes_the_computed_files_and_the_index(
    tmp_path: Path, stubbed: list[int]
) -> None:
    returned = write_report(tmp_path, quick=True)
    assert returned == ["index.md", "a.md", "audit.md", "claims.md", "derivations/b.md"]
    assert (tmp_path / "plot.png").read_bytes() == b"\x89PNG stub"


@pytest.mark.parametrize(
    "clash", ["index.md", "claims.md", "conventions.md", "derivations/logistic-l1.md"]
)
def test_a_users_page_in_the_way_stops_the_run_before_anything_is_computed(
    tmp_path: Path, stubbed: list[int], clash: str
) -> None:
    """Such a page was once refused only after half a minute of computing."""
    (tmp_path / clash).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / clash).write_text("mine\n")
    before = snapshot(tmp_path)
    with pytest.raises(WdtheoryError, match="refusing to overwrite") as error:
        write_report(tmp_path, quick=True)
    assert "\n" not in str(error.value)
    assert stubbed == []  # nothing computed
    assert snapshot(tmp_path) == before


def test_a_users_file_named_like_a_report_folder_stops_the_run_before_anything_is_computed(
    tmp_path: Path, stubbed: list[int]
) -> None:
    """A file named ``derivations`` once gave a traceback after five pages were written."""
    (tmp_path / "derivations").write_text("mine\n")
    before = snapshot(tmp_path)
    with pytest.raises(WdtheoryError, match="needs a folder there"):
        write_report(tmp_path, quick=True)
    assert stubbed == []
    assert snapshot(tmp_path) == before


def test_a_users_file_clashing_with_a_plot_stops_the_run_before_any_write(
    tmp_path: Path, stubbed: list[int]
) -> None:
    # the report folder in a folder of its own: what the run might write beside the report is
    # seen, and no other test's files are (they may come and go meanwhile)
    out = tmp_path / "out"
    out.mkdir()
    (out / "plot.png").write_text("mine\n")
    before = snapshot(tmp_path)
    with pytest.raises(WdtheoryError, match="refusing to overwrite"):
        write_report(out, quick=True)
    assert snapshot(tmp_path) == before


def test_after_a_clash_is_resolved_the_report_is_written(
    tmp_path: Path, stubbed: list[int]
) -> None:
    (tmp_path / "claims.md").write_text("mine\n")
    with pytest.raises(WdtheoryError):
        write_report(tmp_path, quick=True)
    (tmp_path / "claims.md").rename(tmp_path / "my-claims.md")
    assert write_report(tmp_path, quick=True)[0] == "index.md"
    assert (tmp_path / "my-claims.md").read_text() == "mine\n"


def test_a_run_interrupted_at_any_point_of_writing_leaves_the_old_or_the_new_report(
    tmp_path: Path, stubbed: list[int], faults
) -> None:
    """Ctrl-C while writing once left an index linking missing pages; then the next run refused
    the files the interrupted one had written. Here the old report is a full one, the new a
    quick one (their indexes differ), and every file operation of the run is interrupted in
    turn, before or just after it takes effect."""

    def run(out: Path, quick: bool) -> None:
        write_report(out, quick=quick, progress=lambda _: None)

    def old_report(out: Path) -> dict[str, bytes | str]:
        faults.reset(None)
        run(out, quick=False)
        (out / "notes.txt").write_text("mine\n")
        return snapshot(out)

    old = old_report(tmp_path / "clean")
    faults.reset(None)
    run(tmp_path / "clean", quick=True)
    new, operations = snapshot(tmp_path / "clean"), faults.count
    seen = set()
    for at in range(1, operations + 1):
        out = tmp_path / f"run-{at}" / "out"
        old_report(out)
        faults.reset(at, after=at % 2 == 0)
        with contextlib.suppress(KeyboardInterrupt):
            run(out, quick=True)
        assert snapshot(out) in (old, new), at
        assert [p.name for p in out.parent.iterdir()] == ["out"], at  # nothing left beside
        seen.add(snapshot(out) == new)
        faults.reset(None)
        run(out, quick=True)  # the next run refuses nothing
        assert snapshot(out) == new
    assert seen == {False, True}


#: a report whose pages are stubbed and whose writing is slow: 40 pages, 20 ms each
SLOW_REPORT = """
import sys, time
import wdtheory.report.build as build
import wdtheory.report.files as files

build.compute_files = lambda *args: {
    "index.md": sys.argv[2], **{f"page-{i:02}.md": sys.argv[2] for i in range(40)}
}
write = files._write

def slow(path, data):
    write(path, data)
    time.sleep(0.02)

files._write = slow
build.write_report(sys.argv[1], progress=lambda _: None)
"""


def slow_report(out: Path, text: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", SLOW_REPORT, str(out), text], stderr=subprocess.PIPE
    )


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name == "nt", reason="POSIX signals")
def test_sigterm_while_writing_leaves_the_old_report_and_nothing_beside_it(
    tmp_path: Path,
) -> None:
    """SIGTERM while writing once left a manifest and a temporary file among the pages."""
    out = tmp_path / "out"
    assert slow_report(out, "old\n").wait(timeout=120) == 0
    (out / "notes.txt").write_text("mine\n")
    old = snapshot(tmp_path)
    process = slow_report(out, "new\n")
    try:
        for _ in range(1200):  # imports first, then the staging folder fills: up to a minute
            staging = [p for p in tmp_path.iterdir() if p.name.startswith(".out.wdtheory-")]
            if staging and len(list(staging[0].glob("page-*.md"))) >= 5:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the report never started writing")
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 143, stderr
    assert b"Traceback" not in stderr
    assert snapshot(tmp_path) == old


# --- the claims computed by the report's own workers ------------------------------------------


def test_the_two_claims_jobs_reassemble_the_catalogue_in_order(monkeypatch) -> None:
    """Without results given, two jobs verify alternate claims in worker processes; the pages
    list them in the catalogue's order (here a small stub catalogue and no other page)."""
    from wdtheory.claims.engine import Claim, ClaimVerdict, Evidence, EvidenceKind
    from wdtheory.report.pages import claims as claims_pages
    from wdtheory.report.settings import Settings

    def claim(i: int) -> Claim:
        evidence = Evidence(ClaimVerdict.TRUE, (EvidenceKind.PROOF,), f"evidence {i}")
        return Claim(f"c{i}", f"statement {i}", "seed 001", ClaimVerdict.TRUE, lambda: evidence)

    stub = tuple(claim(i) for i in range(5))
    monkeypatch.setattr(claims_pages, "CLAIMS", stub)
    monkeypatch.setattr(wdtheory.report.build, "CLAIMS", stub)
    monkeypatch.setattr(wdtheory.report.build, "PAGES", ())
    settings = Settings(seeds=1, sweep=1, penalties=(), steps=1)
    files = wdtheory.report.build.compute_files(settings, 2, lambda _: None)
    assert set(files) == {"index.md", "claims.md", "audit.md"}  # the index's facts computed too
    statements = re.findall(r"statement (\d)", files["claims.md"])
    assert statements == ["0", "1", "2", "3", "4"]
    assert "5 of 5 agree" in files["claims.md"]


@pytest.mark.slow
def test_a_report_that_verifies_the_claims_itself_writes_the_committed_pages(
    tmp_path: Path,
) -> None:
    write_report(tmp_path / "out", quick=True, progress=lambda _: None)
    written, committed = snapshot(tmp_path / "out"), snapshot(COMMITTED)
    assert [name for name in written if written[name] != committed.get(name)] == []
