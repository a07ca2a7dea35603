"""wdtheory: the theory of weight decay as derivations, proofs, fast code and reports.

The public API, re-exported explicitly:

* problems and their derivations — :class:`Problem`, :class:`Penalty`, :func:`derive_problem`,
  :func:`derive_gradients`, :func:`derive_ridge`, :func:`derive_prox`;
* library conventions — :func:`match_convention` (e.g. scikit-learn's ``alpha`` for a λ);
* numerics — :func:`objective`, :func:`gradients`, :func:`sgd_step` for a problem, and the closed
  forms and solvers :func:`ridge_fit`, :func:`ridge_path`, :func:`effective_dof`,
  :func:`shrinkage_factors`, :func:`soft_threshold`, :func:`proximal_fit`, :func:`kkt_violation`;
* the safe spec parser :func:`parse_spec` and the user error :class:`WdtheoryError`.
"""

from wdtheory.conventions import match as match_convention
from wdtheory.errors import SpecError, WdtheoryError
from wdtheory.gradients import derive_gradients
from wdtheory.numeric import gradients, objective, sgd_step
from wdtheory.penalties import Penalty
from wdtheory.problem_derivation import derive_problem
from wdtheory.problems import Problem
from wdtheory.proximal import derive_prox
from wdtheory.ridge import derive_ridge
from wdtheory.solvers import (
    effective_dof,
    kkt_violation,
    proximal_fit,
    ridge_fit,
    ridge_path,
    shrinkage_factors,
    soft_threshold,
)
from wdtheory.spec import Spec, parse_spec

__all__ = [
    "Penalty",
    "Problem",
    "Spec",
    "SpecError",
    "WdtheoryError",
    "derive_gradients",
    "derive_problem",
    "derive_prox",
    "derive_ridge",
    "effective_dof",
    "gradients",
    "kkt_violation",
    "match_convention",
    "objective",
    "parse_spec",
    "proximal_fit",
    "ridge_fit",
    "ridge_path",
    "sgd_step",
    "shrinkage_factors",
    "soft_threshold",
]
