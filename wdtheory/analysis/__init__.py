"""The engines that answer questions about optimizers, each returning typed results:
:mod:`~wdtheory.analysis.compare` (identical, equivalent under a map, or different with an exact
counterexample; built on :mod:`~wdtheory.analysis.maps`, which solves for maps, and
:mod:`~wdtheory.analysis.exact`, the exact zero tests), :mod:`~wdtheory.analysis.fixed_points` (where an optimizer stops on least
squares), :mod:`~wdtheory.analysis.convert` (the equivalent preset of another framework),
:mod:`~wdtheory.analysis.equilibrium` (scale-invariant weights); :mod:`~wdtheory.analysis.explain`
presents the results as derivations.

May import: :mod:`wdtheory.core`, :mod:`wdtheory.problems`, :mod:`wdtheory.optim`,
:mod:`wdtheory.lowering`, :mod:`wdtheory.runtime`, :mod:`wdtheory.numeric`.
"""
