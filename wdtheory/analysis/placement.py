r"""Where a chain's decay sits, and which named decay mode it is — proved by comparison.

For a chain of public pieces (:mod:`wdtheory.optim.compose`) whose decay is an L2 term,
:func:`place` says where the decay sits relative to the stateful pieces (momentum,
preconditioner) and the learning rate, then builds the same chain with the decay moved to each
named placement and compares it with the chain (:func:`~wdtheory.analysis.compare.compare`):

* ``coupled`` (L2): ``add_decayed_weights`` first, so that every stateful piece sees
  :math:`g + \lambda w`;
* ``decoupled``: ``add_decayed_weights`` after the last stateful piece, before the learning
  rate (``decay_by_learning_rate`` after it when a momentum follows the learning rate, Keras'
  velocity form);
* ``independent``: ``independent_decay`` after the step, not scaled by the learning rate.

The chain *is* a named mode when the comparison is identical or equivalent (with the map of
hyperparameters that makes it so: decoupled and independent decay are one rule with
:math:`\lambda' = \eta\lambda` at a constant learning rate); otherwise the comparison gives the
first step at which they differ and the exact difference. ``none of them`` is a proof: every
placement differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import monotonic

from wdtheory.analysis.compare import Comparison, compare
from wdtheory.core.derivation import Section
from wdtheory.core.printing import to_text
from wdtheory.optim.chains import rebuild
from wdtheory.optim.compose import LEARNING_RATE, STATE, Piece, pieces_of, placement
from wdtheory.optim.optimizer import Optimizer

__all__ = ["L2_DECAYS", "Placement", "place"]

#: the pieces that are an L2 decay, wherever they sit
L2_DECAYS = ("add_decayed_weights", "independent_decay", "decay_by_learning_rate")


@dataclass(frozen=True)
class Placement:
    """The decay of ``optimizer`` (a chain): ``where`` it sits, the ``mode`` its position
    gives, and the comparison with each named placement (``against``: mode → comparison)."""

    optimizer: Optimizer
    where: str
    mode: str
    against: dict[str, Comparison]

    @property
    def equals(self) -> tuple[str, ...]:
        """The named modes the chain is, identical or under a reparametrisation."""
        return tuple(m for m, c in self.against.items() if c.verdict.same_algorithm)

    @property
    def decided(self) -> bool:
        return all(c.verdict != "undecided" for c in self.against.values())

    def section(self) -> Section:
        """The answer as a derivation section: where, then each named placement's verdict."""
        notes = [self.where]
        for mode, comparison in self.against.items():
            notes.append(f"{mode} ({comparison.b.text}): {_verdict(comparison)}")
        if self.equals:
            kinds = [
                f"{m} ({'identical' if self.against[m].verdict == 'identical' else 'with the map'})"
                for m in self.equals
            ]
            notes.append(f"so the chain's decay is {' and '.join(kinds)}, proved above")
        elif self.decided:
            notes.append("so the chain's decay is none of the named modes (each differs, above)")
        return Section("Placement of the decay", (), notes=tuple(notes))


def _verdict(comparison: Comparison) -> str:
    if comparison.verdict == "identical":
        return "identical"
    if comparison.verdict == "equivalent":
        mapping = ", ".join(f"{k} = {to_text(v)}" for k, v in comparison.hyper_map.items())
        return f"equivalent with {mapping}" if mapping else "equivalent (states mapped)"
    if comparison.verdict == "different" and comparison.first_difference is not None:
        example = comparison.counterexample
        shown = (
            "" if example is None else f" (by {float(example.difference):.6g} at a rational point)"
        )
        return f"different from step {comparison.first_difference}{shown}"
    return str(comparison.verdict)


def place(optimizer: Optimizer, *, budget: float | None = None) -> Placement | None:
    """The placement of ``optimizer``'s decay (see the module doc), or None when it has no L2
    decay to move (none, L1, proximal). The comparisons share ``budget`` seconds."""
    pieces = pieces_of(optimizer)
    decays = [i for i, p in enumerate(pieces) if p.kind in L2_DECAYS]
    if len(decays) != 1 or optimizer.decay_mode == "none":
        return None
    (index,) = decays
    decay, rest = pieces[index], pieces[:index] + pieces[index + 1 :]
    variants = {mode: rebuild(moved, optimizer) for mode, moved in _variants(decay, rest).items()}
    # each comparison gets what is left of the budget, and answers undecided when it runs out
    # (a budget around the loop could fire between two comparisons, outside any of them)
    deadline = None if budget is None else monotonic() + budget
    against = {
        mode: compare(optimizer, other, budget=None if deadline is None else deadline - monotonic())
        for mode, other in variants.items()
    }
    return Placement(optimizer, _where(pieces, index), placement(pieces), against)


def _variants(decay: Piece, rest: tuple[Piece, ...]) -> dict[str, tuple[Piece, ...]]:
    """The chain without its decay, the decay put back at each named placement."""
    strength = dict(decay.values).get("weight_decay")
    values = () if strength is None else (("weight_decay", strength),)
    rate = next(i for i, p in enumerate(rest) if p.definition.stage == LEARNING_RATE)
    schedule = tuple((k, v) for k, v in rest[rate].options if k == "schedule")
    first = 1 if rest and rest[0].kind == "scale_loss" else 0
    states = [i for i, p in enumerate(rest) if p.definition.stage == STATE]
    coupled = (*rest[:first], Piece("add_decayed_weights", values), *rest[first:])
    if any(i > rate for i in states):  # a momentum of the scaled step: Keras' velocity form
        decoupled = (*rest, Piece("decay_by_learning_rate", values, schedule))
    else:
        decoupled = (*rest[:rate], Piece("add_decayed_weights", values), *rest[rate:])
    independent = (*rest, Piece("independent_decay", values, schedule))
    return {"coupled": coupled, "decoupled": decoupled, "independent": independent}


def _where(pieces: tuple[Piece, ...], index: int) -> str:
    """Where the decay sits, in words: the pieces before and after it."""
    decay = pieces[index]
    before = [f"{p.kind} ({i})" for i, p in enumerate(pieces[:index], 1)]
    after = [f"{p.kind} ({i})" for i, p in enumerate(pieces[index + 1 :], index + 2)]
    return (
        f"{decay.kind} (position {index + 1}) sits after {', '.join(before) or 'nothing'} and "
        f"before {', '.join(after) or 'nothing'}; by position: {placement(pieces)}"
    )
