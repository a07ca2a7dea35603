"""The claims catalogue: every verdict is derived at run time, and a broken engine shows.

The whole catalogue is verified once per module (it takes seconds) and shared by the
per-claim tests. The tampering test replaces the comparison engine with one that calls
everything "identical": several claims must then disagree, which proves their verdicts come
from the engine and not from a stored table. The command line is exercised in-process.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import time

import pytest

import wdtheory.claims.engine as claims_module
import wdtheory.cli as cli_module
from wdtheory.analysis.compare import Comparison
from wdtheory.claims.engine import (
    CLAIMS,
    VERDICTS,
    Claim,
    Evidence,
    Result,
    render_results,
    verify_all,
)
from wdtheory.cli import main

BY_ID = {claim.id: claim for claim in CLAIMS}


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def assert_user_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.startswith("wdtheory: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def use_verify_all(monkeypatch, replacement) -> None:
    """Make the ``verify`` command use ``replacement`` (it imports verify_all lazily from
    wdtheory.claims.engine; an eager import into wdtheory.cli is patched too)."""
    monkeypatch.setattr(claims_module, "verify_all", replacement)
    monkeypatch.setattr(cli_module, "verify_all", replacement, raising=False)


@pytest.fixture(scope="module")
def verified() -> tuple[dict[str, Result], float]:
    """Every claim verified once, from a cold comparison cache; with the wall time taken."""
    claims_module._compared.cache_clear()
    start = time.perf_counter()
    results = verify_all()
    return {r.claim.id: r for r in results}, time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# the catalogue
# ---------------------------------------------------------------------------------------------


def test_claim_ids_are_unique_and_expected_verdicts_are_known():
    assert len(BY_ID) == len(CLAIMS)
    assert all(claim.expected in VERDICTS for claim in CLAIMS)
    assert all(claim.statement and claim.source for claim in CLAIMS)


@pytest.mark.parametrize("claim_id", list(BY_ID))
def test_each_claim_derives_its_expected_verdict(verified, claim_id):
    results, _ = verified
    result = results[claim_id]
    assert result.evidence.verdict != "error", result.evidence.details
    assert result.agrees, (result.evidence.verdict, result.claim.expected, result.evidence.details)
    assert result.evidence.kind and result.evidence.details
    assert result.seconds >= 0


def test_verify_all_on_the_whole_catalogue_is_under_a_minute(verified):
    results, seconds = verified
    assert len(results) == len(CLAIMS)
    assert seconds < 60, f"budget: the catalogue took {seconds:.1f} s"


def test_results_keep_the_catalogue_order(verified):
    results, _ = verified
    assert list(results) == [claim.id for claim in CLAIMS]


def test_evidence_carries_values_computed_in_this_run(verified):
    results, _ = verified
    # the momentum claim's evidence names the first differing step found by the engine
    assert "first difference at step 2" in results["momentum-l2-differs"].evidence.details
    assert "lambda' = eta*lambda" in results[
        "paper-independent-decay-map"
    ].evidence.details.replace("lambda*eta", "eta*lambda")
    assert "b_B = -b*eta" in results["keras-velocity"].evidence.details.replace("-eta*b", "-b*eta")


# ---------------------------------------------------------------------------------------------
# errors and tampering
# ---------------------------------------------------------------------------------------------


def test_a_claim_whose_check_raises_is_an_error_and_disagrees():
    def broken() -> Evidence:
        raise ZeroDivisionError("boom")

    claim = Claim("broken", "A claim whose check fails.", "tests", "true", broken)
    (result,) = verify_all((claim,))
    assert result.evidence.verdict == "error"
    assert not result.agrees
    assert "ZeroDivisionError" in result.evidence.details and "boom" in result.evidence.details
    assert "MISMATCH (expected true)" in render_results([result])


OPTIMIZER_CLAIMS = [
    "sgd-l2-equals-weight-decay",
    "paper-independent-decay-map",
    "momentum-l2-differs",
    "adam-l2-differs",
    "keras-velocity",
    "framework-conversions",
    "s1-vanilla-only",
    "s2-weight-decay-is-l2",
]


def test_a_tampered_engine_makes_several_claims_disagree(monkeypatch, verified):
    """Replace compare (as imported into wdtheory.claims.engine) by a stub that calls every pair
    identical: if the verdicts were a stored table nothing would change."""

    def always_identical(a, b, **_):
        return Comparison(a, b, "identical", evidence=("stub",))

    monkeypatch.setattr(claims_module, "compare", always_identical)
    # the catalogue caches comparisons: give it an empty cache around the same function (the
    # real cache, with the honest results, comes back when monkeypatch undoes this)
    monkeypatch.setattr(
        claims_module, "_compared", functools.cache(claims_module._compared.__wrapped__)
    )
    tampered = verify_all(tuple(BY_ID[i] for i in OPTIMIZER_CLAIMS))
    disagree = {r.claim.id for r in tampered if not r.agrees}
    assert len(disagree) >= 4, disagree
    assert {"momentum-l2-differs", "adam-l2-differs", "paper-independent-decay-map"} <= disagree
    # and the honest engine agrees on the same claims
    results, _ = verified
    assert all(results[i].agrees for i in OPTIMIZER_CLAIMS)


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------


def test_render_text(verified):
    results, _ = verified
    text = render_results(list(results.values()), "text")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines[-1] == f"{len(CLAIMS)}/{len(CLAIMS)} claims agree with their expected verdicts"
    assert len(lines) == 3 * len(CLAIMS) + 1
    for claim in CLAIMS:
        assert any(line.startswith(f"[ok] {claim.id}: ") for line in lines), claim.id
    assert render_results(list(results.values())) == text  # text is the default


def test_render_markdown(verified):
    results, _ = verified
    markdown = render_results(list(results.values()), "markdown")
    lines = markdown.splitlines()
    assert lines[0] == "| claim | source | verdict | evidence |"
    assert lines[1] == "|---|---|---|---|"
    assert len(lines) == 2 + len(CLAIMS)
    for line in lines[2:]:
        assert line.startswith("| ") and line.endswith(" |")
        assert line.count(" | ") == 3, line  # pipes inside the evidence are escaped
        assert "**" in line


def test_render_json(verified):
    results, _ = verified
    data = json.loads(render_results(list(results.values()), "json"))
    assert [d["id"] for d in data] == [c.id for c in CLAIMS]
    keys = {"id", "statement", "source", "expected", "verdict", "kind", "evidence", "agrees"}
    for entry in data:
        assert set(entry) == keys
        assert entry["agrees"] is True and entry["verdict"] == entry["expected"]


def test_render_shows_a_mismatch():
    claim = Claim("x", "s", "src", "true", lambda: Evidence("false", "k", "d|e"))
    results = verify_all((claim,))
    assert "MISMATCH (expected true)" in render_results(results, "text")
    assert "0/1 claims agree" in render_results(results, "text")
    assert "(expected true)" in render_results(results, "markdown")
    cell = render_results(results, "markdown").splitlines()[-1]
    assert "d|e" not in cell.replace("\\|", "")  # a raw pipe would end the cell
    assert "d/e" in cell or "d\\|e" in cell
    assert json.loads(render_results(results, "json"))[0]["agrees"] is False


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------


def test_cli_verify_json_exits_zero_and_parses(monkeypatch, verified):
    """The command's plumbing on the results verified above (the catalogue is not re-run)."""
    results, _ = verified
    use_verify_all(monkeypatch, lambda: list(results.values()))
    code, out, err = cli("verify", "--json")
    assert code == 0, err
    assert err == ""
    data = json.loads(out)
    assert len(data) == len(CLAIMS) and all(d["agrees"] for d in data)


@pytest.mark.slow
def test_cli_verify_json_end_to_end():
    code, out, err = cli("verify", "--json")
    assert code == 0, err
    assert err == ""
    data = json.loads(out)
    assert len(data) == len(CLAIMS) and all(d["agrees"] for d in data)


def test_cli_verify_text_exits_zero(monkeypatch, verified):
    results, _ = verified
    use_verify_all(monkeypatch, lambda: list(results.values()))
    code, out, err = cli("verify")
    assert code == 0 and err == ""
    assert out.splitlines()[-1].startswith(f"{len(CLAIMS)}/{len(CLAIMS)} claims agree")


def test_cli_verify_reports_a_disagreement_in_one_line(monkeypatch):
    claim = Claim("x-claim", "s", "src", "true", lambda: Evidence("false", "k", "d"))
    use_verify_all(monkeypatch, lambda: verify_all((claim,)))
    code, out, err = cli("verify")
    assert code == 2
    assert "MISMATCH" in out
    assert err.count("\n") == 1 and "x-claim" in err


def test_cli_compare_smoke():
    code, out, err = cli("compare", "torch.adamw", "optax.adamw(eps_root=0)")
    assert code == 0 and err == ""
    assert "identical" in out
    code, out, err = cli("compare", "torch.sgd(momentum=mu)", "sgdw(momentum=mu)")
    assert code == 0 and "different" in out and "First difference" in out
    code, out, _ = cli("compare", "torch.adamw", "paper.adamw", "--format", "json")
    assert code == 0 and json.loads(out)["title"].startswith("compare torch.adamw")


def test_cli_fixed_point_smoke():
    code, out, err = cli("fixed-point", "sgdw(momentum=0.5, dampening=0.25)")
    assert code == 0 and err == ""
    assert "ridge with lambda_eff = 2*lambda/3" in out
    code, out, _ = cli("fixed-point", "torch.adamw", "--format", "markdown")
    assert code == 0 and "not a ridge solution" in out


def test_cli_convert_smoke():
    code, out, err = cli(
        "convert", "torch.sgd(lr=0.1, momentum=0, weight_decay=0.01)", "--to", "keras"
    )
    assert code == 0 and err == ""
    assert "keras.sgd(learning_rate=0.1, momentum=0, weight_decay=0.01)" in out
    code, out, _ = cli("convert", "torch.adamw", "--to", "keras")
    assert code == 0 and "no keras optimizer is equivalent" in out


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (("compare", "torch.adam(lr=", "torch.adam"), ()),
        (("compare", "torch.adamm", "torch.adam"), ("did you mean 'torch.adam'",)),
        (("compare", "squared_error(l2=lam)", "torch.adam"), ("is a loss",)),
        (("fixed-point", "logistic"), ("is a loss",)),
        (("convert", "squared_error", "--to", "keras"), ("is a loss",)),
        (("fixed-point", "torch.adam(lr=-1)"), ("lr=-1",)),
        (("convert", "torch.adamw", "--to", "pytorch"), ("--to",)),
        (("convert", "torch.adamw"), ("--to",)),
        (("compare", "torch.adam"), ()),
        (("compare", "torch.adam(beta1=__import__)", "torch.adam"), ()),
    ],
)
def test_cli_mistakes_are_one_line_errors(argv, fragments):
    assert_user_error(*cli(*argv), *fragments)
