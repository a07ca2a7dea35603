r"""Printing SymPy expressions the same way everywhere: LaTeX and one-line text.

:func:`to_latex` and :func:`to_text` print with bold matrices, :math:`|\mathcal{B}|` for the
batch size, Greek letters for symbols spelt ``lambda``, ``eta``... (and ``lam`` as λ), primes on
primed names, and sums of matrices in their stored order and sign. :func:`for_display` shows an
exact rational as the decimal a user wrote.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from wdtheory.core.notation import BATCH_SIZE

__all__ = ["for_display", "plain_markdown", "to_latex", "to_text"]

_LATEX_NAMES = {BATCH_SIZE: r"|\mathcal{B}|"}
_TEXT_NAMES = {"B": "|B|"}


def _signed_join(pieces: list[str]) -> str:
    """``a + b - c`` from printed terms, turning ``+ -c`` into ``- c``."""
    out = pieces[:1]
    for piece in pieces[1:]:
        out.append(f"- {piece[1:].lstrip()}" if piece.startswith("-") else f"+ {piece}")
    return " ".join(out)


class _LatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer, with sums of matrices printed in their stored order and sign,
    ``lam``/``lam1``/``lam_2`` (what users type, since ``lambda`` is a Python keyword) as λ, and
    primed names (``lambda'``) with a prime."""

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr in self._settings["symbol_names"]:
            return super()._print_Symbol(expr, style)
        if expr.name.endswith("'"):
            return self._print_Symbol(sp.Symbol(expr.name[:-1]), style) + "'"
        match = re.fullmatch(r"lam_?(\d*)", expr.name)
        if match:
            return r"\lambda" + (f"_{{{match.group(1)}}}" if match.group(1) else "")
        return super()._print_Symbol(expr, style)

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        return _signed_join([self._print(term) for term in expr.args])

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return r"\mathbf{1}^{T}" if expr.shape[0] == 1 and expr.shape[1] != 1 else r"\mathbf{1}"

    def _print_Float(self, expr: sp.Float) -> str:
        mantissa, _, exponent = repr(float(expr)).partition("e")
        return rf"{mantissa} \cdot 10^{{{int(exponent)}}}" if exponent else mantissa


class _TextPrinter(StrPrinter):
    """SymPy's ``str`` printer with ``|B|`` for the batch size and ordered matrix sums."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return _TEXT_NAMES.get(expr.name, expr.name)

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        return _signed_join([self._print(term) for term in expr.args])

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return "1.T" if expr.shape[0] == 1 and expr.shape[1] != 1 else "1"

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))


def for_display(value: sp.Expr) -> sp.Expr:
    """A number as a float (printed in its shortest form, ``0.9`` not ``9/10``); other values as
    they are. Only for printing: derivations keep exact rationals."""
    return sp.Float(value, 17) if value.is_Number and not value.is_Integer else value


def to_latex(expr: sp.Basic) -> str:
    """LaTeX for ``expr`` with bold matrices and the project's symbol names."""
    settings = {"mat_symbol_style": "bold", "symbol_names": _LATEX_NAMES, "order": "none"}
    return _LatexPrinter(settings).doprint(expr)


def to_text(expr: sp.Basic) -> str:
    """One-line plain text for ``expr`` (SymPy's ``str`` form with the project's symbol names)."""
    return _TextPrinter({"order": "none"}).doprint(expr)


#: characters markdown would read as markup in plain text (SymPy's ``eta*lambda`` would start
#: emphasis, ``|v|`` in a table would end a cell, ``<=`` may open HTML, ``[a](b)`` is a link):
#: escaped with a backslash. ``_`` stays (inside a word, ``lambda_1``, it is no emphasis), and
#: so do backticks: the one markup plain text here uses, for code (``Code: `optax.adamw()```)
_MARKUP = str.maketrans({c: "\\" + c for c in "\\*[]<|"})


def plain_markdown(text: str) -> str:
    """Plain text (a note, SymPy's printing of a formula) for markdown, shown as it is written:
    every character markdown would read as markup is escaped."""
    return text.translate(_MARKUP)
