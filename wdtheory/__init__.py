"""wdtheory: the theory of weight decay as derivations, proofs, fast code and reports."""

from wdtheory.errors import SpecError, WdtheoryError

__all__ = ["SpecError", "WdtheoryError"]
