"""The symbolic problems: per-example losses, penalties and their conventions, the penalised
:class:`~wdtheory.problems.problem.Problem`, its gradients derived two ways and the SGD step,
the ridge closed form, the L1 proximal step, a problem's whole derivation
(:mod:`~wdtheory.problems.derive`) and the libraries' regularisation conventions.

May import: :mod:`wdtheory.core`.
"""
