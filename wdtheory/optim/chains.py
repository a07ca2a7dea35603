"""The public transformations and :func:`chain`, as Python functions (``wd.chain``, ``wd.trace``,
...): each returns a :class:`~wdtheory.optim.compose.Piece`, and :func:`chain` composes them into
an :class:`~wdtheory.optim.optimizer.Optimizer` (see :mod:`wdtheory.optim.compose` for what each
piece computes and which library function it reproduces)::

    import wdtheory as wd

    sgdw = wd.chain(wd.trace(decay=0.9), wd.add_decayed_weights(1e-4), wd.scale_by_learning_rate(0.1))
    wd.compare(sgdw, wd.Optimizer.from_spec("sgdw(lr=0.1, momentum=0.9, dampening=0, "
                                             "weight_decay=1e-4, momentum_start=zero)"))

A hyperparameter is a number, a SymPy expression or a name (``"mu"``: a symbol); one left out
takes the piece's default (optax's), or is its symbol where there is none or with
``symbolic=True``.
"""

from __future__ import annotations

from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.compose import Piece, make_piece, pieces_of
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES

__all__ = [
    "add_decayed_weights",
    "add_l1_subgradient",
    "as_chain",
    "chain",
    "decay_by_learning_rate",
    "decayed_learning_rate",
    "independent_decay",
    "momentum",
    "proximal_l1",
    "rebuild",
    "scale_by_adam",
    "scale_by_learning_rate",
    "scale_by_lion",
    "scale_loss",
    "torch_adagrad",
    "torch_rms",
    "trace",
]

#: a hyperparameter as Python gives it: a number, a SymPy expression, or a name for a symbol
Hyper = object


def chain(*pieces: Piece, symbolic: bool = False) -> Optimizer:
    """The optimizer that applies ``pieces`` in order (optax ``chain``), checked (one line
    naming the position of a bad piece)."""
    if not isinstance(symbolic, bool):
        raise WdtheoryError(f"chain(symbolic={symbolic!r}): allowed: True, False")
    return Optimizer.from_pieces(pieces, symbolic=symbolic)


def add_decayed_weights(weight_decay: Hyper = None) -> Piece:
    r"""optax ``add_decayed_weights``: :math:`u \leftarrow u + \lambda w`."""
    return make_piece("add_decayed_weights", "", weight_decay=weight_decay)


def trace(decay: Hyper = None, nesterov: bool = False) -> Piece:
    r"""optax ``trace``: :math:`b \leftarrow \mu b + u` from :math:`b = 0`, output :math:`b`
    (Nesterov: :math:`u + \mu b`)."""
    return make_piece("trace", "", decay=decay, nesterov=nesterov)


def scale_by_adam(
    b1: Hyper = None,
    b2: Hyper = None,
    eps: Hyper = None,
    eps_root: Hyper = None,
    *,
    amsgrad: bool = False,
    epsilon_hat: bool = False,
) -> Piece:
    """optax ``scale_by_adam``; ``amsgrad``: PyTorch's AMSGrad (the running maximum of the raw
    second moment); ``epsilon_hat``: Keras' ε on the uncorrected root."""
    return make_piece(
        "scale_by_adam",
        "",
        b1=b1,
        b2=b2,
        eps=eps,
        eps_root=eps_root,
        amsgrad=amsgrad,
        epsilon_hat=epsilon_hat,
    )


def scale_by_lion(b1: Hyper = None, b2: Hyper = None) -> Piece:
    """optax ``scale_by_lion``."""
    return make_piece("scale_by_lion", "", b1=b1, b2=b2)


def scale_by_learning_rate(learning_rate: Hyper = None, *, schedule: bool = False) -> Piece:
    r"""optax ``scale_by_learning_rate``: :math:`u \leftarrow -\eta u` (``schedule``:
    :math:`-\eta s_t u`)."""
    return make_piece("scale_by_learning_rate", "", learning_rate=learning_rate, schedule=schedule)


def decayed_learning_rate(
    learning_rate: Hyper = None, lr_decay: Hyper = None, *, schedule: bool = False
) -> Piece:
    r"""PyTorch Adagrad's step size, :math:`u \leftarrow -\eta u / (1 + (t-1)\,\text{lr\_decay})`."""
    return make_piece(
        "decayed_learning_rate",
        "",
        learning_rate=learning_rate,
        lr_decay=lr_decay,
        schedule=schedule,
    )


def momentum(
    momentum: Hyper = None,
    dampening: Hyper = None,
    *,
    nesterov: bool = False,
    start: str = "copy",
) -> Piece:
    r"""Heavy-ball momentum :math:`b \leftarrow \mu b + (1 - \tau) u` with PyTorch's first step
    (``start="copy"``: :math:`b_1 = u`, ``torch.optim.SGD``) or from 0 (``start="zero"``)."""
    return make_piece(
        "momentum",
        "",
        momentum=momentum,
        dampening=dampening,
        nesterov=nesterov,
        start=start,
    )


def torch_rms(alpha: Hyper = None, eps: Hyper = None, *, centered: bool = False) -> Piece:
    """``torch.optim.RMSprop``'s normalisation, ε outside the root."""
    return make_piece("torch_rms", "", alpha=alpha, eps=eps, centered=centered)


def torch_adagrad(eps: Hyper = None, initial_accumulator_value: Hyper = None) -> Piece:
    """``torch.optim.Adagrad``'s normalisation."""
    return make_piece(
        "torch_adagrad",
        "",
        eps=eps,
        initial_accumulator_value=initial_accumulator_value,
    )


def scale_loss(loss_scale: Hyper = None) -> Piece:
    r"""The gradient of the loss times :math:`\kappa` (first in a chain)."""
    return make_piece("scale_loss", "", loss_scale=loss_scale)


def add_l1_subgradient(weight_decay: Hyper = None) -> Piece:
    r""":math:`u \leftarrow u + \lambda\,\mathrm{sign}(w)`."""
    return make_piece("add_l1_subgradient", "", weight_decay=weight_decay)


def independent_decay(weight_decay: Hyper = None, *, schedule: bool = False) -> Piece:
    r"""The AdamW paper's decay after the step, :math:`-\lambda w` (``schedule``:
    :math:`-s_t \lambda w`)."""
    return make_piece("independent_decay", "", weight_decay=weight_decay, schedule=schedule)


def decay_by_learning_rate(weight_decay: Hyper = None, *, schedule: bool = False) -> Piece:
    r"""Keras' decay after the step, :math:`-\eta\lambda w`."""
    return make_piece(
        "decay_by_learning_rate",
        "",
        weight_decay=weight_decay,
        schedule=schedule,
    )


def proximal_l1(weight_decay: Hyper = None, *, schedule: bool = False) -> Piece:
    r"""Soft-thresholding by :math:`\eta\lambda` after the step."""
    return make_piece("proximal_l1", "", weight_decay=weight_decay, schedule=schedule)


def as_chain(optimizer: Optimizer) -> Optimizer:
    """``optimizer`` rebuilt as a chain of public pieces (:func:`~wdtheory.optim.compose.pieces_of`),
    the same rule."""
    return rebuild(pieces_of(optimizer), optimizer)


def rebuild(pieces: tuple[Piece, ...], like: Optimizer) -> Optimizer:
    """The chain of ``pieces`` (taken from ``like``'s, some moved or replaced) with ``like``'s
    way of leaving hyperparameters out: what ``like`` leaves at its hyperparameters' own symbols
    stays symbolic (the pieces leave such values out, as they cannot always be written:
    ``lambda`` is a Python keyword)."""
    rebuilt = Optimizer.from_pieces(pieces, symbolic=like.symbolic)
    roles = like.definition.params
    symbolic_roles = {r for k, r in roles.items() if like.values[k] == ROLES[r].symbol}
    return rebuilt.unbind([k for k, r in rebuilt.definition.params.items() if r in symbolic_roles])
