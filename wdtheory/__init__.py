"""wdtheory: the theory of weight decay as derivations, proofs, fast code and reports.

The public API, re-exported explicitly (each name is imported on first use, so that
``import wdtheory`` stays quick):

* problems and their derivations — :class:`Problem`, :class:`Penalty`, :func:`derive_problem`,
  :func:`derive_gradients`, :func:`derive_ridge`, :func:`derive_prox`;
* library conventions — :func:`match_convention` (e.g. scikit-learn's ``alpha`` for a λ);
* numerics — :func:`objective`, :func:`gradients`, :func:`sgd_step` for a problem, and the closed
  forms and solvers :func:`ridge_fit`, :func:`ridge_path`, :func:`effective_dof`,
  :func:`shrinkage_factors`, :func:`soft_threshold`, :func:`proximal_fit`, :func:`kkt_violation`; :func:`sweep`, one optimizer over a grid of
  hyperparameters and seeds on a linear model's :class:`LinearTask` in one fused run (a
  :class:`Sweep` of arrays);
* optimizers — :class:`Optimizer` (specs and presets), :func:`derive_optimizer`, :class:`Stepper`
  (lowered, fused update functions), :class:`BatchStepper` (a batch of runs, each with its own
  hyperparameters); your own: :func:`chain` of the public transformations
  (:func:`add_decayed_weights`, :func:`trace`, :func:`scale_by_adam`, :func:`scale_by_lion`,
  :func:`scale_by_learning_rate`, :func:`momentum`, :func:`independent_decay`... see
  :mod:`wdtheory.optim.compose`), :func:`as_chain` for any optimizer's own;
* the claims engine — :func:`compare`, :func:`fixed_point`, :func:`convert`, :data:`CLAIMS`,
  :func:`verify_all`; a training recipe's decay — :class:`Recipe`, :func:`audit`; reports —
  :func:`write_report`;
* the safe spec parser :func:`parse_spec` and the user error :class:`WdtheoryError`.
"""

from importlib import import_module
from typing import Any

#: public name -> (module, attribute)
_EXPORTS = {
    "add_decayed_weights": ("optim.chains", "add_decayed_weights"),
    "add_l1_subgradient": ("optim.chains", "add_l1_subgradient"),
    "as_chain": ("optim.chains", "as_chain"),
    "chain": ("optim.chains", "chain"),
    "decay_by_learning_rate": ("optim.chains", "decay_by_learning_rate"),
    "decayed_learning_rate": ("optim.chains", "decayed_learning_rate"),
    "independent_decay": ("optim.chains", "independent_decay"),
    "momentum": ("optim.chains", "momentum"),
    "proximal_l1": ("optim.chains", "proximal_l1"),
    "scale_by_adam": ("optim.chains", "scale_by_adam"),
    "scale_by_learning_rate": ("optim.chains", "scale_by_learning_rate"),
    "scale_by_lion": ("optim.chains", "scale_by_lion"),
    "scale_loss": ("optim.chains", "scale_loss"),
    "torch_adagrad": ("optim.chains", "torch_adagrad"),
    "torch_rms": ("optim.chains", "torch_rms"),
    "trace": ("optim.chains", "trace"),
    "CLAIMS": ("claims.catalogue", "CLAIMS"),
    "Optimizer": ("optim.optimizer", "Optimizer"),
    "Penalty": ("problems.penalties", "Penalty"),
    "Problem": ("problems.problem", "Problem"),
    "Recipe": ("analysis.audit", "Recipe"),
    "Spec": ("core.spec", "Spec"),
    "SpecError": ("core.errors", "SpecError"),
    "BatchStepper": ("runtime.batch", "BatchStepper"),
    "LinearTask": ("numeric.tasks", "LinearTask"),
    "Stepper": ("runtime.stepper", "Stepper"),
    "Sweep": ("numeric.sweep", "Sweep"),
    "WdtheoryError": ("core.errors", "WdtheoryError"),
    "audit": ("analysis.audit", "audit"),
    "compare": ("analysis.compare", "compare"),
    "convert": ("analysis.convert", "convert"),
    "derive_gradients": ("problems.gradients", "derive_gradients"),
    "derive_optimizer": ("optim.rules", "derive_optimizer"),
    "derive_problem": ("problems.derive", "derive_problem"),
    "derive_prox": ("problems.proximal", "derive_prox"),
    "derive_ridge": ("problems.ridge", "derive_ridge"),
    "effective_dof": ("numeric.solvers", "effective_dof"),
    "fixed_point": ("analysis.fixed_points", "fixed_point"),
    "gradients": ("numeric.objectives", "gradients"),
    "kkt_violation": ("numeric.solvers", "kkt_violation"),
    "match_convention": ("problems.conventions", "match"),
    "objective": ("numeric.objectives", "objective"),
    "parse_spec": ("core.spec", "parse_spec"),
    "proximal_fit": ("numeric.solvers", "proximal_fit"),
    "ridge_fit": ("numeric.solvers", "ridge_fit"),
    "ridge_path": ("numeric.solvers", "ridge_path"),
    "sgd_step": ("numeric.objectives", "sgd_step"),
    "sweep": ("numeric.sweep", "sweep"),
    "shrinkage_factors": ("numeric.solvers", "shrinkage_factors"),
    "soft_threshold": ("numeric.solvers", "soft_threshold"),
    "verify_all": ("claims.catalogue", "verify_all"),
    "write_report": ("report.build", "write_report"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'wdtheory' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(import_module(f"wdtheory.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
