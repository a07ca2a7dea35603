"""From an update rule to code: :mod:`~wdtheory.lowering.plan` hoists the scalar work, merges
like terms and shares subexpressions; :mod:`~wdtheory.lowering.printers` prints the plan for
every backend (array API, Numba, CuPy); :mod:`~wdtheory.lowering.compile` compiles it, with
caches in memory and on disk, behind one entry point, :func:`~wdtheory.lowering.compile.lower`.

May import: :mod:`wdtheory.core`, :mod:`wdtheory.optim` (the programs it lowers).
"""
