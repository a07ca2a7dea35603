"""Markdown pieces the pages share: inline math, tables, a fixed point in a table cell."""

from __future__ import annotations

import re

import sympy as sp

from wdtheory.analysis.fixed_points import FixedPoint
from wdtheory.core.printing import to_latex

__all__ = ["fixed_point_cell", "inline_math", "table"]


def inline_math(expr: sp.Basic) -> str:
    return f"${to_latex(expr)}$"


#: a pipe that no backslash escapes yet
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GFM table of markdown cells; a ``|`` in a cell (``|w|``, inside math or code too) is
    escaped, as GFM asks, so that it does not end the cell."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(_UNESCAPED_PIPE.sub(r"\\|", cell) for cell in cells) + " |"

    return [line(header), "|" + "---|" * len(header), *(line(row) for row in rows)]


def fixed_point_cell(fixed: FixedPoint) -> str:
    r"""A derived fixed point in a few words and LaTeX, short enough for a table cell: ridge with
    :math:`\lambda_{\mathrm{eff}}`, or why it is none (its gradient at rest, which may be long,
    belongs below the table: :func:`inline_math` of ``fixed.gradient``)."""
    if fixed.is_ridge:
        return rf"ridge, $\lambda_{{\mathrm{{eff}}}} = {to_latex(fixed.ridge_strength)}$"
    if fixed.gradient is None:
        return "no ridge solution: the rest conditions have no unique gradient"
    return r"no ridge solution: $\lambda_{\mathrm{eff}}$ would depend on $w$"
