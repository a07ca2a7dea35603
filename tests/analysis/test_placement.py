"""Where a chain's decay sits (:mod:`wdtheory.analysis.placement`): the named mode it is, proved
by comparing the chain with its decay moved to each named placement."""

from __future__ import annotations

import pytest

from wdtheory.analysis.placement import place
from wdtheory.analysis.questions import derivation_of
from wdtheory.optim import chains as wd
from wdtheory.optim.optimizer import Optimizer

MOMENTUM, LR = wd.trace("mu"), wd.scale_by_learning_rate("eta")


@pytest.mark.parametrize(
    ("pieces", "equals", "differs_at"),
    [
        # decay after the momentum: SGDW; the paper's independent decay with lambda' = eta*lambda
        (
            (MOMENTUM, wd.add_decayed_weights("lam"), LR),
            ("decoupled", "independent"),
            {"coupled": 2},
        ),
        # L2: before the momentum
        (
            (wd.add_decayed_weights("lam"), MOMENTUM, LR),
            ("coupled",),
            {"decoupled": 2, "independent": 1},
        ),
        # between the momentum and Adam's preconditioner: none of them
        (
            (MOMENTUM, wd.add_decayed_weights("lam"), wd.scale_by_adam(0), LR),
            (),
            {"coupled": 2, "decoupled": 1, "independent": 1},
        ),
        # Keras' velocity form: the decay after the momentum of the scaled step
        (
            (LR, MOMENTUM, wd.decay_by_learning_rate("lam")),
            ("decoupled", "independent"),
            {"coupled": 2},
        ),
    ],
)
def test_a_chains_decay_is_the_named_modes_its_comparisons_prove(pieces, equals, differs_at):
    found = place(wd.chain(*pieces))
    assert found.equals == equals
    assert {
        m: c.first_difference for m, c in found.against.items() if m not in equals
    } == differs_at
    text = "\n".join(found.section().notes)
    assert ("none of the named modes" in text) == (not equals)


def test_a_chain_without_an_l2_decay_has_no_placement_to_prove():
    assert place(wd.chain(wd.scale_by_lion(), wd.scale_by_learning_rate(1e-4))) is None
    assert place(wd.chain(wd.scale_by_learning_rate(0.1), wd.proximal_l1(0.01))) is None


def test_derive_of_a_chain_shows_its_placement_and_of_a_preset_does_not():
    _, chain = derivation_of(
        "chain(trace(decay=mu), add_decayed_weights(weight_decay=lam), scale_by_adam(b1=0), "
        "scale_by_learning_rate(learning_rate=eta))"
    )
    assert chain.sections[1].title == "Placement of the decay"
    _, preset = derivation_of("torch.sgd(lr=0.1, momentum=0.9, weight_decay=1e-4)")
    assert all(s.title != "Placement of the decay" for s in preset.sections)


@pytest.mark.usefixtures("fresh_comparisons")
def test_a_placement_runs_within_its_budget():
    """A tiny budget: the comparisons say undecided instead of running on."""
    adam = wd.chain(MOMENTUM, wd.add_decayed_weights("lam"), wd.scale_by_adam(), LR)
    found = place(adam, budget=1e-3)
    assert not found.decided and found.equals == ()
    assert isinstance(found.optimizer, Optimizer)
