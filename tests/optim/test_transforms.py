"""Gradient transformations: each one-step map is the textbook formula.

Every expected formula below is written out by hand from the library it reproduces (PyTorch's
``torch/optim/*.py``, Keras 3's ``update_step``, optax's ``transform.py``), independently of
:mod:`wdtheory.optim.transforms`, and compared exactly: ``sympy.simplify`` of the difference must be 0.
Where two maps must *differ*, an exact counterexample (rational values substituted) proves it.

Symbols shared with the code under test: ``w`` (:data:`PARAM`), ``g`` (:data:`GRAD`), ``t``
(:data:`STEP`), ``s_t`` (:data:`SCHEDULE`); state symbols are looked up by name in the chain.
Hyperparameters are the test's own symbols, passed in.
"""

from __future__ import annotations

import pytest
import sympy as sp

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.notation import ETA, GRAD, MU, PARAM, SCHEDULE, STEP
from wdtheory.core.notation import LAMBDA as LAM
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES
from wdtheory.optim.transforms import (
    AddDecayedWeights,
    AddSignOfWeights,
    Assign,
    Chain,
    Program,
    ProximalL1,
    Scale,
    ScaleByAdagrad,
    ScaleByAdam,
    ScaleByLion,
    ScaleByRms,
    StateSlot,
    Trace,
    chain,
)

w, g, t, s_t = PARAM, GRAD, STEP, SCHEDULE
eta = sp.Symbol("eta", positive=True)
lam = sp.Symbol("lam", positive=True)
mu = sp.Symbol("mu", positive=True)
tau = sp.Symbol("tau", positive=True)
beta1 = sp.Symbol("beta1", positive=True)
beta2 = sp.Symbol("beta2", positive=True)
eps = sp.Symbol("eps", positive=True)
eps_root = sp.Symbol("eps_root", positive=True)
alpha = sp.Symbol("alpha", positive=True)
G0 = sp.Symbol("G0", positive=True)


# --------------------------------------------------------------------------- helpers


def positive_corrections(expr: sp.Expr) -> sp.Expr:
    """Each ``beta**t`` replaced by ``1 - c_beta`` with ``c_beta > 0``.

    For 0 < beta < 1 the bias correction ``1 - beta**t`` is positive, so that
    ``sqrt(v / (1 - beta**t)) = sqrt(v) / sqrt(1 - beta**t)``; SymPy's assumptions cannot say
    0 < beta < 1, so the correction itself is named as a positive symbol.
    """
    powers = {p for p in expr.atoms(sp.Pow) if p.exp == t}
    return expr.xreplace({p: 1 - sp.Symbol(f"c_{p.base}", positive=True) for p in powers})


def same(a: sp.Expr, b: sp.Expr) -> bool:
    """Exact symbolic equality: the difference simplifies to 0."""
    diff = sp.sympify(a) - sp.sympify(b)
    return diff == 0 or sp.simplify(positive_corrections(diff)) == 0


def assert_maps_equal(actual: dict, expected: dict) -> None:
    """Same targets, and every new value equal to the textbook one."""
    assert set(actual) == set(expected), (sorted(map(str, actual)), sorted(map(str, expected)))
    for target, value in expected.items():
        assert same(actual[target], value), f"{target}: got {actual[target]}, expected {value}"


def state(c: Chain, name: str) -> sp.Symbol:
    """The state symbol called ``name`` in chain ``c``."""
    (symbol,) = [slot.symbol for slot in c.states if slot.symbol.name == name]
    return symbol


def step(c: Chain, first: bool = False) -> dict[sp.Symbol, sp.Expr]:
    return c.program(first=first).one_step()


def sgn(x: sp.Expr) -> sp.Expr:
    return sp.sign(x)


# --------------------------------------------------------------------------- Program


class TestProgram:
    """A program is executed in order: a later assignment sees the new value of an earlier one."""

    def test_later_assignment_sees_new_value(self):
        a = sp.Symbol("a", real=True)
        b = sp.Symbol("b", real=True)
        program = Program(
            (Assign(a, a + g), Assign(b, 2 * a + b), Assign(w, w - a * b)),
            (StateSlot(a), StateSlot(b)),
        )
        new_a = a + g
        new_b = 2 * new_a + b
        assert_maps_equal(program.one_step(), {a: new_a, b: new_b, w: w - new_a * new_b})

    def test_old_values_only_on_the_right(self):
        a = sp.Symbol("a", real=True)
        program = Program((Assign(a, 3 * a), Assign(a, a + 1), Assign(w, w + a)), (StateSlot(a),))
        out = program.one_step()
        assert out[a] == 3 * a + 1
        assert out[w] == w + 3 * a + 1

    def test_temporaries_are_not_in_the_one_step_map(self):
        a = sp.Symbol("a", real=True)
        tmp = sp.Symbol("tmp", real=True)
        program = Program(
            (Assign(tmp, g**2), Assign(a, a + tmp), Assign(w, w - tmp)), (StateSlot(a),)
        )
        assert program.temporaries == (tmp,)
        assert_maps_equal(program.one_step(), {a: a + g**2, w: w - g**2})

    def test_chain_program_ends_by_assigning_the_parameter(self):
        c = chain(Trace(mu), Scale(-eta))
        program = c.program()
        assert program.assignments[-1].target == w
        assert program.states == c.states


class TestChain:
    def test_nested_iterables_are_flattened_in_order(self):
        a, b, c = AddDecayedWeights(lam), Trace(mu), Scale(-eta)
        assert chain([a, b], c).transforms == (a, b, c)
        assert chain(a, (b, c)).transforms == (a, b, c)

    def test_empty_chain_is_the_identity(self):
        assert step(chain()) == {w: w + g}

    @pytest.mark.parametrize(
        "transforms, name",
        [
            ((Trace(mu), Trace(sp.Rational(1, 2))), "b"),
            ((ScaleByAdam(beta1, beta2, eps), ScaleByLion(beta1, beta2)), "m"),
            ((ScaleByAdam(beta1, beta2, eps), ScaleByAdam(beta1, beta2, eps)), "m"),
            ((ScaleByRms(alpha, eps), ScaleByRms(alpha, eps, centered=True)), "a"),
            ((ScaleByAdagrad(eps), ScaleByAdagrad(eps, G0)), "G"),
        ],
        ids=["trace-trace", "adam-lion", "adam-adam", "rms-rms", "adagrad-adagrad"],
    )
    def test_duplicate_state_names_are_refused(self, transforms, name):
        with pytest.raises(WdtheoryError, match=f"'{name}'") as info:
            chain(*transforms)
        assert "\n" not in str(info.value)

    def test_distinct_buffer_names_are_accepted(self):
        c = chain(Trace(mu, name="b1"), Trace(mu, name="b2"), Scale(-eta))
        b1, b2 = state(c, "b1"), state(c, "b2")
        assert_maps_equal(
            step(c),
            {b1: mu * b1 + g, b2: mu * b2 + mu * b1 + g, w: w - eta * (mu * b2 + mu * b1 + g)},
        )

    @pytest.mark.parametrize(
        "transform",
        [
            AddDecayedWeights(lam),
            AddSignOfWeights(lam),
            Trace(mu, tau),
            ScaleByAdam(beta1, beta2, eps, amsgrad=True),
            ScaleByRms(alpha, eps, centered=True),
            ScaleByAdagrad(eps, G0),
            ScaleByLion(beta1, beta2),
            Scale(-eta),
            ProximalL1(eta * lam),
        ],
        ids=lambda tr: type(tr).__name__,
    )
    def test_no_first_step_rule_means_the_same_program_on_step_one(self, transform):
        c = chain(transform, Scale(-eta))
        assert not c.has_first_step_rule
        assert c.program(first=True) == c.program(first=False)


# --------------------------------------------------------------------------- decay terms


class TestDecayTerms:
    def test_add_decayed_weights_is_the_l2_gradient(self):
        # d/dw (lam/2 * w**2) = lam * w
        penalty = lam / 2 * w**2
        assert_maps_equal(step(chain(AddDecayedWeights(lam))), {w: w + g + sp.diff(penalty, w)})

    def test_add_sign_of_weights_is_the_l1_subgradient(self):
        c = chain(AddSignOfWeights(lam), Scale(-eta))
        assert_maps_equal(step(c), {w: w - eta * (g + lam * sgn(w))})
        # away from 0 it is the derivative of lam*|w|
        wp = sp.Symbol("wp", positive=True)
        assert same(
            step(c)[w].subs(w, wp), (w - eta * (g + sp.diff(lam * sp.Abs(w), w))).subs(w, wp)
        )

    def test_scale(self):
        assert_maps_equal(step(chain(Scale(-eta))), {w: w - eta * g})


# --------------------------------------------------------------------------- momentum


class TestTrace:
    """PyTorch SGD (``_single_tensor_sgd``): buf = grad on step 1, later mu*buf + (1-tau)*grad."""

    def torch_sgd(self, *, nesterov: bool = False, dampening=tau) -> Chain:
        return chain(
            AddDecayedWeights(lam),
            Trace(mu, dampening, nesterov=nesterov, copy_first=True),
            Scale(-eta),
        )

    def test_torch_sgd_momentum_dampening(self):
        c = self.torch_sgd()
        b = state(c, "b")
        buffer = mu * b + (1 - tau) * (g + lam * w)
        assert c.has_first_step_rule
        assert_maps_equal(step(c), {b: buffer, w: w - eta * buffer})

    def test_torch_sgd_first_step_copies_the_gradient_without_dampening(self):
        c = self.torch_sgd()
        b = state(c, "b")
        buffer = g + lam * w
        assert_maps_equal(step(c, first=True), {b: buffer, w: w - eta * buffer})
        # the first step is not the general rule started from b = 0 (that would apply 1 - tau)
        from_zero = step(c)[w].subs(b, 0)
        assert not same(step(c, first=True)[w], from_zero)

    def test_torch_sgd_nesterov_uses_the_new_buffer(self):
        c = self.torch_sgd(nesterov=True, dampening=0)
        b = state(c, "b")
        d = g + lam * w
        buffer = mu * b + d
        assert_maps_equal(step(c), {b: buffer, w: w - eta * (d + mu * buffer)})
        assert_maps_equal(step(c, first=True), {b: d, w: w - eta * (d + mu * d)})

    def test_optax_trace_starts_from_zero(self):
        # optax trace: t <- g + mu*t, nesterov: g + mu*t_new; no first-step rule
        for nesterov in (False, True):
            c = chain(Trace(mu, nesterov=nesterov), Scale(-eta))
            b = state(c, "b")
            new = g + mu * b
            out = g + mu * new if nesterov else new
            assert not c.has_first_step_rule
            assert_maps_equal(step(c), {b: new, w: w - eta * out})
            assert_maps_equal(step(c, first=True), {b: new, w: w - eta * out})

    def test_trace_initial_state_is_zero(self):
        (slot,) = chain(Trace(mu)).states
        assert slot.init == 0


# --------------------------------------------------------------------------- Adam


class TestAdam:
    """PyTorch ``_single_tensor_adam`` / optax ``scale_by_adam`` and Keras ``Adam.update_step``."""

    @pytest.mark.parametrize("amsgrad", [False, True], ids=["adam", "amsgrad"])
    def test_bias_corrected_step(self, amsgrad):
        c = chain(ScaleByAdam(beta1, beta2, eps, amsgrad=amsgrad), Scale(-eta))
        m, v = state(c, "m"), state(c, "v")
        m_new = beta1 * m + (1 - beta1) * g
        v_new = beta2 * v + (1 - beta2) * g**2
        m_hat = m_new / (1 - beta1**t)
        expected = {m: m_new, v: v_new}
        if amsgrad:
            vmax = state(c, "v_max")
            expected[vmax] = sp.Max(vmax, v_new)  # the max is taken on the raw v
            second = sp.Max(vmax, v_new)
        else:
            second = v_new
        v_hat = second / (1 - beta2**t)
        expected[w] = w - eta * m_hat / (sp.sqrt(v_hat) + eps)
        assert_maps_equal(step(c), expected)

    def test_first_adam_step_from_zero_is_eta_g_over_abs_g_plus_eps(self):
        c = chain(ScaleByAdam(beta1, beta2, eps), Scale(-eta))
        m, v = state(c, "m"), state(c, "v")
        for b1, b2 in [(sp.Rational(9, 10), sp.Rational(999, 1000)), (0, sp.Rational(1, 2))]:
            first = step(c)[w].subs({m: 0, v: 0, t: 1, beta1: b1, beta2: b2})
            assert same(first, w - eta * g / (sp.Abs(g) + eps))

    def test_eps_root_sits_inside_the_root(self):
        c = chain(ScaleByAdam(beta1, beta2, eps, eps_root), Scale(-eta))
        m, v = state(c, "m"), state(c, "v")
        m_hat = (beta1 * m + (1 - beta1) * g) / (1 - beta1**t)
        v_hat = (beta2 * v + (1 - beta2) * g**2) / (1 - beta2**t)
        assert same(step(c)[w], w - eta * m_hat / (sp.sqrt(v_hat + eps_root) + eps))

    @pytest.mark.parametrize("amsgrad", [False, True], ids=["adam", "amsgrad"])
    def test_keras_epsilon_hat(self, amsgrad):
        # Keras: alpha = lr*sqrt(1-b2^t)/(1-b1^t); w <- w - alpha*m/(sqrt(v)+eps)
        c = chain(ScaleByAdam(beta1, beta2, eps, amsgrad=amsgrad, epsilon_hat=True), Scale(-eta))
        m, v = state(c, "m"), state(c, "v")
        m_new = beta1 * m + (1 - beta1) * g
        v_new = beta2 * v + (1 - beta2) * g**2
        second = sp.Max(state(c, "v_max"), v_new) if amsgrad else v_new
        step_size = eta * sp.sqrt(1 - beta2**t) / (1 - beta1**t)
        assert same(step(c)[w], w - step_size * m_new / (sp.sqrt(second) + eps))

    @pytest.mark.parametrize("amsgrad", [False, True], ids=["adam", "amsgrad"])
    def test_keras_form_is_torch_form_with_rescaled_eps(self, amsgrad):
        """sqrt(c2)/c1 * m/(sqrt(v) + e) = (m/c1) / (sqrt(v/c2) + e/sqrt(c2)), c_i = 1 - beta_i^t.

        So Keras with epsilon-hat e equals PyTorch with eps = e / sqrt(1 - beta2^t); equivalently
        PyTorch with eps equals Keras with epsilon-hat eps * sqrt(1 - beta2^t).
        """

        def update(epsilon: sp.Expr, hat: bool) -> sp.Expr:
            c = chain(ScaleByAdam(beta1, beta2, epsilon, amsgrad=amsgrad, epsilon_hat=hat))
            return step(c)[w]

        c2 = 1 - beta2**t
        assert same(update(eps, hat=True), update(eps / sp.sqrt(c2), hat=False))
        assert same(update(eps, hat=False), update(eps * sp.sqrt(c2), hat=True))
        # not the other way round: Keras(eps) != torch(eps * sqrt(c2)) (exact counterexample)
        wrong = update(eps, hat=True) - update(eps * sp.sqrt(c2), hat=False)
        point = {beta1: sp.Rational(9, 10), beta2: sp.Rational(1, 2), eps: 1, t: 1, g: 1, w: 0}
        point |= {
            s.symbol: 0 for s in chain(ScaleByAdam(beta1, beta2, eps, amsgrad=amsgrad)).states
        }
        assert wrong.subs(point) != 0

    def test_adam_states_start_at_zero(self):
        c = chain(ScaleByAdam(beta1, beta2, eps, amsgrad=True))
        assert [s.symbol.name for s in c.states] == ["m", "v", "v_max"]
        assert all(s.init == 0 for s in c.states)


# --------------------------------------------------------------------------- RMSprop, Adagrad


class TestRmsprop:
    """PyTorch ``_single_tensor_rmsprop``: square_avg, optional grad_avg (centered), momentum."""

    @pytest.mark.parametrize("centered", [False, True], ids=["plain", "centered"])
    @pytest.mark.parametrize("momentum", [False, True], ids=["no-momentum", "momentum"])
    def test_rmsprop(self, centered, momentum):
        transforms = [AddDecayedWeights(lam), ScaleByRms(alpha, eps, centered)]
        if momentum:
            transforms.append(Trace(mu))
        c = chain(*transforms, Scale(-eta))
        a = state(c, "a")
        d = g + lam * w
        a_new = alpha * a + (1 - alpha) * d**2
        expected = {a: a_new}
        if centered:
            gbar = state(c, "gbar")
            gbar_new = alpha * gbar + (1 - alpha) * d  # grad_avg.lerp_(grad, 1 - alpha)
            expected[gbar] = gbar_new
            avg = sp.sqrt(a_new - gbar_new**2) + eps
        else:
            avg = sp.sqrt(a_new) + eps
        if momentum:
            b = state(c, "b")
            buf = mu * b + d / avg  # buf.mul_(momentum).addcdiv_(grad, avg)
            expected[b] = buf
            expected[w] = w - eta * buf
        else:
            expected[w] = w - eta * d / avg
        assert_maps_equal(step(c), expected)


class TestAdagrad:
    """PyTorch ``_single_tensor_adagrad``: state_sum += grad^2; w -= clr*grad/(sqrt(sum)+eps)."""

    def test_adagrad(self):
        c = chain(AddDecayedWeights(lam), ScaleByAdagrad(eps, G0), Scale(-eta))
        G = state(c, "G")
        d = g + lam * w
        assert_maps_equal(step(c), {G: G + d**2, w: w - eta * d / (sp.sqrt(G + d**2) + eps)})

    def test_initial_accumulator(self):
        c = chain(ScaleByAdagrad(eps, G0), Scale(-eta))
        (slot,) = c.states
        assert slot.init == G0
        first = step(c)[w].subs(slot.symbol, slot.init)
        assert same(first, w - eta * g / (sp.sqrt(G0 + g**2) + eps))

    def test_torch_lr_decay_and_initial_accumulator(self):
        # clr = lr / (1 + (step - 1) * lr_decay); state_sum starts at initial_accumulator_value
        opt = Optimizer.from_spec("torch.adagrad", symbolic=True)
        E, LD, EPS, L, G0_ = (
            ROLES[k].symbol
            for k in ("lr", "lr_decay", "eps", "weight_decay", "initial_accumulator_value")
        )
        G = state(opt.chain, "G")
        d = g + L * w
        clr = E / (1 + (t - 1) * LD)
        assert_maps_equal(
            step(opt.chain), {G: G + d**2, w: w - clr * d / (sp.sqrt(G + d**2) + EPS)}
        )
        assert opt.chain.states[0].init == G0_
        defaults = opt.with_defaults()
        assert defaults.chain.states[0].init == 0
        assert not step(defaults.chain)[w].has(t)


# --------------------------------------------------------------------------- Lion


class TestLion:
    """optax ``scale_by_lion``: sign(b1*m + (1-b1)*g) with the OLD m, then m <- b2*m + (1-b2)*g."""

    def test_lion(self):
        c = chain(ScaleByLion(beta1, beta2), AddDecayedWeights(lam), Scale(-eta))
        m = state(c, "m")
        assert_maps_equal(
            step(c),
            {
                m: beta2 * m + (1 - beta2) * g,
                w: w - eta * (sgn(beta1 * m + (1 - beta1) * g) + lam * w),
            },
        )
        assert [a.name for a in c.program().temporaries] == ["c"]

    def test_the_sign_does_not_use_the_new_m(self):
        c = chain(ScaleByLion(beta1, beta2), Scale(-eta))
        m = state(c, "m")
        m_new = beta2 * m + (1 - beta2) * g
        with_new_m = w - eta * sgn(beta1 * m_new + (1 - beta1) * g)
        point = {m: 1, g: -5, beta1: sp.Rational(9, 10), beta2: sp.Rational(1, 10), eta: 1, w: 0}
        assert step(c)[w].subs(point) == -1  # sign(0.9 - 0.5) = +1
        assert with_new_m.subs(point) == 1  # sign(0.9*(-4.4) - 0.5) = -1


# --------------------------------------------------------------------------- proximal L1


class TestProximalL1:
    """Soft-thresholding: prox of c|w| at z is z - c (z > c), z + c (z < -c), 0 (|z| <= c)."""

    def chain(self) -> Chain:
        return chain(Scale(-eta), ProximalL1(eta * lam))

    def test_soft_thresholding_regions(self):
        new_w = step(self.chain())[w]
        z = w - eta * g
        threshold = eta * lam
        d = sp.Symbol("d", positive=True)
        # above the threshold: z = threshold + d
        above = new_w.subs(g, sp.solve(sp.Eq(z, threshold + d), g)[0])
        assert same(above, d)
        # below minus the threshold: z = -threshold - d
        below = new_w.subs(g, sp.solve(sp.Eq(z, -threshold - d), g)[0])
        assert same(below, -d)

    @pytest.mark.parametrize(
        "z",
        [sp.Rational(-3, 2), -1, sp.Rational(-1, 3), 0, sp.Rational(1, 3), 1, sp.Rational(5, 2)],
    )
    def test_soft_thresholding_at_points(self, z):
        c = 1  # eta * lam = 1 at the point below
        expected = sp.Piecewise((z - c, z > c), (z + c, z < -c), (0, True))
        new_w = step(self.chain())[w]
        value = new_w.subs({eta: 1, lam: 1, w: z, g: 0})
        assert value == expected

    def test_proximal_step_is_the_argmin(self):
        # prox_{c|.|}(z) minimises (x - z)^2/2 + c|x|; check at z = 3, c = 1 -> x = 2
        x = sp.Symbol("x", real=True)
        objective = (x - 3) ** 2 / 2 + sp.Abs(x)
        value = step(self.chain())[w].subs({eta: 1, lam: 1, w: 3, g: 0})
        assert value == 2
        assert all(objective.subs(x, value) <= objective.subs(x, y) for y in (0, 1, 3, 2.5, 1.5))


# --------------------------------------------------------------------------- decay position


def _sgd(decay: str, momentum: str) -> Chain:
    return Optimizer.from_spec(f"sgd(momentum={momentum}, decay={decay})", symbolic=True).chain


def _two_steps(c: Chain) -> sp.Expr:
    """The parameter after two general steps, with gradients g1 then g2."""
    one = step(c)
    g1, g2 = sp.symbols("g1 g2", real=True)
    after_first = {k: v.xreplace({g: g1}) for k, v in one.items()}
    second = one[w].xreplace({g: g2, t: t + 1})
    return second.xreplace(after_first)


class TestDecayPosition:
    """Where the decay sits in the chain is the difference between L2 and weight decay."""

    def test_plain_sgd_coupled_equals_decoupled(self):
        """Without momentum or preconditioner, L2 and weight decay give the same step."""
        E, L = ROLES["lr"].symbol, ROLES["weight_decay"].symbol
        coupled, decoupled = _sgd("coupled", "0"), _sgd("decoupled", "0")
        assert_maps_equal(step(coupled), step(decoupled))
        assert_maps_equal(step(coupled), {w: w - E * (g + L * w)})
        # the same with the decay after the learning-rate scaling (Keras' w - lr*wd*w)
        by_hand = chain(Scale(-eta), AddDecayedWeights(-eta * lam))
        assert_maps_equal(step(by_hand), step(chain(AddDecayedWeights(lam), Scale(-eta))))

    def test_sgd_momentum_coupled_and_decoupled_differ(self):
        coupled, decoupled = _sgd("coupled", "0.9"), _sgd("decoupled", "0.9")
        b = state(coupled, "b")
        L = ROLES["weight_decay"].symbol
        tau_ = ROLES["dampening"].symbol
        # the buffer averages lam*w only when coupled
        assert same(step(coupled)[b] - step(decoupled)[b], (1 - tau_) * L * w)
        # so the parameters differ after two steps (even with dampening 0)
        diff = (_two_steps(coupled) - _two_steps(decoupled)).subs(tau_, 0)
        point = {w: 1, b: 0, ROLES["lr"].symbol: 1, L: 1, GRAD: 0}
        point |= dict.fromkeys(sp.symbols("g1 g2", real=True), 0)
        assert diff.subs(point) != 0

    @pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad", "lion"])
    def test_preconditioned_coupled_and_decoupled_differ(self, name):
        spec = f"{name}(weight_decay=0.1, decay={{}})"
        coupled = Optimizer.from_spec(spec.format("coupled"), symbolic=True).with_defaults()
        decoupled = Optimizer.from_spec(spec.format("decoupled"), symbolic=True).with_defaults()
        a, b = step(coupled.chain), step(decoupled.chain)
        zero_state = {s.symbol: s.init for s in coupled.chain.states}
        point = {**zero_state, w: 1, g: 1, t: 1}
        assert (a[w] - b[w]).subs(point) != 0

    def test_adam_decoupled_is_torch_param_mul_then_adam_step(self):
        # torch: param.mul_(1 - lr*wd); then param -= lr * m_hat / (sqrt(v_hat) + eps)
        opt = Optimizer.from_spec("torch.adamw", symbolic=True)
        E, L, B1, B2, EPS = (
            ROLES[k].symbol for k in ("lr", "weight_decay", "beta1", "beta2", "eps")
        )
        m, v = state(opt.chain, "m"), state(opt.chain, "v")
        m_hat = (B1 * m + (1 - B1) * g) / (1 - B1**t)
        v_hat = (B2 * v + (1 - B2) * g**2) / (1 - B2**t)
        assert same(step(opt.chain)[w], w * (1 - E * L) - E * m_hat / (sp.sqrt(v_hat) + EPS))

    def test_adam_coupled_adds_lam_w_to_the_gradient(self):
        opt = Optimizer.from_spec("torch.adam", symbolic=True)
        E, L, B1, B2, EPS = (
            ROLES[k].symbol for k in ("lr", "weight_decay", "beta1", "beta2", "eps")
        )
        m, v = state(opt.chain, "m"), state(opt.chain, "v")
        d = g + L * w
        m_hat = (B1 * m + (1 - B1) * d) / (1 - B1**t)
        v_hat = (B2 * v + (1 - B2) * d**2) / (1 - B2**t)
        assert same(step(opt.chain)[w], w - E * m_hat / (sp.sqrt(v_hat) + EPS))

    def test_independent_is_decoupled_with_lambda_times_lr(self):
        # paper lambda = alpha * (library lambda)
        E, L = ROLES["lr"].symbol, ROLES["weight_decay"].symbol
        independent = step(
            Optimizer.from_spec("adam(decay=independent, schedule=true)", symbolic=True).chain
        )
        decoupled = step(
            Optimizer.from_spec("adam(decay=decoupled, schedule=true)", symbolic=True).chain
        )
        assert same(independent[w].subs(L, E * L), decoupled[w])
        assert not same(independent[w], decoupled[w])
        # the independent decay term is s_t * lam * w, without the base learning rate
        assert same(independent[w] - independent[w].subs(L, 0), -s_t * L * w)

    def test_keras_sgd_decays_before_the_update(self):
        # Keras: w <- w - w*wd*lr; v <- mu*v - lr*g; w <- w + v (nesterov: w + mu*v - lr*g)
        E, L, M = ROLES["lr"].symbol, ROLES["weight_decay"].symbol, ROLES["momentum"].symbol
        for nesterov in (False, True):
            opt = Optimizer.from_spec(f"keras.sgd(nesterov={str(nesterov).lower()})", symbolic=True)
            b = state(opt.chain, "b")
            v_new = M * b - E * g
            move = M * v_new - E * g if nesterov else v_new
            assert_maps_equal(step(opt.chain), {b: v_new, w: w - w * L * E + move})

    def test_paper_sgdw_algorithm_1(self):
        # m <- beta1*m + eta_t*alpha*g;  x <- x - m - eta_t*lam*x
        opt = Optimizer.from_spec("paper.sgdw", symbolic=True)
        A, M, L = ROLES["lr"].symbol, ROLES["momentum"].symbol, ROLES["weight_decay"].symbol
        b = state(opt.chain, "b")  # b = -m
        m_old = -b
        m_new = M * m_old + s_t * A * g
        out = step(opt.chain)
        assert same(out[b], -m_new)
        assert same(out[w], w - m_new - s_t * L * w)


# --------------------------------------------------------------------------- derived once, substituted


def test_a_chain_derives_each_program_once():
    c = chain(
        AddDecayedWeights(LAM), Trace(MU, copy_first=True), Scale(-ETA, "scale_by_learning_rate")
    )
    assert c.program() is c.program() and c.program(first=True) is c.program(first=True)
    assert c.program(first=True) != c.program()
    plain = chain(Scale(-ETA, "scale_by_learning_rate"))
    assert plain.program(first=True) is plain.program()  # no first-step rule: one program


def test_substitute_replaces_in_every_transformation_and_keeps_the_rest():
    c = chain(
        AddDecayedWeights(LAM), Trace(MU, nesterov=True), Scale(-ETA, "scale_by_learning_rate")
    )
    s = c.substitute({ETA: ETA * s_t, LAM: 2 * LAM})
    assert s.transforms == (
        AddDecayedWeights(2 * LAM),
        Trace(MU, nesterov=True),
        Scale(-ETA * s_t, "scale_by_learning_rate"),
    )
    assert s.program().one_step()[w] == c.program().one_step()[w].xreplace(
        {ETA: ETA * s_t, LAM: 2 * LAM}
    )
