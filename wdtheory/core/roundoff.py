r"""Printing numbers that may be round-off, so that reports are the same on every CPU.

Two float64 computations of the same quantity (least squares with a rescaled feature, the
scratch and concise forms of a training run, a model fitted to noise-free data) differ by
round-off, about :math:`10^{-16}` relative, and *those digits depend on the processor*: the BLAS
picks other kernels, hence another order of additions, on another CPU (seen: Intel and AMD
machines print ``8e-17`` and ``4e-17`` for the same gap). A report must be byte-identical
wherever it is written, so a number below :data:`ROUNDOFF` is printed as the bound it is under,
never by its digits.
"""

from __future__ import annotations

__all__ = ["ROUNDOFF", "roundoff_text"]

#: numbers below this (in absolute value) are printed as ``< 1e-12``: above any float64
#: round-off the reports meet, far below any difference they call real
ROUNDOFF = 1e-12


def roundoff_text(value: float, digits: int = 3) -> str:
    r"""``"< 1e-12"`` if :math:`|x| <` :data:`ROUNDOFF`, else ``x`` to ``digits`` significant digits.

    >>> roundoff_text(8e-17), roundoff_text(0.0245), roundoff_text(5.1, digits=2)
    ('< 1e-12', '0.0245', '5.1')
    """
    return f"< {ROUNDOFF:g}" if abs(value) < ROUNDOFF else f"{value:.{digits}g}"
