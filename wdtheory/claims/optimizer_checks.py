"""Checks of the claims about optimizers: each derives its verdict with
:func:`~wdtheory.analysis.compare.compare` (a proof or an exact counterexample),
:func:`~wdtheory.analysis.fixed_points.fixed_point` or the unrolled
:class:`~wdtheory.optim.dynamics.Dynamics`, from the typed results they return.

The claims are general statements, so their optimizers are read with every left-out
hyperparameter symbolic (:func:`general`); a spec with numbers in it (a run to convergence) is
read as its library reads it."""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

from wdtheory.analysis.compare import MAX_STEPS, Comparison, Verdict, compare
from wdtheory.analysis.convert import convert
from wdtheory.analysis.fixed_points import fixed_point, ridge_distance, run_to_convergence
from wdtheory.analysis.maps import primed
from wdtheory.claims.engine import ClaimVerdict, Evidence, EvidenceKind
from wdtheory.core.notation import EPSILON, ETA, GRAD, KAPPA, LAMBDA, MU, PARAM, START
from wdtheory.core.printing import to_text
from wdtheory.core.roundoff import roundoff_text
from wdtheory.optim.dynamics import (
    CURVATURE,
    MINIMUM,
    Dynamics,
    quadratic_gradients,
    schedule_at,
)
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.transforms import Trace

__all__ = [
    "adam_differs",
    "conversions",
    "decay_name",
    "decoupling_only_tuning",
    "early_stopping",
    "ema_decay_part",
    "fixed_points_decoupled",
    "fixed_points_ridge",
    "keras_velocity",
    "libraries_add_to_gradient",
    "loss_scaling",
    "momentum_differs",
    "nesterov_dampening",
    "paper_map",
    "ridge_gd_limit",
    "sgd_equivalence",
    "vanilla_only",
    "weight_decay_is_l2",
    "zero_start_ema",
]

PROOF, COUNTEREXAMPLE, FIXED_POINT = (
    EvidenceKind.PROOF,
    EvidenceKind.COUNTEREXAMPLE,
    EvidenceKind.FIXED_POINT,
)
DERIVATION, NUMERIC = EvidenceKind.DERIVATION, EvidenceKind.NUMERIC


def general(spec: str) -> Optimizer:
    """The optimizer with every hyperparameter the spec leaves out a symbol."""
    return Optimizer.from_spec(spec, symbolic=True)


@cache
def compared(a: str, b: str) -> Comparison:
    """The comparison of two general specs, computed once per run (claims share pairs)."""
    return compare(general(a), general(b))


def same(a: str, b: str) -> bool:
    return compared(a, b).verdict.same_algorithm


def describe(a: str, b: str) -> str:
    """The comparison of two general specs in one sentence: the first difference, or the map."""
    return sentence(compared(a, b))


def sentence(c: Comparison) -> str:
    """A comparison in one sentence: the first difference, or the map."""
    a, b = c.a.text, c.b.text
    if c.first_difference is not None:
        return (
            f"{a} vs {b}: different; first difference at step {c.first_difference}: "
            f"w_B - w_A = {to_text(c.difference)}"
        )
    if not c.verdict.same_algorithm:
        return f"{a} vs {b}: {c.verdict}"
    mapping = ", ".join(
        f"{k} = {to_text(v)}"
        for k, v in {**c.hyper_map, **c.state_map}.items()
        if to_text(k).removesuffix(f"_{c.mapped}") != to_text(v)
    )
    return (
        f"{a} vs {b}: {c.verdict}"
        + (f" with {mapping}" if mapping else "")
        + " (proved symbolically)"
    )


def _fixed(spec: str) -> str:
    optimizer = general(spec)
    return f"{optimizer.text}: {fixed_point(optimizer).summary}"


def sgd_equivalence() -> Evidence:
    pairs = [
        ("torch.sgd(momentum=0)", "sgdw(momentum=0)"),
        ("sgd(momentum=0, schedule=true)", "sgdw(momentum=0, schedule=true)"),
    ]
    return Evidence(
        ClaimVerdict.holds(all(same(*p) for p in pairs)),
        (PROOF,),
        "; ".join(describe(*p) for p in pairs),
    )


def paper_map() -> Evidence:
    """The map holds, under any schedule (the paper's presets carry s_t and compare gives it to
    the library's rule too), for AdamW and momentum-free SGDW. With momentum, even with the map
    put in, the two first differ by a term that vanishes when the schedule does not change."""
    pairs = [("sgdw(momentum=0)", "paper.sgdw(beta1=0)"), ("torch.adamw", "paper.adamw")]
    maps = [compared(*p).hyper_map for p in pairs]
    mapped = [m.get(primed(LAMBDA)) for m in maps]
    paper_sgdw = general("paper.sgdw(beta1=mu)").bind({"weight_decay": ETA * LAMBDA})
    momentum = compare(general("sgdw(momentum=mu, dampening=0)"), paper_sgdw)
    constant = {schedule_at(k): schedule_at(1) for k in range(2, MAX_STEPS + 1)}
    ok = (
        all(same(*p) for p in pairs)
        and all(value is not None and sp.simplify(value - ETA * LAMBDA) == 0 for value in mapped)
        and momentum.verdict is Verdict.DIFFERENT
        and momentum.confirmed
        and sp.simplify(momentum.difference.xreplace(constant)) == 0
    )
    return Evidence(
        ClaimVerdict.holds(ok),
        (PROOF, COUNTEREXAMPLE),
        "; ".join(describe(*p) for p in pairs)
        + ". So lambda_paper = eta * lambda_library, for every schedule s_t. With momentum and "
        "that map: " + sentence(momentum) + " (0 when the schedule is constant)",
    )


def momentum_differs() -> Evidence:
    pairs = [
        ("torch.sgd(momentum=mu, dampening=0)", "sgdw(momentum=mu, dampening=0)"),
        ("torch.sgd(momentum=mu, nesterov=true)", "sgdw(momentum=mu, nesterov=true)"),
        (
            "sgd(momentum=mu, dampening=mu, momentum_start=zero)",
            "sgdw(momentum=mu, dampening=mu, momentum_start=zero)",
        ),
    ]
    return Evidence(
        ClaimVerdict.holds(not any(same(*p) for p in pairs)),
        (COUNTEREXAMPLE,),
        "; ".join(describe(*p) for p in pairs),
    )


def adam_differs() -> Evidence:
    pair = ("torch.adam", "torch.adamw")
    return Evidence(ClaimVerdict.holds(not same(*pair)), (COUNTEREXAMPLE,), describe(*pair))


def keras_velocity() -> Evidence:
    """The same algorithm at a constant learning rate; under a schedule Keras' velocity holds
    steps taken with past learning rates, and they differ."""
    pair = (
        "torch.sgd(momentum=mu, dampening=0, weight_decay=0)",
        "keras.sgd(momentum=mu, weight_decay=0)",
    )
    scheduled = compare(general(pair[0]).scheduled(), general(pair[1]).scheduled())
    ok = (
        same(*pair)
        and scheduled.verdict is Verdict.DIFFERENT
        and scheduled.confirmed
        and scheduled.first_difference == 2
    )
    return Evidence(
        ClaimVerdict.holds(ok),
        (PROOF, COUNTEREXAMPLE),
        f"constant learning rate: {describe(*pair)}; under a schedule (eta -> eta*s_t): "
        + sentence(scheduled),
    )


def fixed_points_ridge() -> Evidence:
    specs = [
        "torch.sgd(momentum=mu, dampening=0)",
        "torch.adam",
        "torch.rmsprop",
        "torch.adagrad",
        "lion(decay=coupled)",
    ]
    ridge = [fixed_point(general(s)).ridge_strength for s in specs]
    ok = all(r is not None and sp.simplify(r - LAMBDA) == 0 for r in ridge)
    return Evidence(ClaimVerdict.holds(ok), (FIXED_POINT,), "; ".join(_fixed(s) for s in specs))


def fixed_points_decoupled() -> Evidence:
    """SGDW: ridge with a rescaled lambda, derived. AdamW: no lambda_eff free of w, derived; run
    to rest, in one dimension the rest point is ridge(lambda) for lambda = c/w - h >= 0 (every
    point between 0 and the least-squares solution is), with four coordinates of different
    curvature it is away from the whole ridge path."""
    sgdw = fixed_point(general("sgdw(momentum=mu, dampening=tau)"))
    adamw = fixed_point(general("torch.adamw"))
    optimizer = Optimizer.from_spec("torch.adamw(lr=0.01, weight_decay=2)").with_defaults()
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 4))
    y = X @ np.array([3.0, -2.0, 1.0, 0.5]) + 0.1 * rng.standard_normal(30)
    w = run_to_convergence(optimizer, X, y, steps=6000)
    distance, _ = ridge_distance(w, X, y, np.geomspace(1e-4, 1e2, 400))
    x1 = X[:, :1]
    (w1,) = run_to_convergence(optimizer, x1, y, steps=6000)
    curvature, target = float(x1[:, 0] @ x1[:, 0]) / len(y), float(x1[:, 0] @ y) / len(y)
    lambda_1d = target / w1 - curvature
    ok = sgdw.is_ridge and not adamw.is_ridge and distance > 1e-2 and lambda_1d >= 0
    details = (
        f"{_fixed('sgdw(momentum=mu, dampening=tau)')} (a ridge solution, rescaled lambda); "
        f"torch.adamw: {adamw.summary} (lambda_eff would depend on w). Run to rest, "
        f"AdamW(lr=0.01, lambda=2) in one dimension stops at w = {w1:.6g}, which is "
        f"ridge(lambda = {lambda_1d:.6g}) exactly; on a 30x4 least-squares problem it stops at "
        f"{np.round(w, 3).tolist()}, {distance:.3g} away from every ridge solution"
    )
    return Evidence(ClaimVerdict.holds(ok), (FIXED_POINT, NUMERIC), details)


def zero_start_ema() -> Evidence:
    """Heavy ball and the zero-start EMA with L2: a learning-rate map found in both directions;
    the EMA is not torch's dampened momentum (which copies g on step 1); and with it, as with
    heavy ball, L2 and decoupled decay differ."""
    heavy = "sgd(momentum=mu, dampening=0, momentum_start=zero)"
    ema = "sgd(momentum=mu, dampening=mu, momentum_start=zero)"
    ema_decoupled = "sgdw(momentum=mu, dampening=mu, momentum_start=zero)"
    torch_damped = "sgd(momentum=mu, dampening=mu)"
    forward, backward = compared(heavy, ema), compared(ema, heavy)
    forward_lr = forward.hyper_map.get(primed(ETA), sp.nan)
    ok = (
        forward.verdict is backward.verdict is Verdict.EQUIVALENT
        and sp.simplify(forward_lr * (1 - MU) - ETA) == 0
        and compared(torch_damped, ema).verdict is Verdict.DIFFERENT
        and compared(ema, ema_decoupled).verdict is Verdict.DIFFERENT
    )
    return Evidence(
        ClaimVerdict.holds(ok),
        (PROOF, COUNTEREXAMPLE),
        "; ".join(
            (
                sentence(forward),
                sentence(backward),
                describe(torch_damped, ema),
                describe(ema, ema_decoupled),
            )
        ),
    )


def nesterov_dampening() -> Evidence:
    """Nesterov with dampening (torch refuses it): not Nesterov without dampening at any
    learning rate or decay, and L2 still differs from decoupled decay under it."""
    damped = "sgd(momentum=mu, dampening=tau, nesterov=true)"
    plain = "sgd(momentum=mu, nesterov=true)"
    decoupled = "sgdw(momentum=mu, dampening=tau, nesterov=true)"
    ok = (
        compared(damped, plain).verdict is Verdict.DIFFERENT
        and compared(damped, plain).first_difference == 2
        and compared(damped, decoupled).verdict is Verdict.DIFFERENT
    )
    return Evidence(
        ClaimVerdict.holds(ok),
        (COUNTEREXAMPLE,),
        f"{describe(damped, plain)}; {describe(damped, decoupled)}",
    )


def loss_scaling() -> Evidence:
    """A loss scaled by kappa: the maps that undo it, derived for Adam + L2 and for AdamW, and
    Adam + L2 still differs from AdamW under it."""
    adam = compared("adam(loss_scale=kappa)", "adam")
    adamw = compared("adamw(loss_scale=kappa)", "adamw")
    apart = compared("adam(weight_decay=lam, loss_scale=kappa)", "adamw(weight_decay=lam)")
    wanted_adam = {primed(LAMBDA): LAMBDA / KAPPA, primed(EPSILON): EPSILON / KAPPA}
    wanted_adamw = {primed(EPSILON): EPSILON / KAPPA}

    def matches(c: Comparison, wanted: dict) -> bool:
        return (
            c.verdict is Verdict.EQUIVALENT
            and set(c.hyper_map) == set(wanted)
            and all(sp.simplify(c.hyper_map[k] - v) == 0 for k, v in wanted.items())
        )

    ok = matches(adam, wanted_adam) and matches(adamw, wanted_adamw)
    ok = ok and apart.verdict is Verdict.DIFFERENT
    return Evidence(
        ClaimVerdict.holds(ok),
        (PROOF, COUNTEREXAMPLE),
        f"{sentence(adam)}; {sentence(adamw)}; {sentence(apart)}",
    )


def conversions() -> Evidence:
    optax = ("torch.adamw", "optax.adamw(eps_root=0)")
    keras_pair = ("torch.adam(weight_decay=0)", "keras.adam(weight_decay=0)")
    keras = compared(*keras_pair)
    epsilon = [p for p in keras.no_constant_value if p.symbol == primed(EPSILON)]
    to_keras = convert(Optimizer.from_spec("torch.adam(weight_decay=0)"), "keras")
    only_epsilon = [n.comparison.b.name for n in to_keras.near]
    converted = convert(
        Optimizer.from_spec("torch.sgd(lr=0.1, momentum=0.9, dampening=0, weight_decay=0.001)"),
        "keras",
    )
    ok = (
        same(*optax)
        and not keras.verdict.same_algorithm
        and bool(epsilon)
        and "keras.adam" in only_epsilon
        and converted.construction
        and converted.target.values["weight_decay"] == sp.Rational(1, 1000)
    )
    no_map = epsilon[0].sentence if epsilon else "no proof that no epsilon map exists"
    near = (
        f"with epsilon = 0 in both they are the same algorithm (proved), so they differ only where "
        f"epsilon enters (so do {', '.join(n for n in only_epsilon if n != 'keras.adam') or 'none'})"
        if "keras.adam" in only_epsilon
        else f"with epsilon = 0 they are not proved the same (near misses: {only_epsilon or 'none'})"
    )
    sgd = (
        f"is no Keras optimizer but {converted.code}"
        if converted.construction
        else f"converts to {converted.code or 'nothing'}"
    )
    details = (
        f"{describe(*optax)}; {describe(*keras_pair)}; {no_map}; {near}; torch.sgd(lr=0.1, "
        f"momentum=0.9, dampening=0, weight_decay=0.001) {sgd}"
    )
    return Evidence(ClaimVerdict.holds(ok), (PROOF,), details)


def ridge_gd_limit() -> Evidence:
    fixed = fixed_point(general("torch.sgd(momentum=0)"))
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 5)), rng.standard_normal(40)
    lam = 0.3
    w = run_to_convergence(
        Optimizer.from_spec(f"torch.sgd(lr=0.1, momentum=0, weight_decay={lam})"), X, y, steps=4000
    )
    closed = np.linalg.solve(X.T @ X / 40 + lam * np.eye(5), X.T @ y / 40)
    gap = float(np.abs(w - closed).max())
    ok = fixed.is_ridge and sp.simplify(fixed.ridge_strength - LAMBDA) == 0 and gap < 1e-10
    return Evidence(
        ClaimVerdict.holds(ok),
        (FIXED_POINT, NUMERIC),
        f"{fixed.summary}; gradient descent run to rest differs from the closed form by "
        f"{roundoff_text(gap)}",
    )


def early_stopping() -> Evidence:
    dynamics = Dynamics(general("torch.sgd(momentum=0, weight_decay=0)"))
    k = sp.Symbol("k", integer=True)
    steps = dynamics.trajectory(quadratic_gradients, start=sp.S.Zero)
    filter_k = 1 - (1 - ETA * CURVATURE) ** k
    ok = all(sp.simplify(next(steps) - MINIMUM * filter_k.subs(k, i)) == 0 for i in range(1, 7))
    return Evidence(
        ClaimVerdict.holds(ok),
        (DERIVATION,),
        f"from w_0 = 0 on h/2 (w - w_min)^2, gradient descent's k-th iterate is w_min*({to_text(filter_k)}) "
        "(checked exactly for k = 1..6): a spectral filter 1-(1-eta*h)^k beside ridge's h/(h+lambda); "
        "both keep directions of large curvature h and suppress small ones, with lambda ~ 1/(eta*k)",
    )


def decay_name() -> Evidence:
    dynamics = Dynamics(general("torch.sgd(momentum=0)"))
    steps = dynamics.trajectory(lambda k, w: sp.S.Zero)
    ok = all(sp.simplify(next(steps) - (1 - ETA * LAMBDA) ** i * START) == 0 for i in range(1, 6))
    return Evidence(
        ClaimVerdict.holds(ok),
        (DERIVATION,),
        "with a zero data gradient, w_k = (1 - eta*lambda)^k * w_0 (checked exactly for k = 1..5)",
    )


def libraries_add_to_gradient() -> Evidence:
    modes = {
        name: Optimizer.from_spec(f"{name}(weight_decay=lam)").decay_mode
        for name in (
            "torch.sgd",
            "torch.adam",
            "torch.rmsprop",
            "torch.adagrad",
            "torch.adamw",
            "keras.sgd",
            "keras.adam",
            "keras.adamw",
            "optax.adamw",
            "optax.lion",
        )
    }
    coupled = [n for n, m in modes.items() if m == "coupled"]
    other = [f"{n} ({m})" for n, m in modes.items() if m != "coupled"]
    return Evidence(
        ClaimVerdict.of_all([m == "coupled" for m in modes.values()]),
        (DERIVATION,),
        f"weight_decay is added to the gradient in {', '.join(coupled)}; not in {', '.join(other)}",
    )


def vanilla_only() -> Evidence:
    checks = [
        sgd_equivalence().verdict is ClaimVerdict.TRUE,
        momentum_differs().verdict is ClaimVerdict.TRUE,
        adam_differs().verdict is ClaimVerdict.TRUE,
    ]
    return Evidence(
        ClaimVerdict.holds(all(checks)),
        (PROOF, COUNTEREXAMPLE),
        "; ".join(
            [
                describe("torch.sgd(momentum=0)", "sgdw(momentum=0)"),
                describe("torch.sgd(momentum=mu, dampening=0)", "sgdw(momentum=mu, dampening=0)"),
                describe("torch.adam", "torch.adamw"),
            ]
        ),
    )


def ema_decay_part() -> Evidence:
    optimizer = general("sgd(momentum=alpha_m, dampening=alpha_m)")
    dynamics = Dynamics(optimizer)
    (alpha,) = optimizer.values["momentum"].free_symbols
    ws = [sp.Symbol(f"w_{i}", real=True) for i in range(3)]
    (trace,) = (t for t in optimizer.chain.transforms if isinstance(t, Trace))
    b = trace.buffer
    # the decay part of the third update with the iterates held as symbols w_0, w_1, w_2
    step = dynamics.step_map(False)
    b1 = dynamics.step_map(True)[b].xreplace({GRAD: 0, PARAM: ws[0]})
    b2 = step[b].xreplace({b: b1, GRAD: 0, PARAM: ws[1]})
    b3 = step[b].xreplace({b: b2, GRAD: 0, PARAM: ws[2]})
    expected = LAMBDA * ((1 - alpha) * ws[2] + (1 - alpha) * alpha * ws[1] + alpha**2 * ws[0])
    return Evidence(
        ClaimVerdict.holds(sp.simplify(b3 - expected) == 0),
        (DERIVATION,),
        f"with an EMA momentum (dampening = momentum = alpha) and L2, the buffer's decay part after 3 "
        f"steps is {to_text(sp.factor(b3))}: (1 - alpha)*wd*w_now plus a combination of earlier weights "
        f"(the first step copies the gradient, hence alpha^2*w_0), subtracted times lr = {ETA}",
    )


def weight_decay_is_l2() -> Evidence:
    return Evidence(
        ClaimVerdict.of_all(
            [
                same("torch.sgd(momentum=0)", "sgdw(momentum=0)"),
                same("torch.sgd(momentum=mu, dampening=0)", "sgdw(momentum=mu, dampening=0)"),
                same("torch.adam", "torch.adamw"),
            ]
        ),
        (PROOF, COUNTEREXAMPLE),
        "the same for plain SGD, different with momentum or Adam (see the optimizer claims)",
    )


def decoupling_only_tuning() -> Evidence:
    sgd = same("torch.sgd(momentum=0)", "sgdw(momentum=0)")
    momentum = fixed_point(general("sgdw(momentum=mu, dampening=tau)")).is_ridge
    adamw = fixed_point(general("torch.adamw")).is_ridge
    verdict = ClaimVerdict.CONDITIONAL if sgd and momentum and not adamw else ClaimVerdict.FALSE
    return Evidence(
        verdict,
        (PROOF, FIXED_POINT),
        "plain SGD: decoupling changes nothing; SGD with momentum: it changes the path and rescales "
        "lambda at the fixed point (a tuning matter); Adam: AdamW's fixed point is not a ridge solution "
        "at all, so decoupling changes what is learned, not only the tuning",
    )
