"""The package's shape: layers import downwards only, and one module owns the shared notation.

The layers, in the order data flows through them (each may import the ones before it;
``problems`` and ``optim``, and ``answers`` and ``report``, not each other)::

    core -> problems | optim -> lowering -> runtime -> numeric -> analysis -> claims
         -> answers | report -> cli -> __main__

and beside them the training facades ``wdtheory.torch`` and ``wdtheory.optax``, which re-export
the runtime's adapters (nothing inside the package imports them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import wdtheory
from wdtheory.core import notation

PACKAGE = Path(wdtheory.__file__).parent
RANK = {
    "core": 0,
    "problems": 1,
    "optim": 1,
    "lowering": 2,
    "runtime": 3,
    "numeric": 4,
    "analysis": 5,
    "claims": 6,
    "answers": 7,
    "report": 7,
    "cli": 8,
    "torch": 8,
    "optax": 8,
    "__main__": 9,
}
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


def layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported(path: Path) -> list[str]:
    """Every wdtheory module ``path`` imports, at the top or inside a function."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [n for n in names if n == "wdtheory" or n.startswith("wdtheory.")]


def test_every_module_belongs_to_a_layer():
    assert {layer(p) for p in MODULES} == set(RANK)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_downwards_only(path: Path):
    own = layer(path)
    for name in imported(path):
        parts = name.split(".")
        assert len(parts) > 1, f"{path.name} imports the facade {name!r}; import the module"
        other = parts[1]
        assert other == own or RANK[other] < RANK[own], f"{own} may not import {name}"


def test_the_runtime_reaches_the_lowering_through_one_module():
    for path in (PACKAGE / "runtime").glob("*.py"):
        lowering = {n for n in imported(path) if n.startswith("wdtheory.lowering")}
        assert lowering <= {"wdtheory.lowering.compile"}, (path.name, lowering)


def symbol_names(path: Path) -> set[str]:
    """The names of the symbols constructed in ``path`` with a literal name
    (``Symbol("x", ...)``, ``sp.Symbol(...)``, ``sympy.Symbol(...)``, ``symbols("x y")``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        if called in ("Symbol", "symbols") and isinstance(first, ast.Constant):
            names |= set(str(first.value).replace(",", " ").split())
    return names


def test_no_module_but_the_notation_makes_a_shared_symbol():
    shared = {getattr(notation, name).name for name in notation.__all__}
    for path in MODULES:
        if path.name == "notation.py":
            continue
        clash = symbol_names(path) & shared
        assert not clash, f"{path.relative_to(PACKAGE)} makes {clash}; use wdtheory.core.notation"


def test_the_notation_names_each_symbol_once():
    symbols = [getattr(notation, name) for name in notation.__all__]
    assert len({s.name for s in symbols}) == len(symbols)
