"""The JSON schema of the answers: a valid draft 2020-12 schema that every command's ``--format
json`` output follows, and that refuses a record with a field missing, retyped or added."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from wdtheory.answers.schema import SCHEMA
from wdtheory.cli import main

VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

COMMANDS = {
    "derive problem": ("derive", "logistic(l1=0.01, l2=lam)"),
    "derive optimizer": ("derive", "torch.optim.AdamW(model.parameters(), lr=1e-3)"),
    "derive symbolic": ("derive", "symbolic(torch.sgd(momentum=mu))"),
    "compare identical": ("compare", "torch.sgd(weight_decay=lam)", "sgdw(weight_decay=lam)"),
    "compare equivalent": ("compare", "torch.adamw", "paper.adamw", "--symbolic"),
    "compare different": ("compare", "torch.adam(weight_decay=0)", "keras.adam(weight_decay=0)"),
    "compare mapped A": ("compare", "optax.sgd", "torch.sgd"),
    "fixed-point ridge": ("fixed-point", "sgdw(momentum=0.9, weight_decay=lam)"),
    "fixed-point not ridge": ("fixed-point", "torch.adamw"),
    "fixed-point history": ("fixed-point", "torch.adamw(amsgrad=true)"),
    "convert found": ("convert", "torch.adamw", "--to", "optax"),
    "convert none": ("convert", "torch.adamw", "--to", "keras"),
    "convert construction": (
        "convert",
        "torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)",
        "--to",
        "optax",
    ),
    "convert formulas": ("convert", "torch.adamw", "--to", "paper", "--symbolic"),
    "audit": ("audit", str(Path(__file__).parents[2] / "examples" / "recipes" / "resnet-sgd.toml")),
}


@cache
def answer(name: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*COMMANDS[name], "--format", "json"]) == 0
    return json.loads(out.getvalue())


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_answer_follows_the_schema(name):
    record = answer(name)
    VALIDATOR.validate(record)
    assert record["command"] == COMMANDS[name][0]


def test_a_verification_follows_the_schema(claim_results):
    from wdtheory.answers.records import verification_answer

    VALIDATOR.validate(verification_answer(list(claim_results.values())))


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("compare different", lambda r: r.pop("verdict")),
        ("compare different", lambda r: r.update(verdict="maybe")),
        ("compare different", lambda r: r.update(first_difference="1")),
        ("compare different", lambda r: r["difference"].pop("latex")),
        ("compare different", lambda r: r.update(extra=1)),
        ("compare different", lambda r: r["optimizers"][0].pop("defaults_filled")),
        ("fixed-point ridge", lambda r: r.update(ridge="yes")),
        ("convert none", lambda r: r.update(reason=3)),
        ("convert none", lambda r: r.pop("decided")),
        ("fixed-point ridge", lambda r: r.update(decided=None)),
        ("audit", lambda r: r["findings"][0].update(pitfall="a hunch")),
        ("audit", lambda r: r["groups"][0].update(mode="l2")),
        ("audit", lambda r: r["groups"][0]["decay"].pop("shrink")),
        ("derive problem", lambda r: r.update(version=r["version"] + 1)),
        ("derive problem", lambda r: r["derivation"]["sections"][0].pop("notes")),
    ],
)
def test_a_record_that_breaks_the_schema_is_refused(name, change):
    record = copy.deepcopy(answer(name))
    change(record)
    assert not VALIDATOR.is_valid(record)
