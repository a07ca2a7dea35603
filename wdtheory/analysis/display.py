"""How a result of the analysis shows itself in a notebook: a one-line ``repr`` and, through
IPython's ``_repr_markdown_``, its whole explanation as markdown with LaTeX."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wdtheory.core.derivation import Derivation

__all__ = ["Shown"]


class Shown:
    """A result that explains itself (:meth:`explain`) and is shown as that explanation."""

    def explain(self) -> Derivation:
        """The result as a derivation: sections of steps, rendered as text, markdown or JSON."""
        raise NotImplementedError

    def _repr_markdown_(self) -> str:
        return self.explain().render("markdown")
