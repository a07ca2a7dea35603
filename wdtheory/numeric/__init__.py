"""NumPy numerics: input validation (:mod:`~wdtheory.numeric.arrays`), objectives and gradients
of a problem (:mod:`~wdtheory.numeric.objectives`), closed forms and proximal solvers
(:mod:`~wdtheory.numeric.solvers`) and the batched experiments the report and the claims run
(:mod:`~wdtheory.numeric.experiments`).

May import: :mod:`wdtheory.core`, :mod:`wdtheory.problems`, :mod:`wdtheory.optim`,
:mod:`wdtheory.runtime`.
"""
