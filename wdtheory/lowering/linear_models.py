r"""A linear model's outputs, loss and gradient, written as loops for the fused training kernel.

The model has :math:`K` outputs, :math:`z_{ik} = b_k + \sum_j x_{ij} W_{jk}`, and its parameters are
one flat vector per run: :math:`W^\top` row by row (:math:`K` rows of :math:`d` numbers, one per
output), then :math:`b` (:math:`K`).
The losses per example, and their derivatives :math:`\delta_{ik} = \partial\ell_i/\partial z_{ik}`:

* squared error (``SQUARED_ERROR``, :math:`K = 1`): :math:`\ell = \tfrac12(z - y)^2`,
  :math:`\delta = z - y`;
* logistic (``LOGISTIC``, :math:`K = 1`, :math:`y \in \{0, 1\}`):
  :math:`\ell = \log(1 + e^{z}) - yz`, :math:`\delta = \sigma(z) - y`;
* softmax cross-entropy (``SOFTMAX``, :math:`y \in \{0..K-1\}`):
  :math:`\ell = \log\sum_k e^{z_k} - z_y`, :math:`\delta_k = p_k - [k = y]`.

The gradient of the mean loss over a batch of :math:`B` rows is
:math:`\partial W_{jk} = \frac1B\sum_i x_{ij}\delta_{ik}`, :math:`\partial b_k = \frac1B\sum_i\delta_{ik}`
(what :func:`wdtheory.derive_gradients` derives for these losses). The innermost loops run over
the features of one row: a dot product for an output, a scaled row added to the gradient. The
kernel compiles them with the floating-point flags ``reassoc`` and ``contract`` (not the
update rule, which keeps IEEE order), so that the compiler may split a dot product into vector
lanes and fuse multiply-adds: gradients and losses equal the in-order sums to round-off, while
NaN and infinities propagate as they do without the flags.

These functions are plain Python on NumPy arrays (slow, but testable as they are);
:func:`compiled` gives them compiled by Numba from their source text, in a module kept and cached
as the kernels are and shared by the training kernels of every rule
(:mod:`wdtheory.lowering.training`), which carry the hash of that module so that their cached
code follows it.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable
from functools import cache

from wdtheory.lowering.compile import numba_functions

__all__ = [
    "HELPERS",
    "LOGISTIC",
    "LOSSES",
    "SOFTMAX",
    "SQUARED_ERROR",
    "add_bias",
    "compiled",
    "evaluate",
    "gradients",
    "half_squared_norm",
    "module_source",
    "products",
    "residuals",
    "weights",
]

SQUARED_ERROR, LOGISTIC, SOFTMAX = 0, 1, 2

#: the loss names of :class:`wdtheory.Problem` -> the code the kernel takes
LOSSES = {"squared_error": SQUARED_ERROR, "logistic": LOGISTIC, "softmax": SOFTMAX}


def weights(params, first, v, K, d):
    """The weights of vector ``v`` of the runs from ``first``: run ``first + v // K``, output
    ``v % K``."""
    k = v % K
    return params[first + v // K, k * d : (k + 1) * d]


def products(X, rows, count, params, first, m, K, z):
    """``z[v, i]`` = row ``i`` of the batch (``X[rows[i]]``, or ``X[i]`` when ``rows`` is None)
    dotted with weight vector ``v``, for the ``m K`` vectors of the ``m`` runs from ``first``:
    four vectors and two rows at a time, so that each number read serves several products."""
    d = X.shape[1]
    vectors = m * K
    whole = vectors - vectors % 4
    for v in range(0, whole, 4):
        w0, w1 = weights(params, first, v, K, d), weights(params, first, v + 1, K, d)
        w2, w3 = weights(params, first, v + 2, K, d), weights(params, first, v + 3, K, d)
        i = 0
        while i + 1 < count:
            x = X[i] if rows is None else X[rows[i]]
            u = X[i + 1] if rows is None else X[rows[i + 1]]
            a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = 0.0
            for j in range(d):
                xj, uj = x[j], u[j]
                a0 += xj * w0[j]
                a1 += xj * w1[j]
                a2 += xj * w2[j]
                a3 += xj * w3[j]
                b0 += uj * w0[j]
                b1 += uj * w1[j]
                b2 += uj * w2[j]
                b3 += uj * w3[j]
            z[v, i], z[v + 1, i], z[v + 2, i], z[v + 3, i] = a0, a1, a2, a3
            z[v, i + 1], z[v + 1, i + 1], z[v + 2, i + 1], z[v + 3, i + 1] = b0, b1, b2, b3
            i += 2
        if i < count:
            x = X[i] if rows is None else X[rows[i]]
            a0 = a1 = a2 = a3 = 0.0
            for j in range(d):
                xj = x[j]
                a0 += xj * w0[j]
                a1 += xj * w1[j]
                a2 += xj * w2[j]
                a3 += xj * w3[j]
            z[v, i], z[v + 1, i], z[v + 2, i], z[v + 3, i] = a0, a1, a2, a3
    for v in range(whole, vectors):
        w = weights(params, first, v, K, d)
        for i in range(count):
            x = X[i] if rows is None else X[rows[i]]
            acc = 0.0
            for j in range(d):
                acc += x[j] * w[j]
            z[v, i] = acc


def add_bias(params, first, m, K, d, count, z):
    """Add each run's bias to its outputs ``z[v, :count]``."""
    for v in range(m * K):
        bias = params[first + v // K, K * d + v % K]
        for i in range(count):
            z[v, i] += bias


def residuals(kind, y, rows, count, K, z):
    r"""Replace the outputs ``z`` (K, count) of one run by :math:`\delta` (see the module doc)
    and return the summed loss (one loop per loss, so that the squared error's vectorises)."""
    total = 0.0
    if kind == 0:
        out = z[0]
        for i in range(count):
            r = out[i] - (y[i] if rows is None else y[rows[i]])
            total += 0.5 * r * r
            out[i] = r
    elif kind == 1:
        for i in range(count):
            label = y[i] if rows is None else y[rows[i]]
            u = z[0, i]
            e = math.exp(-abs(u))
            total += max(u, 0.0) - label * u + math.log1p(e)
            z[0, i] = (1.0 / (1.0 + e) if u >= 0.0 else e / (1.0 + e)) - label
    else:
        for i in range(count):
            label = y[i] if rows is None else y[rows[i]]
            top = z[0, i]
            for k in range(1, K):
                top = max(top, z[k, i])
            norm = 0.0
            for k in range(K):
                norm += math.exp(z[k, i] - top)
            c = int(label)
            total += top + math.log(norm) - z[c, i]
            for k in range(K):
                z[k, i] = math.exp(z[k, i] - top) / norm
            z[c, i] -= 1.0
    return total


def half_squared_norm(params, run, count):
    r""":math:`\tfrac12\sum_j w_j^2` over the first ``count`` parameters of ``run``."""
    total = 0.0
    for j in range(count):
        total += params[run, j] * params[run, j]
    return 0.5 * total


def gradients(X, rows, count, grads, first, m, K, z):
    """The mean gradient over the batch of each of the ``m`` runs from ``first``, from their
    residuals ``z`` (m K, count; divided by ``count`` here), into their rows of ``grads``: for
    each weight vector, two rows at a time."""
    d = X.shape[1]
    vectors = m * K
    for v in range(vectors):
        acc = 0.0
        for i in range(count):
            z[v, i] /= count
            acc += z[v, i]
        grads[first + v // K, K * d + v % K] = acc
    for v in range(vectors):
        g = weights(grads, first, v, K, d)
        for j in range(d):
            g[j] = 0.0
        i = 0
        while i < count:  # two rows at a time (the second one zero past the end)
            x = X[rows[i]]
            u = X[rows[i + 1]] if i + 1 < count else x
            a = z[v, i]
            b = z[v, i + 1] if i + 1 < count else 0.0
            for j in range(d):
                g[j] += x[j] * a + u[j] * b
            i += 2


def evaluate(kind, X, y, n, params, first, m, K, z, records, column):
    """The mean loss and the fraction classified right (NaN for regression) of the ``m`` runs
    from ``first`` on the train rows of ``X`` (the first ``n``) and on the validation rows (the
    others), one pass of :func:`products` over both, into column ``column`` of ``records``
    (train loss, train accuracy, validation loss, validation accuracy, each (runs, columns);
    ``z``: (m K, rows) scratch)."""
    d, count = X.shape[1], X.shape[0]
    products(X, None, count, params, first, m, K, z)
    add_bias(params, first, m, K, d, count, z)
    for r in range(m):
        for part in range(2):
            start, stop = (0, n) if part == 0 else (n, count)
            outputs = z[r * K : (r + 1) * K, start:stop]
            labels = y[start:stop]
            right = 0
            for i in range(stop - start):
                if kind == 1:
                    right += (outputs[0, i] > 0.0) == (labels[i] > 0.5)
                elif kind == 2:
                    best = 0
                    for k in range(1, K):
                        if outputs[k, i] > outputs[best, i]:
                            best = k
                    right += best == int(labels[i])
            loss = residuals(kind, labels, None, stop - start, K, outputs)
            records[2 * part][first + r, column] = loss / (stop - start)
            records[2 * part + 1][first + r, column] = (
                right / (stop - start) if kind != 0 else math.nan
            )


#: the functions the training kernel calls, in the order :func:`compiled` gives them
HELPERS = (
    "weights",
    "products",
    "add_bias",
    "residuals",
    "half_squared_norm",
    "gradients",
    "evaluate",
)


def module_source(cache: bool) -> str:
    """This file's functions as a module for Numba, each compiled with the flags ``reassoc`` and
    ``contract`` (see the module doc); ``cache``: Numba's on-disk cache."""
    text = inspect.getsource(sys.modules[__name__])
    functions = text[text.index("def weights(") : text.index("#: the functions the training")]
    jit = f'numba.njit(error_model="numpy", fastmath={{"reassoc", "contract"}}, cache={cache})'
    lines = ["import math", "", "import numba", "", "", functions.rstrip(), "", ""]
    lines += [f"{name} = {jit}({name})" for name in HELPERS]
    return "\n".join(lines) + "\n"


@cache
def compiled() -> tuple[Callable, ...]:
    """The functions of :data:`HELPERS` compiled by Numba (each for the argument types it is
    first called with), calling one another compiled; the module kept and cached as the
    kernels are (:func:`~wdtheory.lowering.compile.numba_functions`)."""
    return numba_functions(module_source, HELPERS)
