"""A derivation as data: titled sections of steps, each an equation with a short justification.

Derivations are built by the symbolic modules and rendered here, the same way everywhere: plain
text for a terminal, LaTeX, markdown with ``$$…$$`` blocks that render on GitHub, or JSON for
other programs. In a notebook a :class:`Derivation` displays itself as markdown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sympy as sp

from wdtheory.core.errors import check_choice
from wdtheory.core.printing import plain_markdown, to_latex, to_text

__all__ = ["FORMATS", "Derivation", "Notation", "Section", "Step"]

FORMATS = ("text", "latex", "markdown", "json")


@dataclass(frozen=True)
class Notation:
    """A piece of notation that is not a SymPy expression, given as plain text and as LaTeX."""

    text: str
    latex: str


Printable = sp.Basic | Notation


def _latex(item: Printable) -> str:
    return item.latex if isinstance(item, Notation) else to_latex(item)


def _text(item: Printable) -> str:
    return item.text if isinstance(item, Notation) else to_text(item)


_RELATIONS = {
    "=": ("=", "="),
    "<-": (r"\leftarrow", "<-"),
    "<=>": (r"\Longleftrightarrow", "<=>"),
    ":=": (r":=", ":="),
    "in": (r"\in", "in"),
    "≈": (r"\approx", "≈"),
}


@dataclass(frozen=True)
class Step:
    """``lhs relation rhs``, with a one-sentence ``note`` saying why it holds or what it means."""

    lhs: Printable
    rhs: Printable
    note: str = ""
    relation: str = "="

    def __post_init__(self) -> None:
        check_choice("relation", self.relation, _RELATIONS)

    @property
    def latex(self) -> str:
        return f"{_latex(self.lhs)} {_RELATIONS[self.relation][0]} {_latex(self.rhs)}"

    @property
    def text(self) -> str:
        return f"{_text(self.lhs)} {_RELATIONS[self.relation][1]} {_text(self.rhs)}"


@dataclass(frozen=True)
class Section:
    """A titled group of steps, with an optional introductory sentence, closing checks (what was
    verified) and notes (a list of facts, e.g. the defaults an answer filled in)."""

    title: str
    steps: tuple[Step, ...]
    intro: str = ""
    checks: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Derivation:
    """A titled sequence of sections; render it with :meth:`render`."""

    title: str
    sections: tuple[Section, ...]

    def render(self, fmt: str = "text") -> str:
        """The derivation as ``text``, ``latex``, ``markdown`` or ``json``."""
        renderer = {
            "text": _render_text,
            "latex": _render_latex,
            "markdown": _render_markdown,
            "json": _render_json,
        }[check_choice("format", fmt, FORMATS)]
        return renderer(self)

    def as_data(self) -> dict[str, object]:
        """The derivation as JSON-ready data: its title and sections, each step as text, LaTeX
        and its note."""
        return {
            "title": self.title,
            "sections": [
                {
                    "title": section.title,
                    "intro": section.intro,
                    "steps": [
                        {"text": step.text, "latex": step.latex, "note": step.note}
                        for step in section.steps
                    ],
                    "checks": list(section.checks),
                    "notes": list(section.notes),
                }
                for section in self.sections
            ],
        }

    def _repr_markdown_(self) -> str:
        return self.render("markdown")


def _render_text(derivation: Derivation) -> str:
    lines = [derivation.title, "=" * len(derivation.title)]
    for section in derivation.sections:
        lines += ["", section.title, "-" * len(section.title)]
        if section.intro:
            lines.append(section.intro)
        for step in section.steps:
            lines.append(f"  {step.text}")
            if step.note:
                lines.append(f"      ({step.note})")
        lines += [f"  checked: {check}" for check in section.checks]
        lines += [f"  - {note}" for note in section.notes]
    return "\n".join(lines) + "\n"


def _render_markdown(derivation: Derivation) -> str:
    lines = [f"# {plain_markdown(derivation.title)}"]
    for section in derivation.sections:
        lines += ["", f"## {plain_markdown(section.title)}"]
        if section.intro:
            lines += ["", plain_markdown(section.intro)]
        for step in section.steps:
            lines += ["", "$$", step.latex, "$$"]
            if step.note:
                lines += ["", plain_markdown(step.note)]
        if section.checks:
            lines += [""] + [f"- Checked: {plain_markdown(check)}" for check in section.checks]
        if section.notes:
            lines += [""] + [f"- {plain_markdown(note)}" for note in section.notes]
    return "\n".join(lines) + "\n"


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
}


def _escape_latex(text: str) -> str:
    """Plain text made safe for LaTeX text mode."""
    return "".join(_LATEX_SPECIALS.get(char, char) for char in text)


def _render_latex(derivation: Derivation) -> str:
    lines = [rf"\section*{{{_escape_latex(derivation.title)}}}"]
    for section in derivation.sections:
        lines += ["", rf"\subsection*{{{_escape_latex(section.title)}}}"]
        if section.intro:
            lines.append(_escape_latex(section.intro))
        for step in section.steps:
            lines += [r"\[", step.latex, r"\]"]
            if step.note:
                lines.append(_escape_latex(step.note))
        lines += [f"% checked: {check}" for check in section.checks]
        if section.notes:
            items = [rf"  \item {_escape_latex(note)}" for note in section.notes]
            lines += [r"\begin{itemize}", *items, r"\end{itemize}"]
    return "\n".join(lines) + "\n"


def _render_json(derivation: Derivation) -> str:
    return json.dumps(derivation.as_data(), indent=2, ensure_ascii=False) + "\n"
