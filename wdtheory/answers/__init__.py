"""Every command's answer as data: :mod:`~wdtheory.answers.records` builds one record per answer
(derive, compare, fixed-point, convert, verify) from the typed results of the engines, following
the versioned JSON schema of :mod:`~wdtheory.answers.schema`; ``--format json`` prints it.

May import: every layer below (core to claims).
"""
