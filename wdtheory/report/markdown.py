"""Markdown pieces the pages share: inline math and tables."""

from __future__ import annotations

import sympy as sp

from wdtheory.core.printing import to_latex

__all__ = ["inline_math", "table"]


def inline_math(expr: sp.Basic) -> str:
    return f"${to_latex(expr)}$"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
