"""Checks of the claims about penalised problems: each derives its verdict from the symbolic
layer (:mod:`wdtheory.problems`) — gradients, SGD updates, proximal steps, library conventions —
by comparing SymPy expressions, never their printed text."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from wdtheory.claims.engine import ClaimVerdict, Evidence, EvidenceKind
from wdtheory.core.algebra import ElementwiseSign, matrix_terms
from wdtheory.core.notation import ETA, LAMBDA, PARAM, N
from wdtheory.core.printing import to_text
from wdtheory.numeric.solvers import proximal_fit, ridge_path
from wdtheory.problems.conventions import KERAS_L2, match
from wdtheory.problems.gradients import derive_gradients, derive_sgd_step
from wdtheory.problems.penalties import Penalty
from wdtheory.problems.problem import Problem
from wdtheory.problems.proximal import derive_prox

__all__ = [
    "any_model",
    "half_convenience",
    "l1_feature_selection",
    "l1_half",
    "l1_zeros",
    "l2_derivatives",
    "lambda_zero_and_norm",
    "library_conventions",
    "monomials",
    "sgd_update_formula",
    "squared_norm",
    "two_types",
]

PROOF, DERIVATION, NUMERIC = EvidenceKind.PROOF, EvidenceKind.DERIVATION, EvidenceKind.NUMERIC

#: the user's name for a strength in these claims (what a spec would write)
LAM = sp.Symbol("lam", real=True)


def _coefficient(update: MatrixExpr, matrix: sp.Basic) -> sp.Expr:
    """The scalar coefficient of ``matrix`` in an update written as a sum of matrix terms."""
    return sp.Add(*(c for c, m in matrix_terms(update) if m == matrix))


def _sgd_update(loss: str, **penalty: sp.Expr) -> tuple[MatrixExpr, MatrixExpr]:
    """The derived SGD update of the weights and the weights' symbol."""
    problem = Problem.create(loss, **penalty)
    forms = derive_gradients(problem)
    weights, _ = derive_sgd_step(problem, forms)
    return weights, forms.model.weights


def library_conventions() -> Evidence:
    pairs = [
        ("keras.mse.l2", "torch.mse.l2"),
        ("d2l.l2", "sklearn.Ridge"),
        ("d2l.l1", "sklearn.Lasso"),
        ("d2l.elastic_net", "sklearn.ElasticNet"),
    ]
    results = {p: match(*p) for p in pairs}
    keras = next(iter(results[pairs[0]].values.values()))
    ridge = next(iter(results[pairs[1]].values.values()))
    ok = sp.simplify(keras - 2 * KERAS_L2) == 0 and sp.simplify(ridge - N * LAMBDA) == 0
    return Evidence(
        ClaimVerdict.holds(ok), (PROOF,), "; ".join(r.summary for r in results.values())
    )


def l1_zeros() -> Evidence:
    strength = sp.Symbol("lam", positive=True)
    prox = derive_prox(strength)
    v = sp.Symbol("v", real=True)
    inside = prox.closed_form.subs(v, strength * ETA / 2)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 20))
    w_true = np.zeros(20)
    w_true[:3] = [2.0, -1.5, 1.0]
    y = X @ w_true + 0.1 * rng.standard_normal(50)
    w_prox, _ = proximal_fit(X, y, l1=0.1)
    w_sub = np.zeros(20)
    step = 0.01
    for _ in range(3000):  # subgradient descent on the same objective
        grad = X.T @ (X @ w_sub - y) / 50 + 0.1 * np.sign(w_sub)
        w_sub -= step * grad
    zeros_prox, zeros_sub = int((w_prox == 0).sum()), int((w_sub == 0).sum())
    ok = inside == 0 and zeros_prox > 0 and zeros_sub == 0
    return Evidence(
        ClaimVerdict.holds(ok),
        (DERIVATION, NUMERIC),
        f"the derived prox is 0 for |v| <= eta*l1 (at v = eta*l1/2 it is {inside}); on a sparse "
        f"problem the proximal solution has {zeros_prox}/20 exact zeros, 3000 subgradient steps "
        f"leave {zeros_sub}/20",
    )


def l1_feature_selection() -> Evidence:
    zeros = l1_zeros()
    verdict = ClaimVerdict.CONDITIONAL if zeros.verdict is ClaimVerdict.TRUE else ClaimVerdict.FALSE
    return Evidence(
        verdict,
        (DERIVATION, NUMERIC),
        zeros.details
        + ": zeros, hence feature selection, come from the proximal step (or any exact "
        "lasso solver), not from adding l1*sign(w) to SGD's gradient",
    )


def half_convenience() -> Evidence:
    """Conditional exactly when dropping the ½ only rescales λ by 2 (a convention, not a need):
    the derivatives of the L2 penalty in PyTorch's convention (½) and in Keras' (no ½)."""
    with_half, without = (
        sp.diff(Penalty.create(l2=LAMBDA, half=half).coordinate(PARAM), PARAM)
        for half in (True, False)
    )
    rescaled = sp.simplify(without - 2 * with_half) == 0 and with_half != 0
    return Evidence(
        ClaimVerdict.CONDITIONAL if rescaled else ClaimVerdict.FALSE,
        (DERIVATION,),
        f"d/dw (lambda/2 w^2) = {with_half}, d/dw (lambda w^2) = {without}: the 1/2 only rescales "
        "lambda by 2; minimisers and dynamics are the same after lambda -> 2 lambda, so it is a "
        "convenience (PyTorch's weight_decay assumes it, Keras' l2 does not), not a need",
    )


def squared_norm() -> Evidence:
    ws = sp.symbols("w1:4", real=True)
    squared = [sp.diff(sum(x**2 for x in ws), x) for x in ws]
    norm = [sp.simplify(sp.diff(sp.sqrt(sum(x**2 for x in ws)), x)) for x in ws]
    separable = all(e.free_symbols == {x} for e, x in zip(squared, ws, strict=True))
    coupled = all(len(e.free_symbols) == 3 for e in norm)
    verdict = ClaimVerdict.CONDITIONAL if separable and coupled else ClaimVerdict.FALSE
    return Evidence(
        verdict,
        (DERIVATION,),
        f"grad ||w||^2 = ({', '.join(map(str, squared))}) is separable; grad ||w|| = "
        f"({', '.join(map(str, norm))}) couples all coordinates and is undefined at w = 0. The "
        "stated reason ('the sum of derivatives equals the derivative of the sum') holds for any "
        "sum, so it is not what distinguishes them",
    )


def lambda_zero_and_norm() -> Evidence:
    penalised = derive_gradients(Problem.create("squared_error", l2=LAMBDA)).weights
    lam_zero = penalised.xreplace({LAMBDA: 0}).doit()
    plain = derive_gradients(Problem.create("squared_error")).weights.doit()
    recovers = lam_zero == plain
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((30, 8)), rng.standard_normal(30)
    lams = np.geomspace(1e-3, 1e3, 60)
    W, _ = ridge_path(X, y, lams)
    norms = np.linalg.norm(W, axis=1)
    decreasing = bool(np.all(np.diff(norms) < 0))
    return Evidence(
        ClaimVerdict.holds(recovers and decreasing),
        (DERIVATION, NUMERIC),
        f"with lambda = 0 the gradient is {to_text(lam_zero)} (the plain loss's); ||w(lambda)|| on a ridge "
        f"path of 60 values falls from {norms[0]:.3g} to {norms[-1]:.3g}, strictly (each SVD component "
        "is multiplied by s/(s^2 + n lambda), decreasing in lambda)",
    )


def sgd_update_formula() -> Evidence:
    weights, w = _sgd_update("squared_error", l2=LAM)
    decays = sp.simplify(_coefficient(weights, w) - (1 - ETA * LAM)) == 0
    return Evidence(
        ClaimVerdict.holds(decays),
        (DERIVATION,),
        f"derived: w <- {to_text(weights)} with z_i = w.T*x_i + b",
    )


def any_model() -> Evidence:
    added, plain_terms = [], []
    for loss in ("squared_error", "logistic", "softmax"):
        with_decay = derive_gradients(Problem.create(loss, l2=LAM))
        plain = derive_gradients(Problem.create(loss)).weights
        difference = sp.MatAdd(with_decay.weights, -plain).doit()
        added.append(to_text(difference))
        plain_terms.append(difference == LAM * with_decay.model.weights)
    return Evidence(
        ClaimVerdict.holds(all(plain_terms)),
        (DERIVATION,),
        f"the L2 term adds {', '.join(added)} to the gradient of the squared error, logistic and "
        "softmax losses alike",
    )


def two_types() -> Evidence:
    l2, w = _sgd_update("squared_error", l2=LAM)
    l1, _ = _sgd_update("squared_error", l1=LAM)
    multiplicative = sp.simplify(_coefficient(l2, w) - (1 - ETA * LAM)) == 0
    additive = _coefficient(l1, w) == 1 and (
        sp.simplify(_coefficient(l1, ElementwiseSign(w)) + ETA * LAM) == 0
    )
    return Evidence(
        ClaimVerdict.holds(not (multiplicative and additive)),
        (DERIVATION,),
        f"L2: w <- {to_text(l2)} multiplies w by (1 - eta*lam): a decay; L1: w <- {to_text(l1)} subtracts "
        "a constant eta*lam*sign(w): not a decay. 'Weight decay' is the L2 case (for plain SGD)",
    )


def l1_half() -> Evidence:
    wd = sp.Symbol("wd", positive=True)
    derivative = sp.diff(wd * sp.Abs(PARAM) / 2, PARAM)
    return Evidence(
        ClaimVerdict.holds(derivative != wd * sp.sign(PARAM) / 2),
        (DERIVATION,),
        f"d/dw (wd*|w|/2) = {derivative}: no factor 2 appears in the derivative of |w|, so the /2 "
        "simplifies nothing; it only halves the strength",
    )


def l2_derivatives() -> Evidence:
    wd = sp.Symbol("wd", positive=True)
    full, half = sp.diff(wd * PARAM**2, PARAM), sp.diff(wd * PARAM**2 / 2, PARAM)
    return Evidence(
        ClaimVerdict.holds(full == 2 * wd * PARAM and half == wd * PARAM),
        (DERIVATION,),
        f"d/dw (wd*w^2) = {full}; d/dw (wd*w^2/2) = {half}",
    )


def monomials() -> Evidence:
    counts = []
    for k in range(1, 5):
        xs = sp.symbols(f"x1:{k + 1}")
        for d in range(0, 5):
            found = sp.polys.monomials.itermonomials(xs, d, d)
            counts.append(len(set(found)) == math.comb(k - 1 + d, k - 1))
    return Evidence(
        ClaimVerdict.holds(all(counts)),
        (DERIVATION,),
        "counted with SymPy for k = 1..4 variables and degree d = 0..4: always C(k-1+d, k-1)",
    )
