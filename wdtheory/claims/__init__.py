"""The claims: :mod:`~wdtheory.claims.engine` (typed verdicts and evidence, verification),
:mod:`~wdtheory.claims.catalogue` (every claim as data), the checks that derive the verdicts
with the engines below (:mod:`~wdtheory.claims.optimizer_checks`,
:mod:`~wdtheory.claims.problem_checks`, :mod:`~wdtheory.claims.numeric_checks`) and
:mod:`~wdtheory.claims.render` (text, markdown, JSON).

May import: every layer below (core, problems, optim, lowering, runtime, numeric, analysis).
"""
