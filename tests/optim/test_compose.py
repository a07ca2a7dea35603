"""Your own optimizer (:mod:`wdtheory.optim.compose`, :mod:`wdtheory.optim.chains`): public
pieces composed by ``chain``, in Python and in the spec language; every named optimizer is one;
the decay's placement; bad chains refused in one line naming the position; the optax pieces
against optax itself."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from optimizer_cases import assert_close, problem

from wdtheory.analysis.compare import compare
from wdtheory.core.errors import WdtheoryError
from wdtheory.core.notation import ETA, LAMBDA, MU, SCHEDULE
from wdtheory.optim import chains as wd
from wdtheory.optim.compose import PIECES, pieces_of
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.runtime.stepper import Stepper

build = Optimizer.from_spec
R = sp.Rational


def named(name: str, symbolic: bool) -> Optimizer:
    return build(name, symbolic=symbolic)


@pytest.mark.parametrize("symbolic", [True, False], ids=["symbolic", "defaults"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_named_optimizer_is_a_public_chain_identical_to_itself(name, symbolic):
    """Rebuilt from its public pieces, each named optimizer is identical under compare (both
    ways), has the same decay mode, and its chain's text parses back to it."""
    original = named(name, symbolic)
    rebuilt = wd.as_chain(original)
    assert compare(original, rebuilt).verdict == "identical"
    assert compare(rebuilt, original).verdict == "identical"
    assert rebuilt.decay_mode == original.decay_mode
    assert rebuilt.chain.transforms == original.chain.transforms
    again = build(rebuilt.text)
    assert (again.text, again.values, again.flags) == (rebuilt.text, rebuilt.values, rebuilt.flags)


def test_python_and_the_spec_language_build_the_same_chain():
    python = wd.chain(
        wd.trace(decay="mu", nesterov=True),
        wd.add_decayed_weights(1e-4),
        wd.scale_by_learning_rate(0.1),
    )
    text = (
        "chain(trace(decay=mu, nesterov=true), add_decayed_weights(weight_decay=0.0001), "
        "scale_by_learning_rate(learning_rate=0.1))"
    )
    spec = build(text)
    assert python.text == spec.text == text
    assert (python.values, python.flags, python.name) == (spec.values, spec.flags, spec.name)
    assert python.values == {"decay": MU, "weight_decay": R(1, 10**4), "learning_rate": R(1, 10)}


def test_optax_code_is_read_as_written_a_named_optimizer_standing_for_its_pieces():
    """optax.chain(optax.add_decayed_weights(1e-4), optax.adam(1e-3)) is Adam with L2: torch's
    Adam with weight_decay, identical."""
    code = build("optax.chain(optax.add_decayed_weights(1e-4), optax.adam(1e-3))")
    assert [p.kind for p in pieces_of(code)] == [
        "add_decayed_weights",
        "scale_by_adam",
        "scale_by_learning_rate",
    ]
    assert code.decay_mode == "coupled"
    torch_adam = build("torch.adam(lr=1e-3, weight_decay=1e-4)")
    assert compare(code, torch_adam).verdict == "identical"


def test_a_left_out_hyperparameter_takes_optaxs_default_or_is_its_symbol():
    adam = wd.chain(wd.scale_by_adam(), wd.scale_by_learning_rate())
    assert adam.values["b1"] == R(9, 10) and adam.values["eps"] == R(1, 10**8)
    assert adam.values["learning_rate"] == ETA  # optax has no default learning rate
    assert adam.filled_defaults == {
        "b1": R(9, 10),
        "b2": R(999, 1000),
        "eps": R(1, 10**8),
        "eps_root": 0,
    }
    symbolic = wd.chain(wd.scale_by_adam(), wd.scale_by_learning_rate(), symbolic=True)
    assert symbolic.text == "symbolic(chain(scale_by_adam(), scale_by_learning_rate()))"
    names = {s.name for s in symbolic.free_symbols}
    assert names == {"beta_1", "beta_2", "epsilon", "epsilon_root", "eta"}  # optax's eps_root


@pytest.mark.parametrize(
    ("pieces", "mode"),
    [
        ((wd.add_decayed_weights(0.1), wd.trace(0.9), wd.scale_by_learning_rate(1)), "coupled"),
        ((wd.trace(0.9), wd.add_decayed_weights(0.1), wd.scale_by_learning_rate(1)), "decoupled"),
        (
            (wd.scale_by_adam(), wd.scale_by_learning_rate(1), wd.independent_decay(0.1)),
            "independent",
        ),
        (
            (wd.scale_by_learning_rate(1), wd.trace(0.9), wd.decay_by_learning_rate(0.1)),
            "decoupled",
        ),
        # inside Adam's preconditioner but outside the momentum: none of the named modes
        (
            (
                wd.trace(0.9),
                wd.add_decayed_weights(0.1),
                wd.scale_by_adam(0),
                wd.scale_by_learning_rate(1),
            ),
            "other",
        ),
        ((wd.scale_by_lion(), wd.scale_by_learning_rate(1)), "none"),
        ((wd.scale_by_learning_rate(1), wd.proximal_l1(0.1)), "proximal"),
    ],
)
def test_the_decay_mode_is_where_the_decay_sits(pieces, mode):
    assert wd.chain(*pieces).decay_mode == mode


def test_a_decay_between_momentum_and_preconditioner_is_neither_l2_nor_weight_decay():
    """Proved by compare: the chain differs from L2 (the decay before the momentum) from step
    2 (step 1 adds lambda*w to the first gradient either way: the trace starts at 0) and from
    weight decay (after the preconditioner) from step 1."""
    inside = wd.chain(
        wd.trace("mu"),
        wd.add_decayed_weights("lam"),
        wd.scale_by_adam(0),
        wd.scale_by_learning_rate("eta"),
    )
    coupled = wd.chain(
        wd.add_decayed_weights("lam"),
        wd.trace("mu"),
        wd.scale_by_adam(0),
        wd.scale_by_learning_rate("eta"),
    )
    decoupled = wd.chain(
        wd.trace("mu"),
        wd.scale_by_adam(0),
        wd.add_decayed_weights("lam"),
        wd.scale_by_learning_rate("eta"),
    )
    for first, other in ((2, coupled), (1, decoupled)):
        result = compare(inside, other)
        assert result.verdict == "different" and result.first_difference == first


def test_a_chain_steps_like_the_named_optimizer_it_rebuilds():
    params, grads = problem(0, (4, 3), np.float64, 20)
    ours = Stepper(
        wd.chain(wd.trace(0.9), wd.add_decayed_weights(0.01), wd.scale_by_learning_rate(0.1))
    )
    theirs = Stepper(build("sgdw(lr=0.1, momentum=0.9, weight_decay=0.01, momentum_start=zero)"))
    a, b = params.copy(), params.copy()
    state_a, state_b = ours.init(a), theirs.init(b)
    for g in grads:
        a, state_a = ours.step(a, g, state_a)
        b, state_b = theirs.step(b, g, state_b)
    assert_close(a, b, 1e-14, what="sgdw as a chain")


def test_a_schedule_in_a_piece_is_the_rules_own():
    paper = wd.chain(
        wd.scale_by_adam(),
        wd.scale_by_learning_rate("eta", schedule=True),
        wd.independent_decay("lam", schedule=True),
    )
    assert paper.schedules_itself and paper.scheduled() is paper
    assert paper.chain.transforms[-1].coefficient == -SCHEDULE * LAMBDA
    assert compare(paper, build("paper.adamw(alpha=eta, weight_decay=lam)")).verdict == "identical"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "chain(trace(decay=0.9), traec(decay=0.5), scale_by_learning_rate(0.1))",
            "position 2: unknown transformation 'traec' (did you mean 'trace'?); allowed: "
            "add_decayed_weights",
        ),
        ("chain(optax.adamm(1e-3))", "position 1: unknown transformation 'optax.adamm'"),
        ("chain(torch.sgd(lr=-1))", "position 1: lr=-1 is out of range"),
        ("chain(trace(0.9))", "no scale_by_learning_rate"),
        (
            "chain(scale_by_learning_rate(0.1), add_decayed_weights(0.1))",
            "position 2 (add_decayed_weights) after scale_by_learning_rate (position 1)",
        ),
        (
            "chain(independent_decay(0.1), scale_by_learning_rate(0.1))",
            "position 1 (independent_decay) acts on the weight after the step",
        ),
        (
            "chain(scale_by_learning_rate(0.1), scale_by_adam())",
            "position 2 (scale_by_adam) after scale_by_learning_rate",
        ),
        (
            "chain(trace(0.9), momentum(0.5), scale_by_learning_rate(0.1))",
            "position 2 (momentum): its momentum is the momentum of position 1 too",
        ),
        (
            "chain(scale_by_learning_rate(0.1), scale_by_learning_rate(0.2))",
            "position 2 (scale_by_learning_rate): a second learning rate",
        ),
        ("chain(trace(decay=true), scale_by_learning_rate(0.1))", "decay=true"),
        (
            "chain(trace(decay=1.5), scale_by_learning_rate(0.1))",
            "trace: decay=1.5 is out of range",
        ),
        ("chain(trace(nesterov=1), scale_by_learning_rate(0.1))", "trace(nesterov=1)"),
        ("chain(trace(decai=0.9), scale_by_learning_rate(0.1))", "did you mean 'decay'"),
        ("chain(trace(0.9), scale_loss(2), scale_by_learning_rate(0.1))", "put it first"),
        ("chain(lr=0.1)", "takes transformations only"),
        ("chain(0.1, scale_by_learning_rate(0.1))", "'0.1' in a chain is not a transformation"),
    ],
)
def test_a_bad_chain_is_one_line_naming_the_position(text, fragment):
    with pytest.raises(WdtheoryError) as error:
        build(text)
    message = str(error.value)
    assert "\n" not in message and fragment in message, message


def test_python_refuses_what_is_no_piece_and_a_wrong_kind_of_value():
    with pytest.raises(WdtheoryError, match=r"^position 2: 'sgd' is not a transformation"):
        wd.chain(wd.trace(0.9), "sgd")
    with pytest.raises(WdtheoryError, match=r"^trace\(nesterov='yes'\) is not allowed"):
        wd.trace(0.9, nesterov="yes")
    with pytest.raises(WdtheoryError, match=r"a name is a letter"):
        wd.trace("__import__")


def test_every_piece_has_a_python_function_of_the_same_name():
    assert all(callable(getattr(wd, name, None)) for name in PIECES)


# ------------------------------------------------------------------ against optax itself


def optax_chain(pieces):
    optax = pytest.importorskip("optax")
    made = []
    for piece in pieces:
        values = {k: float(v) for k, v in piece.values}
        options = dict(piece.options)
        made.append(getattr(optax, piece.kind)(**values, **options))
    return optax.chain(*made)


OPTAX_CHAINS = [
    "chain(add_decayed_weights(0.01), trace(decay=0.9, nesterov=true), scale_by_learning_rate(0.05))",
    "chain(trace(decay=0.9), add_decayed_weights(0.01), scale_by_adam(b1=0.5), scale_by_learning_rate(0.01))",
    "chain(scale_by_adam(eps_root=1e-6), add_decayed_weights(0.1), scale_by_learning_rate(0.01))",
    "chain(scale_by_lion(), add_decayed_weights(0.1), scale_by_learning_rate(0.001))",
]


@pytest.mark.parametrize("text", OPTAX_CHAINS)
def test_optax_pieces_track_optax_itself_in_float64(text):
    """The same chain in optax (0.2.8, x64): 50 steps, parameters equal to 1e-10."""
    jax = pytest.importorskip("jax")
    ours = build(text)
    tx = optax_chain(pieces_of(ours))
    params, grads = problem(1, (3, 4), np.float64, 50)
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        p = jax.numpy.asarray(params)
        state = tx.init(p)
        stepper = Stepper(ours)
        w, our_state = params.copy(), stepper.init(params.copy())
        for t, g in enumerate(grads, 1):
            updates, state = tx.update(jax.numpy.asarray(g), state, p)
            p = p + updates
            w, our_state = stepper.step(w, g, our_state)
            assert_close(w, np.asarray(p), 1e-10, what=f"{text} step {t}")
    finally:
        jax.config.update("jax_enable_x64", previous)


def test_symbolic_reaches_the_named_optimizers_inside_a_chain():
    chain = build("symbolic(optax.chain(optax.add_decayed_weights(lam), optax.adam))")
    assert {s.name for s in chain.free_symbols} == {
        "beta_1",
        "beta_2",
        "epsilon",
        "epsilon_root",
        "eta",
        "lam",
    }


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        # the decay after the step following a schedule the step does not have: no named form
        (
            "chain(scale_by_adam(), scale_by_learning_rate(0.1), independent_decay(0.01, schedule=true))",
            "other",
        ),
        # Keras' decay against PyTorch Adagrad's slowed step: no named form either
        (
            "chain(torch_adagrad(), decayed_learning_rate(0.1, 0.01), decay_by_learning_rate(0.01))",
            "other",
        ),
        (
            "chain(scale_by_adam(), scale_by_learning_rate(0.1, schedule=true), independent_decay(0.01, schedule=true))",
            "independent",
        ),
    ],
)
def test_a_decay_after_the_step_is_named_only_when_it_follows_the_steps_schedule(text, mode):
    assert build(text).decay_mode == mode


def test_a_chain_inside_a_chain_and_positions_of_expanded_optimizers_are_explained():
    with pytest.raises(WdtheoryError, match="a chain inside a chain"):
        build("chain(chain(trace(0.9)), scale_by_learning_rate(0.1))")
    with pytest.raises(
        WdtheoryError,
        match=r"\(the chain's pieces: scale_by_adam, scale_by_learning_rate, add_decayed_weights\)$",
    ):
        build("optax.chain(optax.adam(1e-3), optax.add_decayed_weights(1e-4))")


def test_python_names_must_be_writable_in_a_spec():
    with pytest.raises(WdtheoryError, match="not a Python keyword"):
        wd.trace("lambda")
    with pytest.raises(WdtheoryError, match=r"chain\(symbolic='yes'\)"):
        wd.chain(wd.trace(0.9), wd.scale_by_learning_rate(1), symbolic="yes")
