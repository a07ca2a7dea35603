"""Optimizers as chains of gradient transformations on SymPy expressions (optax's idea).

:mod:`~wdtheory.optim.transforms` holds one frozen dataclass per transformation and
:func:`~wdtheory.optim.transforms.chain`; :mod:`~wdtheory.optim.roles` the hyperparameters'
roles; :mod:`~wdtheory.optim.builders` how a chain is assembled, and where each decay mode puts
the decay; :mod:`~wdtheory.optim.presets` one table per library; :mod:`~wdtheory.optim.optimizer`
an optimizer with its values, read from a spec; :mod:`~wdtheory.optim.dynamics` its one-step
maps and trajectories; :mod:`~wdtheory.optim.rules` its update rule as a derivation. To add an
optimizer, add a ``Definition`` to its library's preset module (and a builder if its chain is
new).

May import: :mod:`wdtheory.core`.
"""
