"""The core every layer shares: user errors (:mod:`~wdtheory.core.errors`), the safe spec parser
(:mod:`~wdtheory.core.spec`), exact hyperparameter values (:mod:`~wdtheory.core.hyperparams`),
the one notation module (:mod:`~wdtheory.core.notation`), printing
(:mod:`~wdtheory.core.printing`, :mod:`~wdtheory.core.roundoff`), SymPy building blocks
(:mod:`~wdtheory.core.algebra`) and derivations as data with their renderers
(:mod:`~wdtheory.core.derivation`).

May import: nothing else from wdtheory.
"""
