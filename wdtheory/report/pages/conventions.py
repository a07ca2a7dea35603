"""The conventions page: regularised least squares and optimizers across libraries."""

from __future__ import annotations

from wdtheory.analysis.convert import Conversion, convert
from wdtheory.core.printing import to_latex
from wdtheory.optim.optimizer import Optimizer
from wdtheory.problems.conventions import CONVENTIONS, match
from wdtheory.report.markdown import inline_math, table
from wdtheory.report.settings import Files, Settings

__all__ = ["page"]

CONVENTION_PAIRS = (
    ("d2l.l2", "sklearn.Ridge"),
    ("d2l.l2", "torch.mse.l2"),
    ("d2l.l2", "keras.mse.l2"),
    ("keras.mse.l2", "torch.mse.l2"),
    ("d2l.l1", "sklearn.Lasso"),
    ("d2l.elastic_net", "sklearn.ElasticNet"),
)

CONVERSIONS = (
    ("torch.adamw(lr=0.001, weight_decay=0.01)", "optax"),
    ("torch.adamw(lr=0.001, weight_decay=0.01)", "paper"),
    ("torch.adamw(lr=0.001, weight_decay=0.01)", "keras"),
    ("torch.sgd(lr=0.1, momentum=0, weight_decay=0.0001)", "keras"),
    ("torch.sgd(lr=0.1, momentum=0.9, dampening=0, weight_decay=0.0001)", "keras"),
    ("keras.sgd(learning_rate=0.1, momentum=0.9, weight_decay=0)", "torch"),
)


def page(settings: Settings) -> Files:
    lines = [
        "# Conventions and conversions",
        "",
        "## Regularised least squares across libraries",
        "",
        "Each row is derived by `wdtheory.match_convention`: SymPy differentiates both objectives and solves "
        "for the parameters that make the gradients proportional, ∇J_target = κ ∇J_source (same minimisers; "
        "gradient descent on the target is gradient descent on the source with the learning rate × κ).",
        "",
    ]
    rows = []
    for source, target in CONVENTION_PAIRS:
        m = match(source, target)
        mapping = ", ".join(f"${to_latex(p)} = {to_latex(v)}$" for p, v in m.values.items())
        rows.append(
            [m.source.description, m.target.description, mapping, inline_math(m.gradient_ratio)]
        )
    lines += table(["source", "target", "parameters", "κ"], rows)
    lines += [
        "",
        "## Optimizers across frameworks",
        "",
        "Each row is derived by `wdtheory convert` (which runs `wdtheory compare` on every preset "
        "of the framework, then on its standard constructions), and shows the code to paste.",
        "",
    ]
    rows = []
    for spec, framework in CONVERSIONS:
        rows.append(
            [f"`{spec}`", framework, _answer(convert(Optimizer.from_spec(spec), framework))]
        )
    lines += table(["source", "to", "equivalent"], rows)
    lines += ["", "## Sources", "", *(f"- `{c.name}`: {c.source}" for c in CONVENTIONS.values())]
    return {"conventions.md": "\n".join(lines) + "\n"}


def _answer(conversion: Conversion) -> str:
    """The target's code (its spec where it has none), or why there is none."""
    if conversion.target is not None:
        code = conversion.code or conversion.target.text
        return f"`{code}`" + (" (a standard construction)" if conversion.construction else "")
    near = [n.comparison.b.name for n in conversion.near]
    same_but_eps = f"; with ε = 0 the same as {', '.join(near)}" if near else ""
    return f"none: {conversion.reason}{same_but_eps}"
